"""What the fair scheduler measures: each ticket's times, the latency samples it gives its limit, and the
Retry-After of a refusal. On a clock the test moves, so that every figure is exact. No server."""

import asyncio
from dataclasses import dataclass, field

import pytest

from search_service.admission.callers import Refused
from search_service.admission.fair_queue import FairScheduler, Ticket
from tests.admission.turns import Clock, bounded, settle


@dataclass
class Recording:
    """A fixed limit that keeps the samples it is given: (seconds per unit, in flight at the start, now)."""

    limit: float
    samples: list[tuple[float, float, float]] = field(default_factory=list)

    def sample(self, seconds_per_unit: float, *, in_flight: float, now: float) -> None:
        self.samples.append((seconds_per_unit, in_flight, now))


def scheduler(limit: float = 1, *, queue: int = 100) -> tuple[FairScheduler, Recording, Clock]:
    capacity, clock = Recording(limit), Clock()
    return FairScheduler(capacity, queue_per_caller=queue, wait=5, clock=clock), capacity, clock


async def waiting(fair: FairScheduler, caller: str, units: float = 1.0) -> asyncio.Task[Ticket]:
    task = asyncio.create_task(bounded(fair.acquire(caller, units)))
    await asyncio.sleep(0)
    return task


async def test_a_ticket_that_ran_at_once_started_on_arrival():
    fair, _, clock = scheduler(4)
    await fair.acquire("a", 1.5)

    ticket = await fair.acquire("b", 2)

    assert ticket == Ticket("b", 2, started=clock.now, in_flight_at_start=1.5, waited=0.0)


async def test_a_ticket_that_waited_started_when_its_turn_came():
    fair, _, clock = scheduler(2)
    holder = await fair.acquire("a", 2)
    queued = await waiting(fair, "b", 1.5)
    clock.now += 3

    fair.release(holder, ok=True)
    await settle()

    assert queued.result() == Ticket("b", 1.5, started=clock.now, in_flight_at_start=0.0, waited=3.0)


async def test_a_sample_is_the_latency_per_unit_of_cost():
    fair, capacity, clock = scheduler(4)
    await fair.acquire("x", 1)
    ticket = await fair.acquire("a", 2)
    clock.now += 3

    fair.release(ticket, ok=True)

    assert capacity.samples == [(1.5, 1.0, clock.now)]


async def test_a_tiny_cost_is_read_as_a_tenth_of_a_unit():
    # A lookup costs little; its latency per unit must not be blown up by dividing by nearly nothing.
    fair, capacity, clock = scheduler(4)
    ticket = await fair.acquire("a", 0.01)
    clock.now += 0.3

    fair.release(ticket, ok=True)

    assert capacity.samples[0][0] == pytest.approx(3.0)


async def test_time_spent_waiting_elsewhere_is_not_taken_for_this_queues_latency():
    fair, capacity, clock = scheduler(4)
    first = await fair.acquire("a", 1)
    second = await fair.acquire("a", 1)
    clock.now += 5

    fair.release(first, ok=True, waited_inside=4)
    fair.release(second, ok=True, waited_inside=6)  # more than it took: no latency at all, not a negative one

    assert [seconds for seconds, _, _ in capacity.samples] == [1.0, 0.0]


async def test_work_that_failed_is_no_sample():
    fair, capacity, clock = scheduler(4)
    ticket = await fair.acquire("a", 1)
    clock.now += 3

    fair.release(ticket, ok=False)

    assert capacity.samples == []
    assert fair.in_flight == 0


async def refused_retry_after(fair: FairScheduler, caller: str = "late") -> int:
    with pytest.raises(Refused) as raised:
        await bounded(fair.acquire(caller, 1))
    assert f"retry after {raised.value.retry_after} s" in raised.value.detail
    return raised.value.retry_after


async def measured(fair: FairScheduler, clock: Clock, *seconds: float) -> None:
    """One unit of work that took each of `seconds`, alone in the queue."""
    for took in seconds:
        ticket = await fair.acquire("m", 1)
        clock.now += took
        fair.release(ticket, ok=True)


