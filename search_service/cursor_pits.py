"""Which point in time each first-page cursor reads, and how many one caller opens: bookkeeping per worker
process, no I/O of its own (pagination.py opens and closes them).

A first-page cursor carries no point in time: following it opens one. Replayed, it opened one each time — a
hostile test opened 4,608 in 30 s from 100 addresses, each held until its keep-alive (issue 19). So the point in
time opened for a cursor (its search digest and offset: every first page of one search gives the same) is
remembered for a quarter of SEARCH_CURSOR_KEEP_ALIVE, and replays read it; replays that arrive while it is being
opened wait for that one opening. And a caller may open at most SEARCH_CURSOR_MAX_OPEN per keep-alive.
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from search_service.admission import RateLimit
from search_service.query.cursor import Cursor
from search_service.settings import ServiceSettings

# Remembered for less than the keep-alive, so that a remembered point in time is surely alive (opening it and
# every page read in it renew the keep-alive); short, so that a replay reads a view of the index as fresh as its
# first page's, near enough. Sustained replays of one cursor hold at most ~(1 + 1 / fraction) open at once.
REMEMBERED_FRACTION_OF_KEEP_ALIVE = 0.25
# Cursors remembered per worker (a few hundred bytes each); past it the oldest is forgotten: its replays open
# points in time of their own again, which the callers' own bound still counts.
REMEMBERED_CURSORS = 10_000

CursorKey = tuple[str, int]  # (search digest, offset)


class SharedPits:
    """Point-in-time ids by cursor, each remembered `ttl` seconds after its opening, at most `capacity` of them.

    One opening per cursor at a time: concurrent callers of `pit_for` wait for it. A failed opening is not
    remembered, and whoever waited for it tries for itself (its own caller's bound applies, not another's)."""

    def __init__(self, *, ttl: float, capacity: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.clock = clock
        # In order of opening, which with one ttl is also the order of expiry.
        self._remembered: OrderedDict[CursorKey, tuple[str, float]] = OrderedDict()
        self._cursors_of: dict[str, CursorKey] = {}
        # None when the opening failed: the waiters then try for themselves.
        self._opening: dict[CursorKey, asyncio.Future[str | None]] = {}

    async def pit_for(self, key: CursorKey, open_pit: Callable[[], Awaitable[str]]) -> str:
        """The point in time remembered for `key`, or the one an opening under way gives, or `open_pit()`'s."""
        while (pit_id := self.remembered(key)) is None:
            pending = self._opening.get(key)
            if pending is None:
                return await self._open(key, open_pit)
            # Shielded: a waiter that goes away (its client hung up) must not cancel the opening for the others.
            if (pit_id := await asyncio.shield(pending)) is not None:
                return pit_id
        return pit_id

    async def _open(self, key: CursorKey, open_pit: Callable[[], Awaitable[str]]) -> str:
        opened = asyncio.get_running_loop().create_future()
        self._opening[key] = opened
        pit_id = None
        try:
            pit_id = await open_pit()
            self._remember(key, pit_id)
            return pit_id
        finally:
            del self._opening[key]
            opened.set_result(pit_id)

    def remembered(self, key: CursorKey) -> str | None:
        entry = self._remembered.get(key)
        if entry is None:
            return None
        if entry[1] <= self.clock():
            self._forget_key(key)
            return None
        return entry[0]

    def shares(self, pit_id: str) -> bool:
        """Whether replays of a cursor may read `pit_id`: then it must not be closed when one walk ends."""
        key = self._cursors_of.get(pit_id)
        return key is not None and self.remembered(key) == pit_id

    def forget(self, pit_id: str) -> None:
        """Elasticsearch has lost `pit_id` (a restart): the next replay of its cursor opens another."""
        key = self._cursors_of.get(pit_id)
        if key is not None:
            self._forget_key(key)

    def __len__(self) -> int:
        return len(self._remembered)

    def _remember(self, key: CursorKey, pit_id: str) -> None:
        now = self.clock()
        while self._remembered and (
            len(self._remembered) >= self.capacity or next(iter(self._remembered.values()))[1] <= now
        ):
            self._forget_key(next(iter(self._remembered)))
        self._remembered[key] = (pit_id, now + self.ttl)
        self._cursors_of[pit_id] = key

    def _forget_key(self, key: CursorKey) -> None:
        pit_id, _ = self._remembered.pop(key)
        if self._cursors_of.get(pit_id) == key:
            del self._cursors_of[pit_id]


@dataclass
class CursorPits:
    shared: SharedPits
    openings: RateLimit  # SEARCH_CURSOR_MAX_OPEN per SEARCH_CURSOR_KEEP_ALIVE, per caller


_current: tuple[ServiceSettings, CursorPits] | None = None


def cursor_pits_for(config: ServiceSettings) -> CursorPits:
    """The worker's bookkeeping for `config`; made anew when the configuration object changes (tests do that)."""
    global _current
    if _current is None or _current[0] is not config:
        keep_alive = config.search_cursor_keep_alive
        pits = CursorPits(
            shared=SharedPits(ttl=keep_alive * REMEMBERED_FRACTION_OF_KEEP_ALIVE, capacity=REMEMBERED_CURSORS),
            openings=RateLimit(
                f"{config.search_cursor_max_open} per {keep_alive} seconds",
                code="too_many_cursors",
                what="cursor walks opened",
            ),
        )
        _current = (config, pits)
    return _current[1]


def current_shared_pits() -> SharedPits | None:
    """The worker's remembered points in time, where no configuration is at hand (closing one)."""
    return None if _current is None else _current[1].shared


def shares_point_in_time(config: ServiceSettings, cursor: Cursor) -> bool:
    """Whether following `cursor` reads a point in time already open for it (a replay), rather than opening one."""
    return cursor_pits_for(config).shared.remembered((cursor.digest, cursor.offset)) is not None
