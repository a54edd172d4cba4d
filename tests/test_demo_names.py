"""The demo's names: each document carries the public names people use for it (`os.path.join` for
`posixpath.join`), and the names keep their digits on the real node (`b64decode` is not `b16decode`), so that an
exact name finds its document first in both modes."""

from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from search_service.demo import DEMO_MAPPING, stdlib_documents
from search_service.demo_aliases import MAX_ALIASES
from search_service.elastic import client_options
from search_service.settings.search import SearchSettings
from tests.conftest import service_settings, temporary_index

DEFAULT_SEARCH_FIELDS = ",".join(SearchSettings().search_fields)
# Each name and the document it must find first, among documents that share its words.
NAMES = {
    "b64decode": "base64.b64decode",
    "b16decode": "base64.b16decode",
    "uuid4": "uuid.uuid4",
    "os.path.join": "posixpath.join",
    "os.getcwd": "posix.getcwd",
}
NEIGHBOURS = {"base64.b32decode", "base64.b85decode", "uuid.UUID", "uuid.uuid1", "os.get_exec_path", "os", "posix"}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {document["_id"]: document for document in stdlib_documents()}


def test_documents_carry_the_public_names_of_their_object(documents):
    assert documents["posixpath.join"]["aliases"] == ["os.path.join"]
    assert documents["posix.getcwd"]["aliases"] == ["os.getcwd"]
    assert documents["io.open"]["aliases"] == ["builtins.open"]
    assert documents["posixpath"]["aliases"] == ["os.path"]
    assert "random.randint" in documents["random.Random.randint"]["aliases"]  # a method of a hidden instance
    # The most used module's name first: os.path before posixpath and ntpath.
    assert documents["genericpath.exists"]["aliases"][0] == "os.path.exists"


def test_aliases_are_few_other_names_and_never_mere_imports(documents):
    for document in documents.values():
        aliases = document["aliases"]
        assert len(aliases) <= MAX_ALIASES
        assert len(set(aliases)) == len(aliases)
        assert document["qualname"] not in aliases
    # inspect imports namedtuple for its own use; it is no name of collections.namedtuple.
    assert "inspect.namedtuple" not in documents["collections.namedtuple"]["aliases"]


def test_names_keep_their_digits_on_the_real_node(fixture_index):
    with Elasticsearch(**client_options(service_settings())) as client:

        def tokens(field: str, text: str) -> list[str]:
            answer = client.indices.analyze(index=fixture_index, field=field, text=text)
            return [token["token"] for token in answer["tokens"]]

        assert tokens("identifiers", "b64decode") == ["b64decode"]
        assert tokens("identifiers", "b64decode") != tokens("identifiers", "b16decode")
        assert tokens("identifiers", "uuid4") == ["uuid4"]
        assert tokens("identifiers", "os.path.join") == ["os.path.join"]
        # `simple` still splits names into their words, and drops the digits, which is why `identifiers` exists.
        assert tokens("qualname", "json.JSONDecoder") == ["json", "jsondecoder"]
        assert tokens("name", "is_dataclass") == ["is", "dataclass"]
        assert tokens("aliases", "os.path.join") == ["os", "path", "join"]
        assert tokens("name", "b64decode") == tokens("name", "b16decode")


@pytest.fixture(scope="module")
def names_index(elasticsearch_url: str, documents: dict[str, dict[str, Any]]) -> Iterator[str]:
    chosen = [documents[document_id] for document_id in {*NAMES.values(), *NEIGHBOURS}]
    with temporary_index("test-names", DEMO_MAPPING, chosen) as name:
        yield name


@pytest.mark.parametrize("mode", ["query_string", "simple"])
@pytest.mark.parametrize(("query", "expected"), NAMES.items())
async def test_an_exact_name_finds_its_document_first(api, configure_service, names_index, mode, query, expected):
    configure_service(elasticsearch_index=names_index, search_fields=DEFAULT_SEARCH_FIELDS)
    response = await api.get("/search", params={"q": query, "mode": mode})
    assert response.status_code == 200, response.text
    assert response.json()["hits"][0]["id"] == expected
