"""Rate limits and the expensive-query lane on their own: no server."""

import asyncio
import time

import pytest

from search_service.admission import ExpensiveLane, RateLimit, Refused, client_key, is_expensive
from search_service.query.policy import QueryCost


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same /64: the same client
        (None, "unknown"),
        ("", "unknown"),
        ("not-an-ip", "not-an-ip"),
    ],
)
def test_clients_are_keyed_by_address_ipv6_by_network(address, key):
    assert client_key(address) == key


async def test_rate_limit_refuses_past_the_budget_with_a_retry_after():
    limit = RateLimit("3/minute", code="rate_limited", what="requests")
    for _ in range(3):
        await limit.hit("a")

    with pytest.raises(Refused) as raised:
        await limit.hit("a")

    assert raised.value.code == "rate_limited"
    assert 1 <= raised.value.retry_after <= 60
    assert "more than 3 requests in 1 minute(s)" in raised.value.detail
    await limit.hit("b")  # another client has its own budget


async def test_an_empty_rate_limit_never_refuses():
    limit = RateLimit("", code="rate_limited", what="requests")
    for _ in range(1000):
        await limit.hit("a")


@pytest.mark.parametrize(
    ("cost", "page", "size", "expensive"),
    [
        (QueryCost(clauses=2), 1, 10, False),
        (QueryCost(clauses=1, wildcard_terms=1), 1, 10, True),
        (QueryCost(clauses=1, fuzzy_terms=1), 1, 10, True),
        (QueryCost(clauses=30), 1, 10, True),
        (QueryCost(clauses=1), 1, 100, True),
        (QueryCost(clauses=1), 100, 10, False),
        (QueryCost(clauses=1), 101, 10, True),  # a deep page
    ],
)
def test_what_counts_as_expensive(cost, page, size, expensive):
    assert is_expensive(cost, page=page, size=size) is expensive


def test_many_facet_buckets_and_opening_a_point_in_time_are_expensive():
    cheap = QueryCost(clauses=1)
    assert not is_expensive(cheap, page=1, size=10, facet_buckets=20)
    assert is_expensive(cheap, page=1, size=10, facet_buckets=51)
    assert is_expensive(cheap, page=1, size=10, opens_point_in_time=True)


async def test_lane_runs_its_concurrency_queues_the_next_and_refuses_the_rest():
    lane = ExpensiveLane(concurrency=1, queue=1, wait=5)
    release = asyncio.Event()
    order: list[str] = []

    async def expensive(name: str) -> None:
        async with lane.enter():
            order.append(name)
            await release.wait()

    first = asyncio.create_task(expensive("first"))
    await asyncio.sleep(0)
    queued = asyncio.create_task(expensive("queued"))
    await asyncio.sleep(0)

    with pytest.raises(Refused) as raised:
        await expensive("refused")
    assert raised.value.code == "too_many_expensive_queries"

    release.set()
    await asyncio.gather(first, queued)
    assert order == ["first", "queued"]


async def test_lane_refuses_a_query_that_waited_too_long():
    lane = ExpensiveLane(concurrency=1, queue=10, wait=0.2)
    holding = asyncio.Event()

    async def hold() -> None:
        async with lane.enter():
            holding.set()
            await asyncio.sleep(2)

    holder = asyncio.create_task(hold())
    await holding.wait()
    started = time.monotonic()
    with pytest.raises(Refused):
        async with lane.enter():
            pass
    assert 0.2 <= time.monotonic() - started < 1
    holder.cancel()
    with pytest.raises(asyncio.CancelledError):
        await holder
