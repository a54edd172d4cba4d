"""The threads the database work runs in: one for API-key lookups, one for writes (analytics rows, keys'
`last_used`), one for the analytics reports. None of them is asgiref's one thread for sync code.

Why not the ORM's async interface: it runs every query in that one shared thread, so a stalled disk or a 4-s report
held every key check behind it, and would hold anything else sent there (issue 20). Here a stalled database holds
only its own thread: a key lookup gives up after API_KEY_LOOKUP_TIMEOUT and the search goes on with the keys in
the cache, a report cannot delay a key check, and a frozen write leaves lookups alone.

Each thread keeps its own database connection (Django's connections belong to a thread), checked before every
call. The threads are daemons: one stuck in a frozen database must not keep the process from exiting.
"""

import asyncio
import concurrent.futures
import contextlib
import functools
import queue
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import DatabaseError, close_old_connections, connections

T = TypeVar("T")


class DatabaseFailed(Exception):
    """A database call failed; `reason` is the database's message, for the log.

    Raised instead of Django's own error, whose traceback holds the frames of the failed call, their locals (a
    batch of rows: megabytes) and, through Django's error wrapper, a reference cycle: each failed batch stayed in
    memory until a full garbage collection (issue 20: 105 MB -> 2.35 GB with a full disk). This one is made in
    the caller's coroutine and refers to nothing of the call."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DatabaseThread:
    """One daemon thread running database calls one at a time, in the order they were sent."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._calls: queue.SimpleQueue[tuple[concurrent.futures.Future[Any], Callable[[], Any]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._started = threading.Lock()
        self._running_since: float | None = None  # time.monotonic() when the call running now began; None: idle

    async def run(self, call: Callable[[], T], *, within: float | None = None, check: bool = True) -> T:
        """`call()`'s result, run in this thread. DatabaseFailed if the database failed. `check`: replace a stale
        or broken connection first.

        TimeoutError once a call, this one or one ahead of it, has run `within` seconds: the database is stuck. A
        call that waits its turn behind calls that end is not timed out: a burst of lookups queued behind each
        other is work, not a stall (1,000 concurrent requests with the key cache off got 503s on a loaded machine
        when the bound counted the queue). Timed out, the call ends in its thread if it has started (its result is
        dropped) and never starts if it has not."""
        future: concurrent.futures.Future[T | _Failed] = concurrent.futures.Future()
        self._ensure_thread()
        self._calls.put((future, functools.partial(_checked_call, call, check=check)))
        waiting = asyncio.wrap_future(future)
        if within is not None:
            await self._wait_while_moving(waiting, within)
        outcome = await waiting
        # A failure comes back as a value and is raised here, afresh, once nothing refers to the futures: an
        # exception kept in a future that its own traceback's frames refer to is a reference cycle per failure.
        del future, waiting
        if isinstance(outcome, _Failed):
            raise DatabaseFailed(outcome.reason)
        return outcome

    async def _wait_while_moving(self, waiting: asyncio.Future[Any], within: float) -> None:
        while not waiting.done():
            running_since = self._running_since
            stuck_for = 0.0 if running_since is None else time.monotonic() - running_since
            if stuck_for >= within:
                waiting.cancel()
                raise TimeoutError
            await asyncio.wait((waiting,), timeout=within - stuck_for)

    @property
    def started(self) -> bool:
        return self._thread is not None

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._started:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
                    self._thread.start()

    def _serve(self) -> None:
        while True:
            future, call = self._calls.get()
            if not future.set_running_or_notify_cancel():
                continue  # its caller gave up before it started
            self._running_since = time.monotonic()
            try:
                result = call()
            except BaseException as error:  # handed to the caller, which decides
                future.set_exception(error)
            else:
                future.set_result(result)
            finally:
                self._running_since = None
            del future, call  # nothing of a finished call stays alive while the thread waits for the next


class _Failed:
    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _checked_call(call: Callable[[], T], *, check: bool) -> T | _Failed:
    if check:
        close_old_connections()  # one that outlived CONN_MAX_AGE, or broke, is replaced
    try:
        return call()
    except DatabaseError as error:
        reason = f"{type(error).__name__}: {error}"
        traceback.clear_frames(error.__traceback__)  # the failed call's locals (a batch of rows) go now
        return _Failed(reason)


KEY_LOOKUPS = DatabaseThread("database-key-lookups")
WRITES = DatabaseThread("database-writes")
REPORTS = DatabaseThread("database-reports")
ALL_THREADS = (KEY_LOOKUPS, WRITES, REPORTS)


async def close_connections() -> None:
    """Close each thread's connection (tests, before the test database is dropped; the lifespan's shutdown).
    Bounded: a thread stuck in a frozen database keeps its connection."""
    for thread in ALL_THREADS:
        if thread.started:
            with contextlib.suppress(TimeoutError, DatabaseFailed):
                await thread.run(connections.close_all, within=5, check=False)
