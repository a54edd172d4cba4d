"""Isolation between callers, through the API on the real node: rate limits and the expensive-query lane."""

import asyncio
import time

from tests.test_search_errors import assert_error

WILDCARD = {"q": "dump*"}


async def test_a_client_over_its_rate_limit_gets_429_with_retry_after(api, configure_service):
    configure_service(search_rate_limit="3/minute")
    for _ in range(3):
        assert (await api.get("/search", params={"q": "json"})).status_code == 200

    response = await api.get("/search", params={"q": "json"})

    body = assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    assert "3 requests" in body["detail"]
    assert (await api.get("/health")).status_code == 200  # probes are never limited
    assert (await api.get("/ready")).status_code == 200


async def test_a_refusal_is_held_back_so_hammering_costs_the_worker_little(api, configure_service):
    configure_service(search_rate_limit="1/minute", search_refusal_delay=0.5)
    assert (await api.get("/search", params={"q": "json"})).status_code == 200

    started = time.monotonic()
    response = await api.get("/search", params={"q": "json"})

    assert_error(response, 429, "rate_limited")
    assert 0.5 <= time.monotonic() - started < 2


async def test_clients_are_limited_separately(api, configure_service):
    configure_service(search_rate_limit="1/minute")
    assert (await api.get("/search", params={"q": "json"})).status_code == 200
    assert (await api.get("/search", params={"q": "json"})).status_code == 429

    # As uvicorn presents a client behind a trusted proxy: another address.
    api._transport.client = ("198.51.100.7", 4000)
    assert (await api.get("/search", params={"q": "json"})).status_code == 200


async def test_expensive_queries_have_a_budget_of_their_own(api, configure_service):
    configure_service(search_expensive_rate_limit="1/minute")
    assert (await api.get("/search", params=WILDCARD)).status_code == 200

    body = assert_error(await api.get("/search", params=WILDCARD), 429, "rate_limited")

    assert "expensive queries" in body["detail"]
    assert (await api.get("/search", params={"q": "json"})).status_code == 200  # ordinary ones still run


async def test_a_full_lane_refuses_expensive_queries_while_ordinary_ones_flow(
    api, configure_service, slow_elasticsearch
):
    # Every answer takes 2 s: the first expensive query holds the only turn for that long.
    configure_service(
        elasticsearch_hosts=slow_elasticsearch,
        search_expensive_concurrency=1,
        search_expensive_queue=0,
    )
    holder = asyncio.create_task(api.get("/search", params=WILDCARD))
    await asyncio.sleep(0.3)

    refused, ordinary = await asyncio.gather(
        api.get("/search", params={"q": "pick*"}),
        api.get("/search", params={"q": "json"}),
    )

    assert_error(refused, 429, "too_many_expensive_queries")
    assert int(refused.headers["Retry-After"]) >= 1
    assert ordinary.status_code == 200  # did not wait for the lane
    assert (await holder).status_code == 200


async def test_large_pages_count_as_expensive(api, configure_service):
    configure_service(search_expensive_rate_limit="1/minute")
    assert (await api.get("/search", params={"q": "json", "size": 100})).status_code == 200

    assert_error(await api.get("/search", params={"q": "json", "size": 100}), 429, "rate_limited")
