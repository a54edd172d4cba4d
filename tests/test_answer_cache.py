"""The answer cache on the real node: a repeat is not searched again, identical searches in flight are one search
(counted at a recording proxy), HTTP validators, and what is never cached."""

import asyncio
import json
import logging
import re

import pytest

from search_service.answer_cache.generation import IndexGeneration
from tests.conftest import ES_URL
from tests.recording_proxy import recording_proxy


def searches(proxy) -> list[str]:
    """The searches Elasticsearch received (not the mapping or generation reads)."""
    return [request for request in proxy.requests if request.endswith(("/_search", "/_msearch"))]


@pytest.fixture
def proxy(configure_service):
    with recording_proxy(ES_URL) as recording:
        # One call per search: no did-you-mean call beside it.
        configure_service(elasticsearch_hosts=recording.url, search_did_you_mean_below=-1)
        yield recording


async def test_a_thousand_identical_searches_at_once_are_one_search_at_elasticsearch(api, proxy):
    assert (await api.get("/search", params={"q": "pickle"})).status_code == 200  # the mapping and generation read
    proxy.requests.clear()

    answers = await asyncio.gather(*(api.get("/search", params={"q": "json"}) for _ in range(1000)))

    assert [answer.status_code for answer in answers] == [200] * 1000
    assert len({answer.content for answer in answers}) == 1
    assert answers[0].json()["total"]["value"] > 0
    assert len(searches(proxy)) == 1, proxy.requests


async def test_a_repeat_is_answered_from_memory_with_its_etag_and_what_is_left_of_its_time(api, proxy):
    first = await api.get("/search", params={"q": "dumps", "size": 2})
    second = await api.get("/search", params={"size": "2", "q": "dumps", "page": "1"})  # the same search

    assert second.content == first.content
    assert second.headers["ETag"] == first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', first.headers["ETag"])
    assert 0 <= int(second.headers["Cache-Control"].removeprefix("max-age=")) <= 60
    assert len(searches(proxy)) == 1

    for validator in (first.headers["ETag"], f'W/{first.headers["ETag"]}, "other"', "*"):
        not_modified = await api.get("/search", params={"q": "dumps", "size": 2}, headers={"If-None-Match": validator})
        assert not_modified.status_code == 304
        assert not_modified.content == b""
        assert not_modified.headers["ETag"] == first.headers["ETag"]
    changed = await api.get("/search", params={"q": "dumps", "size": 2}, headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200
    assert changed.content == first.content
    assert len(searches(proxy)) == 1


async def test_the_access_line_says_which_answers_were_cached(api, proxy):
    lines: list[dict[str, object]] = []

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.access)  # type: ignore[attr-defined]

    handler = Lines()
    logging.getLogger("search_service.access").addHandler(handler)
    try:
        for _ in range(2):
            assert (await api.get("/search", params={"q": "loads"})).status_code == 200
    finally:
        logging.getLogger("search_service.access").removeHandler(handler)
    assert [line["cached"] for line in lines] == [False, True]
    assert lines[1]["hits"] == lines[0]["hits"]
    assert lines[1]["es_took_ms"] == lines[0]["es_took_ms"]


async def test_each_different_search_is_searched(api, proxy):
    variants = [
        {"q": "json"},
        {"q": "JSON"},
        {"q": "json", "mode": "simple"},
        {"q": "json", "size": 1},
        {"q": "json", "filter": "kind:function"},
        {"q": "json", "facets": "kind"},
        {"q": "json", "sort": "module"},
        {"q": "json", "rank": "text"},
    ]
    answers = [await api.get("/search", params=params) for params in variants]
    assert [answer.status_code for answer in answers] == [200] * len(variants)
    assert len(searches(proxy)) == len(variants)
    again = [await api.get("/search", params=params) for params in variants]
    assert [answer.content for answer in again] == [answer.content for answer in answers]
    assert len(searches(proxy)) == len(variants)


async def test_cursor_pages_are_never_cached(api, proxy):
    first = (await api.get("/search", params={"q": "json OR pickle OR dumps", "size": 1})).json()
    assert first["next"]
    proxy.requests.clear()

    pages = [await api.get("/search", params={"q": "json OR pickle OR dumps", "size": 1, "cursor": first["next"]})]
    pages.append(await api.get("/search", params={"q": "json OR pickle OR dumps", "size": 1, "cursor": first["next"]}))

    assert [page.status_code for page in pages] == [200, 200]
    assert "ETag" not in pages[1].headers
    assert len(searches(proxy)) >= 2


async def test_with_a_ttl_of_zero_every_search_is_made(api, proxy, configure_service):
    configure_service(elasticsearch_hosts=proxy.url, search_cache_ttl=0, search_did_you_mean_below=-1)
    for _ in range(3):
        answer = await api.get("/search", params={"q": "json"})
        assert answer.status_code == 200
        assert "ETag" not in answer.headers
        assert "Cache-Control" not in answer.headers
    assert len(searches(proxy)) == 3


async def test_errors_are_not_cached(api, proxy):
    for _ in range(2):
        refused = await api.get("/search", params={"q": "json", "size": 100_000})
        assert refused.status_code == 422
        assert refused.headers["Cache-Control"] == "no-store"
    assert json.loads(refused.content)["error"]


async def test_without_a_known_generation_nothing_is_kept_but_identical_searches_in_flight_are_one(
    api, proxy, monkeypatch
):
    async def unknown(*_args: object) -> None:
        return None  # as when the read is late (a loaded worker) or refused (no privilege)

    monkeypatch.setattr(IndexGeneration, "current", unknown)
    answers = await asyncio.gather(*(api.get("/search", params={"q": "json"}) for _ in range(100)))
    again = await api.get("/search", params={"q": "json"})

    assert [answer.status_code for answer in answers] == [200] * 100
    assert "ETag" not in again.headers
    assert len(searches(proxy)) == 2  # one for the hundred at once, one for the next: nothing was kept
