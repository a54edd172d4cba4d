"""The fair scheduler under any interleaving of arrivals, completions and callers that go away (hypothesis):
its counts stay true, it never idles while work waits, and everything that waited is served or refused."""

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_service.admission.callers import Refused
from search_service.admission.fair_queue import FairScheduler, FixedLimit, Ticket

CALLERS = st.sampled_from(["a", "b", "c", "d"])
UNITS = st.sampled_from([0.5, 1.0, 2.5, 6.0])
STEP = st.one_of(
    st.tuples(st.just("arrive"), CALLERS, UNITS),
    st.tuples(st.just("finish"), st.integers(0, 50), st.just(0.0)),
    st.tuples(st.just("leave"), st.integers(0, 50), st.just(0.0)),
)


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


def assert_callers_counted(fair: FairScheduler, tasks: list[asyncio.Task[Ticket]], held: list[Ticket]) -> None:
    """Each caller's own counts are true too (they decide its headroom and its queue's bound), and a caller with
    nothing in flight or waiting is forgotten."""
    counts: dict[str, tuple[float, int]] = {}
    for ticket in held:
        in_flight, waiting = counts.get(ticket.caller, (0.0, 0))
        counts[ticket.caller] = (in_flight + ticket.units, waiting)
    for task in tasks:
        if not task.done():
            caller = task.get_name()
            in_flight, waiting = counts.get(caller, (0.0, 0))
            counts[caller] = (in_flight, waiting + 1)
    assert set(fair._callers) == set(counts)
    for caller, (in_flight, waiting) in counts.items():
        assert abs(fair._callers[caller].in_flight - in_flight) < 1e-6
        assert fair._callers[caller].waiting == waiting


async def run(steps: list[tuple[str, object, float]], limit: float, queue: int) -> None:
    fair = FairScheduler(FixedLimit(limit), queue_per_caller=queue, wait=60, overcommit=0.25)
    tasks: list[asyncio.Task[Ticket]] = []
    finished: set[int] = set()

    def holding() -> list[Ticket]:
        return [
            task.result()
            for i, task in enumerate(tasks)
            if task.done() and not task.cancelled() and task.exception() is None and i not in finished
        ]

    for kind, which, units in steps:
        if kind == "arrive":
            tasks.append(asyncio.create_task(fair.acquire(str(which), units), name=str(which)))
        elif tasks:
            i = int(which) % len(tasks)  # type: ignore[call-overload]
            task = tasks[i]
            if kind == "finish" and task.done() and not task.cancelled() and task.exception() is None:
                if i not in finished:
                    finished.add(i)
                    fair.release(task.result(), ok=True)
            elif kind == "leave" and not task.done():
                task.cancel()
        await settle()
        waiting = sum(not task.done() for task in tasks)
        assert fair.queued == waiting
        assert abs(fair.in_flight - sum(ticket.units for ticket in holding())) < 1e-6
        if waiting:
            assert fair.in_flight > 0  # never idle while work waits
        assert_callers_counted(fair, tasks, holding())

    for _ in range(len(tasks) + 1):  # every turn given back, one round at a time: all the rest are served
        for ticket in holding():
            fair.release(ticket, ok=True)
            finished.update(
                i
                for i, task in enumerate(tasks)
                if task.done() and not task.cancelled() and task.exception() is None and task.result() is ticket
            )
        await settle()
    assert all(task.done() for task in tasks)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            assert isinstance(task.exception(), Refused)
    assert fair.queued == 0
    assert fair.in_flight == 0
    assert not fair._callers
    assert fair._queued_units == 0  # what Retry-After is computed from


@settings(
    max_examples=300, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(steps=st.lists(STEP, max_size=60), limit=st.sampled_from([1.0, 3.0, 8.0]), queue=st.integers(0, 5))
def test_any_interleaving_keeps_the_counts_and_serves_everyone(steps, limit, queue):
    asyncio.run(run(steps, limit, queue))
