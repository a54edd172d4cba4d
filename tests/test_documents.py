"""GET /documents/{id} against the real node: any id, the search hits' `_source` policy, and 404 for none."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from elasticsearch import Elasticsearch

from search_service.elastic import client_options
from tests.conftest import FIXTURE_DOCUMENTS, service_settings, temporary_index
from tests.test_search_errors import assert_error

MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "title": {"type": "text"},
        "secret": {"type": "keyword"},
        "meta": {"properties": {"year": {"type": "integer"}, "owner": {"type": "keyword"}}},
    },
}
# Ids Elasticsearch accepts that a URL path or a query would read as something else.
ODD_IDS = [
    "a/b",
    "a/../b",
    "..",
    ".",
    "x?y",
    "x#y",
    "100%",
    "a\\b",
    '"quoted"',
    " spaced id ",
    "_search",
    "json.*",
    "é/中文/😀",
    "é" * 256,  # 512 bytes of UTF-8: Elasticsearch's limit, and ours
]
ODD_DOCUMENTS = [
    {"_id": doc_id, "title": f"title of {doc_id}", "secret": "s3cr3t", "meta": {"year": 2024, "owner": "ops"}}
    for doc_id in ODD_IDS
]


def document_url(doc_id: str) -> str:
    # Every byte but letters and digits percent-encoded, dots too: a client must not let `..` be a path segment.
    return "/documents/" + quote(doc_id, safe="").replace(".", "%2E")


@pytest.fixture(scope="module")
def odd_index(elasticsearch_url: str) -> Iterator[str]:
    with temporary_index("test-documents", MAPPING, ODD_DOCUMENTS) as name:
        yield name


async def test_a_document_is_answered_whole_with_its_id_and_index(api, fixture_index):
    response = await api.get("/documents/json.dumps")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": "json.dumps",
        "index": fixture_index,
        "source": {key: value for key, value in FIXTURE_DOCUMENTS[0].items() if key != "_id"},
    }


@pytest.mark.parametrize("doc_id", ODD_IDS)
async def test_any_id_elasticsearch_accepts_can_be_fetched(api, configure_service, odd_index, doc_id):
    configure_service(elasticsearch_index=odd_index)

    response = await api.get(document_url(doc_id))

    assert response.status_code == 200, response.text
    assert response.json()["id"] == doc_id
    assert response.json()["source"]["title"] == f"title of {doc_id}"


async def test_a_slash_needs_no_encoding(api, configure_service, odd_index):
    configure_service(elasticsearch_index=odd_index)

    response = await api.get("/documents/a/b")

    assert response.json()["id"] == "a/b"


async def test_the_source_fields_setting_hides_fields_as_it_does_in_search_hits(api, configure_service, odd_index):
    configure_service(elasticsearch_index=odd_index, search_source_fields="title,meta.y*")

    response = await api.get(document_url("a/b"))

    assert response.json()["source"] == {"title": "title of a/b", "meta": {"year": 2024}}


async def test_without_source_fields_every_field_is_answered(api, configure_service, odd_index):
    # The control for the test above: the hidden fields are there to hide.
    configure_service(elasticsearch_index=odd_index)

    response = await api.get(document_url("a/b"))

    assert response.json()["source"]["secret"] == "s3cr3t"
    assert response.json()["source"]["meta"] == {"year": 2024, "owner": "ops"}


@pytest.mark.parametrize("doc_id", ["nothing.here", "*", "_all", "json.*", "a" * 512, "\x00", "..%2F..", "json"])
async def test_a_missing_document_is_404(api, doc_id):
    assert_error(await api.get(document_url(doc_id)), 404, "document_not_found")


@pytest.mark.parametrize("doc_id", ["x" * 513, "é" * 257, "😀" * 129])
async def test_an_id_longer_than_elasticsearch_allows_is_422(api, doc_id):
    body = assert_error(await api.get(document_url(doc_id)), 422, "invalid_parameter")

    assert body["detail"] == "doc_id: must be at most 512 bytes of UTF-8"


async def test_a_missing_index_is_still_503_not_a_missing_document(api, configure_service):
    configure_service(elasticsearch_index="test-no-such-index")

    assert_error(await api.get("/documents/json.dumps"), 503, "index_unavailable")


async def test_no_id_is_no_endpoint(api):
    assert_error(await api.get("/documents/"), 404, "not_found")


async def test_through_an_alias_over_two_indices_each_document_names_its_own(
    api, configure_service, fixture_index, odd_index
):
    alias = f"{odd_index}-alias"
    with Elasticsearch(**client_options(service_settings())) as client:
        client.indices.update_aliases(
            actions=[{"add": {"index": index, "alias": alias}} for index in (fixture_index, odd_index)]
        )
        try:
            configure_service(elasticsearch_index=alias)

            first = await api.get("/documents/json.dumps")
            second = await api.get(document_url("a/b"))
        finally:
            client.indices.delete_alias(index=[fixture_index, odd_index], name=alias)

    assert (first.status_code, first.json()["index"]) == (200, fixture_index)
    assert (second.status_code, second.json()["index"]) == (200, odd_index)
