"""The points in time first-page cursors share, and the bound on a caller's openings, on their own: no server."""

import asyncio

import pytest

from search_service.admission import Refused
from search_service.cursor_pits import SharedPits, cursor_pits_for
from tests.conftest import service_settings

KEY = ("digest", 10)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Opener:
    """Opens `pit-1`, `pit-2`, ... after `delay` seconds; the first `failures` openings fail."""

    def __init__(self, delay: float = 0, failures: int = 0) -> None:
        self.delay = delay
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.calls <= self.failures:
            raise ConnectionError("Elasticsearch is away")
        return f"pit-{self.calls}"


async def test_replays_within_the_ttl_read_one_point_in_time_and_later_ones_a_new_one():
    clock, opener = Clock(), Opener()
    shared = SharedPits(ttl=30, capacity=10, clock=clock)

    assert [await shared.pit_for(KEY, opener) for _ in range(5)] == ["pit-1"] * 5
    clock.now += 29
    assert await shared.pit_for(KEY, opener) == "pit-1"
    clock.now += 1
    assert await shared.pit_for(KEY, opener) == "pit-2"
    assert await shared.pit_for(("digest", 20), opener) == "pit-3"  # another offset: another cursor


async def test_concurrent_replays_share_one_opening():
    shared, opener = SharedPits(ttl=30, capacity=10), Opener(delay=0.01)

    pits = await asyncio.gather(*(shared.pit_for(KEY, opener) for _ in range(50)))

    assert set(pits) == {"pit-1"}
    assert opener.calls == 1


async def test_a_failed_opening_is_not_remembered_and_its_waiters_try_for_themselves():
    shared, opener = SharedPits(ttl=30, capacity=10), Opener(delay=0.01, failures=1)

    results = await asyncio.gather(*(shared.pit_for(KEY, opener) for _ in range(5)), return_exceptions=True)

    assert isinstance(results[0], ConnectionError)  # the opener's own failure, not the others'
    assert results[1:] == ["pit-2"] * 4
    assert opener.calls == 2


async def test_a_waiter_that_goes_away_does_not_cancel_the_opening():
    shared, opener = SharedPits(ttl=30, capacity=10), Opener(delay=0.05)
    first = asyncio.create_task(shared.pit_for(KEY, opener))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(shared.pit_for(KEY, opener))
    await asyncio.sleep(0.01)

    waiter.cancel()

    assert await first == "pit-1"
    assert opener.calls == 1
    with pytest.raises(asyncio.CancelledError):
        await waiter


async def test_an_opener_that_goes_away_leaves_its_waiters_to_open_one():
    shared, opener = SharedPits(ttl=30, capacity=10), Opener(delay=0.05)
    first = asyncio.create_task(shared.pit_for(KEY, opener))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(shared.pit_for(KEY, opener))
    await asyncio.sleep(0.01)

    first.cancel()

    assert await waiter == "pit-2"


async def test_past_its_capacity_the_oldest_cursor_is_forgotten():
    shared, opener = SharedPits(ttl=30, capacity=2), Opener()
    for offset in (10, 20, 30):
        await shared.pit_for(("digest", offset), opener)

    assert len(shared) == 2
    assert shared.remembered(("digest", 10)) is None
    assert shared.remembered(("digest", 30)) == "pit-3"


async def test_a_shared_point_in_time_is_kept_from_closing_until_forgotten():
    clock, opener = Clock(), Opener()
    shared = SharedPits(ttl=30, capacity=10, clock=clock)
    await shared.pit_for(KEY, opener)

    assert shared.shares("pit-1")
    assert not shared.shares("pit-other")
    shared.forget("pit-1")  # Elasticsearch lost it
    assert not shared.shares("pit-1")
    assert await shared.pit_for(KEY, opener) == "pit-2"
    clock.now += 30
    assert not shared.shares("pit-2")  # past its ttl: the walk that ends closes it


async def test_a_caller_opens_at_most_its_bound_per_keep_alive():
    config = service_settings(search_cursor_max_open=2, search_cursor_keep_alive=120)
    openings = cursor_pits_for(config).openings
    await openings.hit("203.0.113.1")
    await openings.hit("203.0.113.1")

    with pytest.raises(Refused) as refused:
        await openings.hit("203.0.113.1")

    assert refused.value.code == "too_many_cursors"
    assert 1 <= refused.value.retry_after <= 120
    assert "more than 2 cursor walks opened in 120 second(s)" in refused.value.detail
    await openings.hit("203.0.113.2")  # another caller has its own


def test_the_bookkeeping_is_remembered_for_a_quarter_of_the_keep_alive():
    config = service_settings(search_cursor_keep_alive=120)
    assert cursor_pits_for(config) is cursor_pits_for(config)
    assert cursor_pits_for(config).shared.ttl == 30
