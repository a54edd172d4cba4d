"""Single flight: identical misses in flight share one making; failures and departures stay with their own."""

import asyncio

import pytest

from search_service.answer_cache.flight import SingleFlight


async def test_concurrent_callers_share_one_making_and_only_the_first_leads():
    flights: SingleFlight[int] = SingleFlight()
    made = 0
    gate = asyncio.Event()

    async def make() -> int:
        nonlocal made
        made += 1
        await gate.wait()
        return 42

    callers = [asyncio.ensure_future(flights.run(b"k", make)) for _ in range(100)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*callers)

    assert made == 1
    assert [value for value, _ in results] == [42] * 100
    assert sum(leads for _, leads in results) == 1
    assert len(flights) == 0


async def test_a_failure_reaches_those_who_waited_and_the_next_caller_tries_again():
    flights: SingleFlight[int] = SingleFlight()
    attempts = 0
    gate = asyncio.Event()

    async def make() -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            await gate.wait()
            raise RuntimeError("the search failed")
        return 7

    waiting = [asyncio.ensure_future(flights.run(b"k", make)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)

    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    assert await flights.run(b"k", make) == (7, True)
    assert attempts == 2


async def test_the_caller_who_started_it_may_leave_while_others_wait():
    flights: SingleFlight[str] = SingleFlight()
    gate = asyncio.Event()

    async def make() -> str:
        await gate.wait()
        return "answer"

    leader = asyncio.ensure_future(flights.run(b"k", make))
    await asyncio.sleep(0)
    follower = asyncio.ensure_future(flights.run(b"k", make))
    await asyncio.sleep(0)
    leader.cancel()
    await asyncio.sleep(0)
    gate.set()

    assert await follower == ("answer", False)
    with pytest.raises(asyncio.CancelledError):
        await leader


async def test_when_every_caller_has_left_the_making_is_cancelled():
    flights: SingleFlight[str] = SingleFlight()
    cancelled = asyncio.Event()

    async def make() -> str:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    callers = [asyncio.ensure_future(flights.run(b"k", make)) for _ in range(2)]
    await asyncio.sleep(0)
    for caller in callers:
        caller.cancel()
    await asyncio.wait_for(cancelled.wait(), 1)
    assert len(flights) == 0
