"""What the admission tests share: a clock the test moves, and a bound on every wait, so that a mutant or a bug
that loses a turn fails the test in seconds instead of hanging it."""

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from search_service.admission.fair_queue import FairScheduler, FixedLimit, Ticket

T = TypeVar("T")

# Far longer than any turn takes on a loaded machine: reaching it means the turn never came.
BOUND = 5.0


class Clock:
    """Seconds that pass only when the test says so: tickets and latency samples read it."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def bounded(awaitable: Awaitable[T], seconds: float = BOUND) -> T:
    """`awaitable`'s result, or TimeoutError after `seconds`; in the caller's task (wait_for would add one, and a
    turn taken would then need another loop iteration to show)."""
    async with asyncio.timeout(seconds):
        return await awaitable


async def settle(rounds: int = 5) -> None:
    """Let every task that can run, run: a turn handed over wakes its waiter a loop iteration or two later."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def scheduler(limit: float, *, queue: int = 100, wait: float = 5.0, overcommit: float = 0.0) -> FairScheduler:
    return FairScheduler(FixedLimit(limit), queue_per_caller=queue, wait=wait, overcommit=overcommit, clock=Clock())


async def waiting(fair: FairScheduler, caller: str, units: float = 1.0) -> asyncio.Task[Ticket]:
    task = asyncio.create_task(bounded(fair.acquire(caller, units)))
    await asyncio.sleep(0)
    return task


def assert_idle(fair: FairScheduler) -> None:
    """Nothing in flight, nothing waiting, no caller remembered: every turn was given back."""
    assert (fair.in_flight, fair.queued, fair._callers) == (0, 0, {})
