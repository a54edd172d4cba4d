"""Did you mean, through GET /search against the real node: corrections from the searched fields only, on a first
page that found few hits; never a failed search because of them."""

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, ConnectionTimeout, HttpHeaders, NodeConfig
from elasticsearch import AsyncElasticsearch, BadRequestError

from tests.conftest import temporary_index

MAPPING: dict[str, Any] = {
    "properties": {
        "module": {"type": "keyword"},
        "name": {"type": "text", "analyzer": "simple"},
        "summary": {"type": "text"},
        "docstring": {"type": "text"},
        "secret": {"type": "text"},  # held, never searched: its words must not leak through suggestions
    }
}
# 50 modules about Python, two JSON functions, pathlib, and a typo (`pyhton`) that made it into two docstrings.
DOCUMENTS: list[dict[str, Any]] = [
    {
        "_id": f"module{n:02d}",
        "module": f"module{n:02d}",
        "name": f"module{n:02d}",
        "summary": f"A Python module, number {n}.",
        "docstring": "Part of the standard library.",
    }
    for n in range(50)
] + [
    {"_id": "json.dumps", "module": "json", "name": "dumps", "summary": "Serialize obj to a JSON formatted str."},
    {"_id": "json.loads", "module": "json", "name": "loads", "summary": "Deserialize a JSON document."},
    {"_id": "pathlib.Path", "module": "pathlib", "name": "Path", "summary": "A pathlib path for the platform."},
    {"_id": "typo.one", "module": "typo", "name": "one", "summary": "Untidy.", "docstring": "Runs on pyhton 3."},
    {"_id": "typo.two", "module": "typo", "name": "two", "summary": "Untidy.", "docstring": "Needs pyhton."},
    {"_id": "vault", "module": "vault", "name": "vault", "summary": "Locked.", "secret": "confidential"},
]


@pytest.fixture(scope="module")
def spelling_index(elasticsearch_url: str) -> Iterator[str]:
    with temporary_index("test-spelling", MAPPING, DOCUMENTS) as name:
        yield name


@pytest.fixture
def configure(configure_service, spelling_index):
    """Point the service at the index, searching name, summary and docstring (never `secret`)."""

    def configure(**overrides: Any) -> None:
        settings = {
            "elasticsearch_index": spelling_index,
            "search_fields": "name^3,summary^2,docstring",
            "search_query_fields": "module,name,summary,docstring",
            "search_filter_fields": "module",
            "search_rank_field": "",
        }
        configure_service(**(settings | overrides))

    configure()
    return configure


@pytest.fixture
def search(api, configure):
    async def run(q: str, **params: Any) -> dict[str, Any]:
        response = await api.get("/search", params={"q": q} | params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


@pytest.fixture
def spelling_calls(monkeypatch) -> list[dict[str, Any]]:
    """The bodies of the did-you-mean calls the service makes (the searches with a `suggest` part)."""
    calls: list[dict[str, Any]] = []
    search = AsyncElasticsearch.search

    async def recording_search(self: AsyncElasticsearch, **kwargs: Any) -> Any:
        if "suggest" in (kwargs.get("body") or {}):
            calls.append(kwargs["body"])
        return await search(self, **kwargs)

    monkeypatch.setattr(AsyncElasticsearch, "search", recording_search)
    return calls


async def test_a_typo_leads_to_the_word(search, spelling_calls):
    body = await search("pyhton")

    assert body["total"]["value"] == 2  # the typo is in two docstrings; `python` in 50 summaries
    assert body["suggestions"][0] == "python"
    assert len(spelling_calls) == 1


async def test_each_misspelt_word_is_corrected_in_the_query_as_written(search):
    body = await search("Jsno AND (dumsp OR pathlib)")

    assert body["suggestions"][0] == "Json AND (dumps OR pathlib)"


async def test_simple_mode_is_corrected_too(search):
    body = await search("jsno +dumsp", mode="simple", typos="0", prefix="false")

    assert body["total"]["value"] == 0
    assert body["suggestions"] == ["json +dumps"]


async def test_suggestions_are_offered_beside_the_tolerant_pass_hits(search):
    """The tolerant pass finds json.dumps; the suggestion still says what was misspelt (asked of the exact pass)."""
    body = await search("jsno +dumsp", mode="simple")

    assert body["tolerant"] is True
    assert [hit["id"] for hit in body["hits"]] == ["json.dumps"]
    assert body["suggestions"] == ["json +dumps"]


async def test_a_search_with_many_hits_asks_for_no_suggestions(search, spelling_calls):
    body = await search("python")

    assert body["total"]["value"] == 50
    assert body["suggestions"] == []
    assert spelling_calls == []


async def test_a_real_word_is_not_corrected_when_filters_leave_few_hits(search):
    body = await search("python", filter="module:json")

    assert body["total"]["value"] == 0
    assert body["suggestions"] == []


async def test_a_word_of_a_field_not_searched_is_never_suggested(search, spelling_calls):
    body = await search("confidental")  # one letter from `confidential`, which only `secret` holds

    assert body["total"]["value"] == 0
    assert body["suggestions"] == []
    [call] = spelling_calls
    assert "secret" not in str(call)


async def test_minus_one_turns_suggestions_off(search, configure, spelling_calls):
    configure(search_did_you_mean_below=-1)

    body = await search("pyhton")

    assert body["suggestions"] == []
    assert spelling_calls == []


async def test_the_threshold_follows_configuration(search, configure, spelling_calls):
    configure(search_did_you_mean_below=1)  # `pyhton` finds 2

    assert (await search("pyhton"))["suggestions"] == []
    assert spelling_calls == []


async def test_a_page_reached_by_cursor_has_no_suggestions(search, spelling_calls):
    first = await search("pyhton", size=1)
    assert first["suggestions"][0] == "python"

    second = await search("pyhton", size=1, cursor=first["next"])

    assert [hit["id"] for hit in second["hits"]] != [hit["id"] for hit in first["hits"]]
    assert second["suggestions"] == []
    assert len(spelling_calls) == 1


async def test_a_failing_spelling_call_still_answers_the_search(search, monkeypatch, caplog):
    search_call = AsyncElasticsearch.search

    async def refused_spelling(self: AsyncElasticsearch, **kwargs: Any) -> Any:
        if "suggest" in (kwargs.get("body") or {}):
            meta = ApiResponseMeta(400, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "127.0.0.1", 9200))
            raise BadRequestError("search_phase_execution_exception", meta, {"error": {"type": "x"}})
        return await search_call(self, **kwargs)

    monkeypatch.setattr(AsyncElasticsearch, "search", refused_spelling)

    with caplog.at_level(logging.WARNING):
        body = await search("pyhton")

    assert body["total"]["value"] == 2
    assert body["suggestions"] == []
    assert any("did-you-mean" in record.getMessage() for record in caplog.records if record.levelno == logging.WARNING)


async def test_a_spelling_call_that_times_out_still_answers_the_search(search, monkeypatch, caplog):
    search_call = AsyncElasticsearch.search

    async def slow_spelling(self: AsyncElasticsearch, **kwargs: Any) -> Any:
        if "suggest" in (kwargs.get("body") or {}):
            raise ConnectionTimeout("Connection timed out during request")
        return await search_call(self, **kwargs)

    monkeypatch.setattr(AsyncElasticsearch, "search", slow_spelling)

    with caplog.at_level(logging.WARNING):
        body = await search("pyhton")

    assert body["total"]["value"] == 2
    assert len(body["hits"]) == 2
    assert body["suggestions"] == []
    assert any("did-you-mean" in record.getMessage() for record in caplog.records if record.levelno == logging.WARNING)
