"""The fair scheduler on its own, in one event loop: who runs, who waits, who is refused. No server."""

import asyncio

import pytest

from search_service.admission.callers import Refused
from search_service.admission.fair_queue import FairScheduler, FixedLimit, Ticket


def scheduler(limit: float, *, queue: int = 100, wait: float = 5.0, overcommit: float = 0.0) -> FairScheduler:
    return FairScheduler(FixedLimit(limit), queue_per_caller=queue, wait=wait, overcommit=overcommit)


async def waiting(fair: FairScheduler, caller: str, units: float = 1.0) -> asyncio.Task[Ticket]:
    task = asyncio.create_task(fair.acquire(caller, units))
    await asyncio.sleep(0)
    return task


async def test_work_that_fits_runs_at_once():
    fair = scheduler(4)
    tickets = [await fair.acquire("a", 1) for _ in range(4)]
    assert fair.in_flight == 4
    assert all(ticket.waited < 0.01 for ticket in tickets)


async def test_a_caller_alone_uses_all_the_capacity_and_its_queue_drains_in_order():
    fair = scheduler(2)
    running = [await fair.acquire("a", 1) for _ in range(2)]
    queued = [await waiting(fair, "a") for _ in range(3)]
    assert fair.queued == 3
    assert not any(task.done() for task in queued)

    fair.release(running[0], ok=True)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert [task.done() for task in queued] == [True, False, False]
    fair.release(running[1], ok=True)
    fair.release(queued[0].result(), ok=True)
    await asyncio.sleep(0)
    assert all(task.done() for task in queued)
    assert fair.queued == 0


async def test_a_newcomer_runs_before_a_heavy_callers_backlog():
    fair = scheduler(2)
    running = [await fair.acquire("heavy", 1) for _ in range(2)]
    backlog = [await waiting(fair, "heavy") for _ in range(50)]
    light = await waiting(fair, "light")

    for ticket in running:
        fair.release(ticket, ok=True)
    await asyncio.sleep(0)
    await asyncio.sleep(0)

    assert light.done()  # within a turn or two, not fifty
    assert sum(task.done() for task in backlog) == 1
    for task in backlog:
        task.cancel()


async def test_callers_share_by_cost_not_by_count():
    fair = scheduler(4)
    holders = [await fair.acquire("x", 1) for _ in range(4)]
    costly = [await waiting(fair, "costly", 4) for _ in range(5)]
    cheap = [await waiting(fair, "cheap", 1) for _ in range(20)]
    order: list[str] = []
    for task in costly:
        task.add_done_callback(lambda _: order.append("costly"))
    for task in cheap:
        task.add_done_callback(lambda _: order.append("cheap"))

    for holder in holders:
        fair.release(holder, ok=True)
    for _ in range(40):
        await asyncio.sleep(0)
        for task in [*costly, *cheap]:
            if task.done() and not getattr(task, "released", False):
                task.released = True  # type: ignore[attr-defined]
                fair.release(task.result(), ok=True)

    first_eight = order[:10]
    assert first_eight.count("cheap") >= 6  # about four cheap turns for each costly one


async def test_a_full_queue_refuses_with_a_retry_after_and_other_callers_still_wait():
    fair = scheduler(1, queue=2)
    holder = await fair.acquire("a", 1)
    queued = [await waiting(fair, "a") for _ in range(2)]

    with pytest.raises(Refused) as raised:
        await fair.acquire("a", 1)
    assert raised.value.code == "overloaded"
    assert raised.value.retry_after >= 1
    assert "2 searches waiting" in raised.value.detail

    other = await waiting(fair, "b")
    assert not other.done()  # queued, not refused: the bound is per caller
    fair.release(holder, ok=True)
    for task in [*queued, other]:
        task.cancel()


async def test_a_request_that_waited_too_long_is_refused_and_leaves_no_trace():
    fair = scheduler(1, wait=0.1)
    holder = await fair.acquire("a", 1)

    with pytest.raises(Refused) as raised:
        await fair.acquire("b", 1)

    assert "no turn within 0.1 s" in raised.value.detail
    assert fair.queued == 0
    fair.release(holder, ok=True)
    assert fair.in_flight == 0
    assert (await fair.acquire("c", 1)).waited < 0.01


async def test_a_caller_that_goes_away_while_waiting_gives_its_place_back():
    fair = scheduler(1)
    holder = await fair.acquire("a", 1)
    gone = await waiting(fair, "b")
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone

    fair.release(holder, ok=True)

    assert fair.in_flight == 0
    assert fair.queued == 0


async def test_a_newcomer_may_take_the_headroom_but_not_more():
    fair = scheduler(4, overcommit=0.25)
    [await fair.acquire("heavy", 1) for _ in range(4)]

    assert (await fair.acquire("light", 1)).waited < 0.01  # 5 of 4 x 1.25
    late = await waiting(fair, "third")
    assert not late.done()
    late.cancel()


async def test_work_larger_than_the_limit_runs_alone():
    fair = scheduler(2)
    ticket = await fair.acquire("a", 10)
    assert fair.in_flight == 10
    fair.release(ticket, ok=True)


async def test_try_acquire_gives_a_turn_only_when_there_is_room():
    fair = scheduler(1)
    held = fair.try_acquire("a", 1)
    assert held is not None
    assert fair.try_acquire("b", 1) is None
    fair.release(held, ok=True)
    assert fair.try_acquire("b", 1) is not None


async def test_time_spent_waiting_elsewhere_is_not_taken_for_this_queues_latency():
    class Recording(FixedLimit):
        samples: list[float]

        def sample(self, seconds_per_unit: float, *, in_flight: float, now: float) -> None:
            self.samples.append(seconds_per_unit)

    limit = Recording(4)
    limit.samples = []
    fair = FairScheduler(limit, queue_per_caller=1, wait=1)
    ticket = await fair.acquire("a", 1)
    await asyncio.sleep(0.05)

    fair.release(ticket, ok=True, waited_inside=0.05)

    assert limit.samples[0] < 0.01
