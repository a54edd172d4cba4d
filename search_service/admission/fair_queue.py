"""Fair shares of a limited capacity between callers: start-time fair queuing, weighted by cost (per worker).

Work runs at once while it fits under the limit. Beyond it, each request waits with a tag: its caller's previous
tag (or the queue's virtual time, for a caller that was idle) plus its cost; the smallest tag runs next. A caller
alone uses all the capacity (the scheduler never idles while work waits); callers that compete get equal shares
of cost, so a caller with a thousand requests queued delays a newcomer's single request by one turn, not a
thousand. This is the order of Kubernetes' API Priority and Fairness and of Goyal's start-time fair queuing, with
one queue per caller instead of shuffle-sharded ones: a worker sees few enough callers at once for a dict.

A caller with nothing in flight may also take some headroom over the limit (`overcommit`): the light client next
to a heavy one then does not even wait for a turn.

Bounded: at most `queue_per_caller` requests of one caller wait, each at most `wait` seconds; beyond that the
request is refused (Refused, 429 `overloaded`) with a Retry-After of how long the queue would take to drain.
Runs on the event loop only, without locks: every method runs to completion between awaits.
"""

import asyncio
import heapq
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from search_service.admission.callers import Refused

# Units are fractions (cost.py), and floating-point sums do not return exactly to zero: 5.9 added and taken three
# times leaves 1.8e-15 in flight, and a lane that is never empty again never admits work larger than its limit
# (a call of InstantSearch's searches: it wedged the queue for good). Below this, nothing is in flight.
SETTLED = 1e-6


def _settled(units: float) -> float:
    return 0.0 if units < SETTLED else units


# How much room over the limit a caller with nothing in flight may take (`overcommit`, for the door and the
# ordinary lane): the light client beside a heavy one then does not wait for a turn at all.
NEWCOMER_HEADROOM = 0.25


class Limit(Protocol):
    limit: float

    def sample(self, seconds_per_unit: float, *, in_flight: float, now: float) -> None: ...


@dataclass
class FixedLimit:
    limit: float

    def sample(self, seconds_per_unit: float, *, in_flight: float, now: float) -> None:
        pass


@dataclass
class _Caller:
    in_flight: float = 0.0
    waiting: int = 0
    finish: float = 0.0  # the tag of its last queued request


@dataclass(eq=False)
class _Waiter:
    caller: str
    units: float
    future: asyncio.Future[None]


@dataclass(frozen=True, slots=True)
class Ticket:
    """A turn: given back to `FairScheduler.release` when the work is done."""

    caller: str
    units: float
    started: float
    in_flight_at_start: float
    waited: float