@pytest.mark.parametrize(("limit", "retry_after"), [(1, 6), (2, 3), (0.5, 6)])
async def test_retry_after_is_how_long_the_queue_takes_to_drain(limit, retry_after):
    # 3 s a unit, 2 units waiting: 6 s of work, shared by `limit` turns (a limit under one turn is one turn).
    fair, _, clock = scheduler(limit, queue=2)
    await measured(fair, clock, 3)
    holder = await fair.acquire("a", limit)
    queued = [await waiting(fair, "a") for _ in range(2)]

    assert await refused_retry_after(fair, "a") == retry_after

    fair.release(holder, ok=False)
    for task in queued:
        task.cancel()


async def test_the_seconds_per_unit_move_a_tenth_of_the_way_to_each_new_sample():
    fair, _, clock = scheduler(1, queue=10)
    await measured(fair, clock, 3, 23)  # 3, then 3 + (23 - 3) / 10 = 5 s a unit
    holder = await fair.acquire("a", 1)
    queued = [await waiting(fair, "a") for _ in range(10)]

    assert await refused_retry_after(fair, "a") == 50

    fair.release(holder, ok=False)
    for task in queued:
        task.cancel()


async def test_retry_after_is_at_most_a_minute():
    fair, _, clock = scheduler(1, queue=30)
    await measured(fair, clock, 3)
    holder = await fair.acquire("a", 1)
    queued = [await waiting(fair, "a") for _ in range(30)]  # 90 s of work

    assert await refused_retry_after(fair, "a") == 60

    fair.release(holder, ok=False)
    for task in queued:
        task.cancel()


async def test_retry_after_counts_only_what_still_waits():
    fair, _, clock = scheduler(1, queue=1)
    await measured(fair, clock, 3)
    holder = await fair.acquire("a", 1)
    served, gone = await waiting(fair, "b"), await waiting(fair, "d")
    gone.cancel()
    await settle()
    fair.release(holder, ok=True)  # b's runs, d's went away: neither waits now
    await settle()
    queued = await waiting(fair, "c")

    assert await refused_retry_after(fair, "c") == 3  # c's one unit at 3 s, not theirs too

    fair.release(served.result(), ok=True)
    await settle()
    fair.release(queued.result(), ok=True)
    assert (fair.in_flight, fair.queued, fair._callers) == (0, 0, {})


async def test_a_turn_that_comes_as_the_waiter_goes_away_is_given_back_unmeasured():
    fair, capacity, clock = scheduler(1)
    holder = await fair.acquire("a", 1)
    gone = await waiting(fair, "b")
    after = await waiting(fair, "c")
    clock.now += 2

    fair.release(holder, ok=False)  # b's turn: handed over, but b is not running yet
    gone.cancel()  # and its client hangs up before it runs
    await settle()

    assert gone.cancelled()
    assert after.done()  # the turn went on to c
    assert capacity.samples == []  # b's never-done work is no latency
    assert fair.in_flight == 1
    assert set(fair._callers) == {"c"}
    fair.release(after.result(), ok=True)
    assert (fair.in_flight, fair.queued, fair._callers) == (0, 0, {})


async def test_fractional_units_leave_nothing_in_flight_and_work_larger_than_the_limit_runs_in_an_empty_lane():
    """Found under InstantSearch's load: 5.9 added and taken three times left 1.8e-15 in flight, so the lane was
    never empty again, work larger than its limit never ran, and every search behind it timed out, for good."""
    fair, capacity, _ = scheduler(30)
    tickets = [await fair.acquire(caller, 5.9) for caller in ("a", "b", "c")]
    for ticket in tickets:
        fair.release(ticket, ok=True)
    assert (fair.in_flight, fair._callers) == (0.0, {})

    capacity.limit = 14.45  # the latency brought it down meanwhile
    big = await asyncio.wait_for(fair.acquire("d", 20.9), 1)  # an empty lane takes it, whatever its size
    assert fair.in_flight == 20.9
    fair.release(big, ok=False)
    assert fair.in_flight == 0.0


async def test_when_the_head_of_the_queue_gives_up_the_work_behind_it_that_fits_runs():
    fair, _, _ = scheduler(4, queue=100)
    running = await fair.acquire("a", 3)
    head = await waiting(fair, "b", 4)  # waits for the whole lane
    behind = await waiting(fair, "b", 1)  # fits beside `a`, but is queued behind the head
    assert not behind.done()
    head.cancel()
    await settle()
    assert behind.done()
    fair.release(running, ok=True)
    fair.release(behind.result(), ok=True)
    assert fair.in_flight == 0.0
