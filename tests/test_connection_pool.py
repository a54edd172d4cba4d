"""The connection pool is as large as ELASTICSEARCH_CONNECTIONS_PER_NODE says: no more, and no less.

Counted by aiohttp's own tracing, not timed: a search that has to wait for a free connection is an event
(`on_connection_queued_start`), and so is every connection opened."""

import asyncio
from collections import Counter
from typing import Any

import aiohttp
import pytest


@pytest.fixture
def pool_events(monkeypatch) -> Counter[str]:
    """What the Elasticsearch client's connection pool did: connections `opened`, searches `queued` for one."""
    events: Counter[str] = Counter()
    trace = aiohttp.TraceConfig()

    async def opened(*_: Any) -> None:
        events["opened"] += 1

    async def queued(*_: Any) -> None:
        events["queued"] += 1

    trace.on_connection_create_end.append(opened)
    trace.on_connection_queued_start.append(queued)
    session = aiohttp.ClientSession

    def traced_session(*args: Any, **kwargs: Any) -> aiohttp.ClientSession:
        return session(*args, **kwargs, trace_configs=[trace])

    monkeypatch.setattr(aiohttp, "ClientSession", traced_session)  # elastic-transport makes its session with it
    return events


@pytest.mark.parametrize(
    ("pool", "searches", "wait_for_a_connection"),
    [
        # Past aiohttp's default total cap of 100 connections (lifted in elastic.py): none waits.
        (150, 150, False),
        # Twice the pool: the second ten wait for a connection, and no eleventh is opened.
        (10, 20, True),
    ],
)
async def test_searches_in_flight_are_bounded_by_the_pool(
    api, configure_service, slow_elasticsearch, pool_events, pool, searches, wait_for_a_connection
):
    configure_service(
        elasticsearch_hosts=slow_elasticsearch,
        elasticsearch_connections_per_node=pool,
        elasticsearch_request_timeout=30,
        # One request per search, so that the pool serves searches only: `json` finds 2 fixture documents, few
        # enough for a did-you-mean request too; and no answer cache, whose index-generation read in the
        # background would take a connection too.
        search_did_you_mean_below=-1,
        search_cache_ttl=0,
    )

    # The first request of a worker reads the index's mapping (mapping/loaded.py): done before counting.
    assert (await api.get("/search", params={"q": "json"})).status_code == 200
    # Different searches (page sizes): identical ones would share one search (the answer cache's coalescing).
    responses = await asyncio.gather(
        *(api.get("/search", params={"q": "json", "size": 1 + i % 100, "page": 1 + i // 100}) for i in range(searches))
    )

    assert [r.status_code for r in responses] == [200] * searches
    assert pool_events["opened"] <= pool  # no more than the pool, ever
    assert (pool_events["queued"] > 0) is wait_for_a_connection  # and no less: only past it does a search wait