@dataclass
class FairScheduler:
    capacity: Limit
    queue_per_caller: int
    wait: float
    overcommit: float = 0.0
    name: str = "searches"
    code: str = "overloaded"
    # Tickets' times and latency samples; tests pass a clock of their own, so that no sample depends on the machine.
    # (A wait's bound runs on the event loop's clock, asyncio.timeout.)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    in_flight: float = 0.0
    queued: int = 0
    _virtual: float = 0.0
    _queued_units: float = 0.0
    _seconds_per_unit: float = 0.0
    _callers: dict[str, _Caller] = field(default_factory=dict)
    _heap: list[tuple[float, int, _Waiter]] = field(default_factory=list)
    _order: "itertools.count[int]" = field(default_factory=itertools.count)

    async def acquire(self, caller: str, units: float) -> Ticket:
        """Wait for the caller's turn (none if the work fits now); Refused when its queue is full or the wait ends."""
        arrived = self.clock()
        state = self._callers.get(caller)
        if state is None:
            state = self._callers[caller] = _Caller()
        if self._fits_now(units, state):
            return self._start(caller, state, units, arrived, arrived)
        if state.waiting >= self.queue_per_caller:
            self._forget_if_idle(caller, state)
            raise self._refuse(f"this caller already has {state.waiting} {self.name} waiting")
        tag = max(self._virtual, state.finish) + units
        state.finish = tag
        state.waiting += 1
        self.queued += 1
        self._queued_units += units
        waiter = _Waiter(caller, units, asyncio.get_running_loop().create_future())
        heapq.heappush(self._heap, (tag, next(self._order), waiter))
        try:
            async with asyncio.timeout(self.wait):
                await waiter.future
        except BaseException as error:
            if waiter.future.done() and not waiter.future.cancelled():
                # The turn came as the wait ended: give it back.
                self.release(self._ticket(caller, units, arrived), ok=False)
            else:
                waiter.future.cancel()  # left in the heap; _dispatch skips it
                self._unqueue(state, units)
                self._forget_if_idle(caller, state)
                self._dispatch()  # it may have been the head that the ones behind it waited for
            if isinstance(error, TimeoutError):
                raise self._refuse(f"no turn within {self.wait:g} s") from None
            raise
        return self._ticket(caller, units, arrived)

    def try_acquire(self, caller: str, units: float) -> Ticket | None:
        """A turn now if the work fits, else None: for extras that are better skipped than waited for."""
        state = self._callers.get(caller) or _Caller()
        if not self._fits_now(units, state):
            return None
        self._callers[caller] = state
        now = self.clock()
        return self._start(caller, state, units, now, now)

    def release(self, ticket: Ticket, *, ok: bool, waited_inside: float = 0.0) -> None:
        """The work of `ticket` is done; `ok` when it succeeded (its latency is then a sample, less `waited_inside`:
        time spent waiting in another queue, which says nothing about this one's capacity)."""
        self.in_flight = _settled(self.in_flight - ticket.units)
        state = self._callers.get(ticket.caller)
        if state is not None:
            state.in_flight = _settled(state.in_flight - ticket.units)
            self._forget_if_idle(ticket.caller, state)
        if ok:
            now = self.clock()
            per_unit = max(0.0, now - ticket.started - waited_inside) / max(ticket.units, 0.1)
            self._seconds_per_unit += (per_unit - self._seconds_per_unit) / 10 if self._seconds_per_unit else per_unit
            self.capacity.sample(per_unit, in_flight=ticket.in_flight_at_start, now=now)
        self._dispatch()

    def _fits_now(self, units: float, state: _Caller) -> bool:
        if self.in_flight == 0 or (not self._heap and self.in_flight + units <= self.capacity.limit):
            return True
        # Headroom for a caller with nothing in flight or waiting: the light client beside a heavy one.
        newcomer = state.in_flight == 0 and state.waiting == 0
        return newcomer and self.in_flight + units <= self.capacity.limit * (1 + self.overcommit)

    def _start(self, caller: str, state: _Caller, units: float, arrived: float, now: float) -> Ticket:
        ticket = Ticket(caller, units, now, self.in_flight, now - arrived)
        self.in_flight += units
        state.in_flight += units
        return ticket

    def _ticket(self, caller: str, units: float, arrived: float) -> Ticket:
        # The turn was taken by _dispatch (in_flight already counts it); only the times are new.
        now = self.clock()
        return Ticket(caller, units, now, self.in_flight - units, now - arrived)

    def _dispatch(self) -> None:
        while self._heap:
            tag, _, waiter = self._heap[0]
            if waiter.future.done():  # gave up waiting
                heapq.heappop(self._heap)
                continue
            if self.in_flight and self.in_flight + waiter.units > self.capacity.limit:
                return
            heapq.heappop(self._heap)
            self._virtual = tag - waiter.units  # the start tag of what runs now
            state = self._callers.setdefault(waiter.caller, _Caller())
            self._unqueue(state, waiter.units)
            self.in_flight += waiter.units
            state.in_flight += waiter.units
            waiter.future.set_result(None)

    def _unqueue(self, state: _Caller, units: float) -> None:
        state.waiting -= 1
        self.queued -= 1
        self._queued_units = _settled(self._queued_units - units)

    def _forget_if_idle(self, caller: str, state: _Caller) -> None:
        if state.in_flight <= 0 and state.waiting <= 0:
            self._callers.pop(caller, None)

    def _refuse(self, why: str) -> Refused:
        # How long the queue ahead would take to drain at today's pace: a client that waits that long finds room.
        drain = self._queued_units * self._seconds_per_unit / max(self.capacity.limit, 1.0)
        retry_after = min(60, max(1, math.ceil(drain)))
        return Refused(
            self.code,
            f"{why}: the service is at capacity for {self.name} and serves callers in turn; retry after "
            f"{retry_after} s",
            retry_after,
        )
