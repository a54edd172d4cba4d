"""The connection pool is as large as ELASTICSEARCH_CONNECTIONS_PER_NODE says: no more, and no less."""

import asyncio
import time

from tests.conftest import UPSTREAM_DELAY


async def timed_burst(api, count: int) -> float:
    started = time.monotonic()
    responses = await asyncio.gather(*(api.get("/search", params={"q": "json"}) for _ in range(count)))
    assert [r.status_code for r in responses] == [200] * count
    return time.monotonic() - started


async def test_more_than_a_hundred_searches_are_in_flight_at_once(api, configure_service, slow_elasticsearch):
    # aiohttp's connector caps connections at 100 in total unless told otherwise (see elastic.py).
    configure_service(
        elasticsearch_hosts=slow_elasticsearch,
        elasticsearch_connections_per_node=150,
        elasticsearch_request_timeout=30,
    )

    elapsed = await timed_burst(api, 150)

    assert elapsed < 1.5 * UPSTREAM_DELAY  # one round trip through the slow upstream, not two


async def test_searches_beyond_the_pool_wait_for_a_connection(api, configure_service, slow_elasticsearch):
    configure_service(
        elasticsearch_hosts=slow_elasticsearch,
        elasticsearch_connections_per_node=10,
        elasticsearch_request_timeout=30,
    )

    elapsed = await timed_burst(api, 20)

    assert elapsed >= 2 * UPSTREAM_DELAY  # ten at a time: two rounds
