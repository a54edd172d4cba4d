"""The fair scheduler's bounds: how many of a caller's requests wait, for how long, and what is left when one is
refused or goes away. No server; every wait bounded (turns.bounded)."""

import asyncio

import pytest

from search_service.admission.callers import Refused
from tests.admission.turns import assert_idle, bounded, scheduler, settle, waiting


@pytest.mark.parametrize("queue", [0, 1, 2])
async def test_a_callers_queue_holds_exactly_its_bound_and_refuses_one_past_it(queue):
    fair = scheduler(1, queue=queue)
    holder = await fair.acquire("a", 1)
    queued = [await waiting(fair, "a") for _ in range(queue)]  # at the bound: all wait
    assert fair.queued == queue

    with pytest.raises(Refused) as raised:  # one past it
        await bounded(fair.acquire("a", 1))
    assert raised.value.code == "overloaded"
    assert raised.value.retry_after == 1  # nothing measured yet: the shortest
    assert f"this caller already has {queue} searches waiting" in raised.value.detail
    assert "retry after 1 s" in raised.value.detail
    fair.release(holder, ok=True)
    for task in queued:
        task.cancel()


async def test_the_queue_bound_is_per_caller():
    fair = scheduler(1, queue=1)
    holder = await fair.acquire("a", 1)
    queued = await waiting(fair, "a")
    with pytest.raises(Refused):
        await fair.acquire("a", 1)

    other = await waiting(fair, "b")

    assert not other.done()  # queued, not refused
    fair.release(holder, ok=True)
    for task in (queued, other):
        task.cancel()


async def test_a_refused_caller_with_nothing_running_leaves_no_trace():
    fair = scheduler(1, queue=0)
    holder = await fair.acquire("a", 1)
    with pytest.raises(Refused):
        await fair.acquire("b", 1)
    assert set(fair._callers) == {"a"}
    fair.release(holder, ok=True)
    assert_idle(fair)


async def test_a_request_that_waited_too_long_is_refused_and_leaves_no_trace():
    fair = scheduler(1, wait=0.05)
    holder = await fair.acquire("a", 1)

    with pytest.raises(Refused) as raised:
        await bounded(fair.acquire("b", 1))

    assert raised.value.code == "overloaded"
    assert "no turn within 0.05 s" in raised.value.detail
    assert fair.queued == 0
    fair.release(holder, ok=True)
    assert_idle(fair)
    assert (await fair.acquire("c", 1)).waited == 0.0


async def test_a_caller_that_goes_away_while_waiting_gives_its_place_back():
    fair = scheduler(1)
    holder = await fair.acquire("a", 1)
    gone = await waiting(fair, "b")
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert fair.queued == 0

    fair.release(holder, ok=True)

    assert_idle(fair)


async def test_a_waiter_that_went_away_is_skipped_and_the_next_one_served():
    fair = scheduler(1)
    holder = await fair.acquire("a", 1)
    gone = await waiting(fair, "b")
    after = await waiting(fair, "c")
    gone.cancel()
    await settle()

    fair.release(holder, ok=True)
    await settle()

    assert after.done()
    fair.release(after.result(), ok=True)
    assert_idle(fair)


async def test_a_caller_served_from_the_queue_counts_that_turn_as_its_own():
    fair = scheduler(2, overcommit=0.5)  # room for 3 with the headroom
    first, second = [await fair.acquire("a", 1) for _ in range(2)]
    queued = await waiting(fair, "a")
    fair.release(first, ok=True)  # a's queued one runs: a has two in flight again
    await settle()
    assert queued.done()
    fair.release(second, ok=True)  # and one still
    await fair.acquire("b", 1)  # 2 of 2

    again = await waiting(fair, "a")

    assert not again.done()  # a still has work in flight: no headroom
    again.cancel()
