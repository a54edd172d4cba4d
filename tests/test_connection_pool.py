"""The connection pool is as large as ELASTICSEARCH_CONNECTIONS_PER_NODE says: no more, and no less."""

import asyncio
import time

import pytest

from tests.conftest import UPSTREAM_DELAY


@pytest.mark.parametrize(
    ("pool", "searches", "rounds"),
    [
        # Past aiohttp's default total cap of 100 connections (lifted in elastic.py): all in one round.
        (150, 150, 1),
        # Twice the pool: the second ten wait for a connection.
        (10, 20, 2),
    ],
)
async def test_searches_in_flight_are_bounded_by_the_pool(
    api, configure_service, slow_elasticsearch, pool, searches, rounds
):
    configure_service(
        elasticsearch_hosts=slow_elasticsearch,
        elasticsearch_connections_per_node=pool,
        elasticsearch_request_timeout=30,
        # One request per search, so that rounds count searches: `json` finds 2 fixture documents, few
        # enough for a did-you-mean request too.
        search_did_you_mean_below=-1,
    )

    # The first request of a worker reads the index's mapping (mapping/loaded.py): done before the clock starts.
    assert (await api.get("/search", params={"q": "json"})).status_code == 200
    started = time.monotonic()
    responses = await asyncio.gather(*(api.get("/search", params={"q": "json"}) for _ in range(searches)))
    elapsed = time.monotonic() - started

    assert [r.status_code for r in responses] == [200] * searches
    # Each round waits UPSTREAM_DELAY on the slow upstream; half a delay more is slack for the machine.
    assert rounds * UPSTREAM_DELAY <= elapsed < (rounds + 0.5) * UPSTREAM_DELAY
