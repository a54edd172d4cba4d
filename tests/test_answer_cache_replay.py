"""Repeats answered before Django (answer_cache/replay.py): the same response as the whole stack sends, the same
access line, the rate limit still counting; and everything else the whole way."""

import asyncio
import logging
from collections.abc import Iterator

import pytest
from django.core.signals import request_started

from search_service.answer_cache.replay import read_head

SEARCH = {"q": "json", "size": 3}


@pytest.fixture
def django_requests() -> Iterator[list[object]]:
    """Each request Django's handler saw (a replay is answered before it)."""
    seen: list[object] = []

    def receiver(**kwargs: object) -> None:
        seen.append(kwargs)

    request_started.connect(receiver)
    yield seen
    request_started.disconnect(receiver)


@pytest.fixture
def access_lines() -> Iterator[list[dict[str, object]]]:
    lines: list[dict[str, object]] = []

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.access)  # type: ignore[attr-defined]

    handler = Lines()
    logging.getLogger("search_service.access").addHandler(handler)
    yield lines
    logging.getLogger("search_service.access").removeHandler(handler)


PER_RESPONSE = {"x-request-id", "cache-control", "content-length"}


def without_per_response(headers) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name not in PER_RESPONSE}


async def test_a_repeat_is_answered_before_django_with_the_same_response_and_access_line(
    api, django_requests, access_lines
):
    first = await api.get("/search", params=SEARCH)  # the whole way: searched and kept
    second = await api.get("/search", params=SEARCH)  # the whole way: a hit, and how to answer it again remembered
    third = await api.get("/search", params=SEARCH, headers={"X-Request-ID": "trace-1"})

    assert len(django_requests) == 2
    assert third.status_code == 200
    assert third.content == first.content
    assert without_per_response(third.headers) == without_per_response(second.headers)
    assert without_per_response(second.headers) == without_per_response(first.headers)
    assert third.headers["x-request-id"] == "trace-1"
    assert third.headers["cache-control"].startswith("max-age=")
    assert [line["cached"] for line in access_lines] == [False, True, True]
    assert set(access_lines[2]) == set(access_lines[0])
    assert access_lines[2]["request_id"] == "trace-1"
    assert access_lines[2]["hits"] == access_lines[0]["hits"]
    assert access_lines[2]["es_took_ms"] == access_lines[0]["es_took_ms"]


async def test_a_replay_answers_304_to_a_caller_who_has_it(api, django_requests):
    first = await api.get("/search", params=SEARCH)
    await api.get("/search", params=SEARCH)
    again = await api.get("/search", params=SEARCH, headers={"If-None-Match": first.headers["ETag"]})

    assert len(django_requests) == 2
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "content-type" not in again.headers


async def test_the_rate_limit_counts_replays_and_refuses_in_its_own_words(api, configure_service):
    configure_service(search_rate_limit="3/minute")
    answers = [await api.get("/search", params=SEARCH) for _ in range(5)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    assert answers[3].json()["error"] == "rate_limited"


async def test_cors_answers_are_replayed_per_origin(api, settings, django_requests):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = {"Origin": "https://app.example.com"}
    answers = [await api.get("/search", params=SEARCH, headers=allowed) for _ in range(3)]
    other = await api.get("/search", params=SEARCH, headers={"Origin": "https://evil.example"})

    assert [answer.headers.get("access-control-allow-origin") for answer in answers] == ["https://app.example.com"] * 3
    assert "access-control-allow-origin" not in other.headers
    assert len(django_requests) == 3  # the first two, and the other origin's


async def test_a_different_host_is_not_a_repeat(api, configure_service, django_requests):
    await api.get("/search", params=SEARCH)
    await api.get("/search", params=SEARCH)
    refused = await api.get("/search", params=SEARCH, headers={"Host": "evil.example"})

    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_host"
    assert len(django_requests) == 3


async def test_an_expired_answer_goes_the_whole_way_again(api, configure_service, django_requests):
    configure_service(search_cache_ttl=0.3)
    for _ in range(3):
        await api.get("/search", params=SEARCH)
    await asyncio.sleep(0.4)
    again = await api.get("/search", params=SEARCH)

    assert again.status_code == 200
    assert len(django_requests) == 3  # searched; a hit remembered; (a replay;) after the expiry, the whole way


def scope(headers: list[tuple[bytes, bytes]], method: str = "GET", path: str = "/search") -> dict[str, object]:
    return {"method": method, "path": path, "query_string": b"q=json", "headers": headers}


def test_only_an_anonymous_get_of_search_may_be_replayed():
    head = read_head(scope([(b"host", b"localhost"), (b"origin", b"https://a"), (b"if-none-match", b'"x"')]))
    assert head is not None
    assert head.request == (b"q=json", b"localhost", b"https://a")
    assert head.if_none_match == '"x"'
    for credential in (b"authorization", b"x-api-key", b"x-algolia-api-key"):
        assert read_head(scope([(credential, b"anything")])) is None
    assert read_head(scope([], method="HEAD")) is None
    assert read_head(scope([], path="/suggest")) is None
