"""The points in time first-page cursors share, and the bound on a caller's openings, on their own: no server.

Openings wait for the test to let them finish (an event, not a delay), so the order of events is the test's on
any machine; every wait is bounded, so that a lost wake-up fails instead of hanging."""

import asyncio

import pytest

from search_service.admission import Refused
from search_service.cursor_pits import (
    REMEMBERED_CURSORS,
    SharedPits,
    current_shared_pits,
    cursor_pits_for,
    shares_point_in_time,
)
from search_service.query.cursor import Cursor
from tests.admission.turns import Clock, bounded, settle
from tests.conftest import service_settings

KEY = ("digest", 10)


class Opener:
    """Opens `pit-1`, `pit-2`, ...; each opening waits for `finish` when one is given; the first `failures` fail."""

    def __init__(self, finish: asyncio.Event | None = None, failures: int = 0) -> None:
        self.finish = finish
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.finish is not None:
            await self.finish.wait()
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
    finish = asyncio.Event()
    shared, opener = SharedPits(ttl=30, capacity=10), Opener(finish)
    replays = [asyncio.create_task(bounded(shared.pit_for(KEY, opener))) for _ in range(50)]
    await settle()
    assert opener.calls == 1  # the others wait for it

    finish.set()

    assert await bounded(asyncio.gather(*replays)) == ["pit-1"] * 50
    assert opener.calls == 1


async def test_a_failed_opening_is_not_remembered_and_its_waiters_try_for_themselves():
    finish = asyncio.Event()
    shared, opener = SharedPits(ttl=30, capacity=10), Opener(finish, failures=1)
    replays = [asyncio.create_task(bounded(shared.pit_for(KEY, opener))) for _ in range(5)]
    await settle()

    finish.set()
    results = await bounded(asyncio.gather(*replays, return_exceptions=True))

    assert isinstance(results[0], ConnectionError)  # the opener's own failure, not the others'
    assert results[1:] == ["pit-2"] * 4
    assert opener.calls == 2


async def test_a_waiter_that_goes_away_does_not_cancel_the_opening():
    finish = asyncio.Event()
    shared, opener = SharedPits(ttl=30, capacity=10), Opener(finish)
    first = asyncio.create_task(bounded(shared.pit_for(KEY, opener)))
    await settle()
    waiter = asyncio.create_task(bounded(shared.pit_for(KEY, opener)))
    await settle()

    waiter.cancel()
    await settle()
    finish.set()

    assert await bounded(first) == "pit-1"
    assert opener.calls == 1
    with pytest.raises(asyncio.CancelledError):
        await waiter


async def test_an_opener_that_goes_away_leaves_its_waiters_to_open_one():
    finish = asyncio.Event()
    shared, opener = SharedPits(ttl=30, capacity=10), Opener(finish)
    first = asyncio.create_task(bounded(shared.pit_for(KEY, opener)))
    await settle()
    waiter = asyncio.create_task(bounded(shared.pit_for(KEY, opener)))
    await settle()

    first.cancel()
    await settle()
    finish.set()

    assert await bounded(waiter) == "pit-2"
    assert shared.remembered(KEY) == "pit-2"


async def test_at_its_capacity_every_cursor_is_remembered_and_past_it_the_oldest_is_forgotten():
    shared, opener = SharedPits(ttl=30, capacity=2), Opener()
    for offset in (10, 20):
        await shared.pit_for(("digest", offset), opener)
    assert len(shared) == 2  # at the capacity: both

    await shared.pit_for(("digest", 30), opener)  # one past it

    assert len(shared) == 2
    assert shared.remembered(("digest", 10)) is None
    assert shared.remembered(("digest", 20)) == "pit-2"
    assert shared.remembered(("digest", 30)) == "pit-3"
    assert not shared.shares("pit-1")  # its walk closes it when it ends


async def test_cursors_past_their_ttl_are_forgotten_when_another_is_remembered():
    clock, opener = Clock(), Opener()
    shared = SharedPits(ttl=30, capacity=10, clock=clock)
    await shared.pit_for(("digest", 10), opener)
    clock.now += 10
    await shared.pit_for(("digest", 20), opener)
    clock.now += 20  # the first one's ttl exactly, not the second's

    await shared.pit_for(("digest", 30), opener)

    assert len(shared) == 2
    assert shared.remembered(("digest", 20)) == "pit-2"


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


@pytest.mark.parametrize("bound", [1, 2])
async def test_a_caller_opens_exactly_its_bound_per_keep_alive_and_not_one_more(bound):
    config = service_settings(search_cursor_max_open=bound, search_cursor_keep_alive=120)
    openings = cursor_pits_for(config).openings
    for _ in range(bound):
        await openings.hit("203.0.113.1")

    with pytest.raises(Refused) as refused:
        await openings.hit("203.0.113.1")

    assert refused.value.code == "too_many_cursors"
    assert 1 <= refused.value.retry_after <= 120
    assert f"more than {bound} cursor walks opened in 120 second(s)" in refused.value.detail
    await openings.hit("203.0.113.2")  # another caller has its own


def test_the_bookkeeping_is_remembered_for_a_quarter_of_the_keep_alive():
    config = service_settings(search_cursor_keep_alive=120)
    pits = cursor_pits_for(config)
    assert cursor_pits_for(config) is pits
    assert (pits.shared.ttl, pits.shared.capacity) == (30, REMEMBERED_CURSORS)
    assert current_shared_pits() is pits.shared
    assert cursor_pits_for(service_settings(search_cursor_keep_alive=120)) is not pits  # another configuration


async def test_a_replay_is_told_apart_from_a_first_opening():
    config = service_settings()
    cursor = Cursor(digest="digest", offset=10)
    assert not shares_point_in_time(config, cursor)

    await cursor_pits_for(config).shared.pit_for(("digest", 10), Opener())

    assert shares_point_in_time(config, cursor)
    assert not shares_point_in_time(config, Cursor(digest="digest", offset=20))
