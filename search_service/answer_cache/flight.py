"""Single flight: concurrent requests for the same missing answer share one making of it.

The making runs as a task of its own, so that the request that started it may leave (its client disconnected)
while others still wait; it is cancelled only when every request waiting on it has left. Its failure reaches the
requests that waited on it and no other: the flight ends with it, and the next request starts a new one.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Flight(Generic[T]):
    task: "asyncio.Future[T]"
    waiters: int = field(default=0)


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._flights: dict[bytes, _Flight[T]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: bytes, make: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """`make()`'s value, made once for all concurrent callers with `key`; and whether this caller made it
        (False: it waited on another's)."""
        flight = self._flights.get(key)
        leads = flight is None
        if flight is None:
            flight = self._flights[key] = _Flight(asyncio.ensure_future(make()))
            flight.task.add_done_callback(partial(self._landed, key, flight))
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task), leads
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                flight.task.cancel()  # nobody waits for it any more: stop the search

    def _landed(self, key: bytes, flight: _Flight[T], task: "asyncio.Future[T]") -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not task.cancelled():
            task.exception()  # retrieved: a failure nobody waited for is not logged as never retrieved
