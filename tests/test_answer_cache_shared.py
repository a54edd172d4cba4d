"""SEARCH_CACHE_URL: answers shared between workers through one Redis, behind each worker's own memory; and a
Redis that is down or stalled costing a search nothing but the miss."""

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from prometheus_client import REGISTRY

from search_service.answer_cache import close_answer_cache
from search_service.answer_cache.shared import KEY_PREFIX, TIMEOUT
from tests.conftest import ES_URL, free_port
from tests.recording_proxy import recording_proxy


def shared_errors() -> float:
    return REGISTRY.get_sample_value("search_cache_shared_errors_total") or 0.0


@pytest.fixture(autouse=True)
async def close_redis() -> AsyncIterator[None]:
    yield
    await close_answer_cache()


@pytest.fixture
def proxy(configure_service):
    with recording_proxy(ES_URL) as recording:
        yield recording


def searched(proxy) -> int:
    return sum(request.endswith("/_search") for request in proxy.requests)


async def test_a_second_worker_answers_from_the_first_ones_redis_entry(api, configure_service, proxy, redis_url):
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(KEY_PREFIX + b"*"):
        client.delete(key)
    search = {"q": "json dumps", "size": 2}
    settings = {"elasticsearch_hosts": proxy.url, "search_cache_url": redis_url, "search_did_you_mean_below": -1}
    configure_service(**settings)
    first = await api.get("/search", params=search)
    for _ in range(250):  # stored in the background
        if stored := list(client.scan_iter(KEY_PREFIX + b"*")):
            break
        await asyncio.sleep(0.02)
    assert len(stored) == 1
    left = int(client.pttl(stored[0]))  # type: ignore[arg-type]  # the sync client answers an int
    assert 0 < left <= 60_000  # kept no longer than the TTL

    await close_answer_cache()  # as that worker would at its shutdown
    configure_service(**settings)  # another configuration object: another worker's cache, empty
    second = await api.get("/search", params=search)

    assert second.status_code == 200
    assert second.content == first.content
    assert second.headers["ETag"] == first.headers["ETag"]
    assert searched(proxy) == 1
    client.close()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never answers: a stalled Redis."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


async def test_a_redis_that_is_down_is_a_miss_and_one_warning(api, configure_service, caplog):
    configure_service(search_cache_url=f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    before = shared_errors()
    with caplog.at_level(logging.WARNING, logger="search_service.answer_cache.shared"):
        answers = [await api.get("/search", params={"q": "json", "size": size}) for size in range(1, 11)]

    assert [answer.status_code for answer in answers] == [200] * 10
    warnings = [record for record in caplog.records if record.name == "search_service.answer_cache.shared"]
    assert len(warnings) == 1
    assert "SEARCH_CACHE_URL" in warnings[0].getMessage()
    assert "hunter2" not in caplog.text
    assert shared_errors() - before >= 1


async def test_a_stalled_redis_costs_one_search_the_timeout_then_none(api, configure_service, silent_server):
    configure_service(search_cache_url=f"redis://127.0.0.1:{silent_server}/0")
    timings = []
    for size in range(1, 6):
        began = time.monotonic()
        answer = await asyncio.wait_for(api.get("/search", params={"q": "json", "size": size}), 30)
        timings.append(time.monotonic() - began)
        assert answer.status_code == 200

    assert timings[0] >= TIMEOUT * 0.9  # the first waited for the stalled Redis, once
    assert max(timings[1:]) < TIMEOUT  # then it is left alone for a while
