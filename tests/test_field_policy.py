"""The field allow-list holds against the bypasses found on the real node: hidden fields stay unreachable."""

import copy
from collections.abc import Iterator

import pytest

from search_service.demo import DEMO_MAPPING
from tests.conftest import FIXTURE_DOCUMENTS, temporary_index
from tests.test_search_errors import assert_error

# Three documents carry a rank no caller may search by; the others have none.
RANKED = {"json.dumps": 1, "json.loads": 2, "csv.reader": 3}


@pytest.fixture(scope="module")
def index_with_hidden_fields(elasticsearch_url: str) -> Iterator[str]:
    mapping = copy.deepcopy(DEMO_MAPPING)
    mapping["properties"]["popularity_rank"] = {"type": "integer"}
    mapping["properties"]["internal_notes"] = {"type": "text"}
    documents = [
        document | ({"popularity_rank": RANKED[document["_id"]]} if document["_id"] in RANKED else {})
        for document in FIXTURE_DOCUMENTS
    ]
    with temporary_index("test-hidden", mapping, documents) as name:
        yield name


@pytest.fixture
async def hidden_api(api, configure_service, index_with_hidden_fields):
    configure_service(elasticsearch_index=index_with_hidden_fields, search_source_fields="module,name,qualname")
    return api


async def test_the_hidden_field_exists_and_is_searchable_when_opened(
    hidden_api, configure_service, index_with_hidden_fields
):
    # The control: with every field open, the range finds exactly the ranked documents.
    configure_service(elasticsearch_index=index_with_hidden_fields, search_query_fields="*")

    response = await hidden_api.get("/search", params={"q": "popularity_rank:[1 TO 3]", "size": 100})

    assert {hit["id"] for hit in response.json()["hits"]} == set(RANKED)


@pytest.mark.parametrize(
    "query",
    [
        'x" " +popularity_rank:[1 TO 3] " y"',  # found by the attack run: returned the 3 ranked documents
        'x" " +_exists_:popularity_rank " y"',
        'x" " +_id:json.dumps " y"',
        'x" " +_index:test* " y"',
        "a/ +popularity_rank:[1 TO 3] /b",  # a regex starting inside a word, the same way
        "x\u3000+popularity_rank:[1 TO 3]",
    ],
)
async def test_a_field_smuggled_past_the_check_is_text_and_finds_nothing(hidden_api, query):
    response = await hidden_api.get("/search", params={"q": query, "size": 100})

    if response.status_code == 200:
        assert response.json()["hits"] == []
    else:
        assert_error(response, 400, response.json()["error"])
        assert response.json()["error"] in ("field_not_allowed", "invalid_query")


@pytest.mark.parametrize(
    "query",
    ["popularity_rank:[1 TO 3]", "_exists_:popularity_rank", "internal_notes:x", "qualname.raw:json.dumps"],
)
async def test_naming_a_hidden_field_is_refused(hidden_api, query):
    assert_error(await hidden_api.get("/search", params={"q": query}), 400, "field_not_allowed")


async def test_hidden_fields_are_not_returned(hidden_api):
    response = await hidden_api.get("/search", params={"q": "json"})

    for hit in response.json()["hits"]:
        assert set(hit["source"]) <= {"module", "name", "qualname"}
