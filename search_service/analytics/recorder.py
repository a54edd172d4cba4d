"""The rows of search analytics, buffered in the worker and written in batches by one task: a search never waits
for the database, and a slow, full or absent database costs searches nothing (rows are dropped and counted instead).

Rows are written in the database thread for writes (database_threads.py), never asgiref's shared thread, so a
frozen disk holds only that thread; the worker holds one connection for them, checked before every batch.
The buffer is bounded in rows and in bytes; while the database fails, the writer tries again after a growing
pause (up to MAX_RETRY_SECONDS), and every row it could not keep is counted by why (DropReason), also at shutdown,
which is bounded by SHUTDOWN_SECONDS however stuck the database is.
"""

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from search_service.analytics.insert import begin_a_write, write_rows
from search_service.database_health import DATABASE_HEALTH
from search_service.database_threads import WRITES, DatabaseFailed
from search_service.settings import ServiceSettings

logger = logging.getLogger(__name__)

# A full buffer logs its first drop and then every this many, so a flood of drops is not a flood of log lines.
DROP_LOG_EVERY = 1_000
MAX_RETRY_SECONDS = 60.0
# At shutdown, the time left to write what is buffered before it is counted as dropped: a frozen database must not
# keep the process from ending (uvicorn has already waited GRACEFUL_SHUTDOWN_TIMEOUT for the requests).
SHUTDOWN_SECONDS = 10.0
# What a buffered row costs in memory beyond its text (a dict of 11 fields, a datetime, numbers), measured with
# sys.getsizeof on CPython 3.11, and each filter string's own overhead: row_bytes() is an estimate, not a count.
ROW_BASE_BYTES = 1_000
STARTUP_CHECK_SECONDS = 5.0
FILTER_BASE_BYTES = 60


class DropReason(StrEnum):
    BUFFER_FULL = "buffer_full"  # the database is slower than the searches, or unavailable for a while
    REFUSED = "refused"  # the database took the rest of its batch, but not this row
    UNUSABLE = "database_unusable"  # the database could not be used when the worker started (check_at_startup)
    SHUTDOWN = "shutdown"  # still buffered, or being written, when SHUTDOWN_SECONDS ran out


@dataclass
class RecorderStats:
    buffered: int
    written: int
    dropped: int
    failed_writes: int
    buffered_bytes: int = 0
    dropped_by_reason: dict[str, int] = field(default_factory=dict)
    next_try_in: float | None = None  # seconds: the writer's pause while the database fails


def row_bytes(row: dict[str, Any]) -> int:
    query = row.get("query") or ""
    return ROW_BASE_BYTES + len(query) + sum(FILTER_BASE_BYTES + len(value) for value in row.get("filters", ()))


class Recorder:
    """A bounded buffer of rows, and the task that writes them: every `batch` rows or `interval` seconds, and
    once more at shutdown (stop())."""

    def __init__(self, *, capacity: int, capacity_bytes: int, batch: int, interval: float) -> None:
        self.capacity = capacity
        self.capacity_bytes = capacity_bytes
        self.batch = batch
        self.interval = interval
        self.unusable: str | None = None  # why the database could not be used at startup; None: it could
        self._rows: deque[dict[str, Any]] = deque()
        self._bytes = 0
        self._written = 0
        self._dropped = dict.fromkeys(DropReason, 0)
        self._failed_writes = 0
        self._retry_in: float | None = None  # set while the database fails: the pause before the next try
        self._writer: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    def record(self, row: dict[str, Any]) -> None:
        """Keep `row` for the next batch; drop it (and count it) if the buffer is full. Never waits."""
        if self.unusable is not None:
            self._drop(DropReason.UNUSABLE)
            self._ensure_writer()  # which checks again, after a pause
            return
        size = row_bytes(row)
        if len(self._rows) >= self.capacity or self._bytes + size > self.capacity_bytes:
            self._drop(DropReason.BUFFER_FULL)
            if (self._dropped[DropReason.BUFFER_FULL] - 1) % DROP_LOG_EVERY == 0:
                logger.warning(
                    "search analytics: the buffer is full (%d rows, %d bytes), %d rows dropped so far; the"
                    " database is slow or unavailable, or SEARCH_ANALYTICS_BUFFER is too small",
                    len(self._rows),
                    self._bytes,
                    self._dropped[DropReason.BUFFER_FULL],
                )
            return
        row["_bytes"] = size
        self._rows.append(row)
        self._bytes += size
        self._ensure_writer()
        if len(self._rows) >= self.batch and self._retry_in is None:
            self._wake.set()

    def stats(self) -> RecorderStats:
        return RecorderStats(
            buffered=len(self._rows),
            written=self._written,
            dropped=sum(self._dropped.values()),
            failed_writes=self._failed_writes,
            buffered_bytes=self._bytes,
            dropped_by_reason={str(reason): count for reason, count in self._dropped.items()},
            next_try_in=self._retry_in,
        )

    async def stop(self) -> None:
        """Write everything still buffered, within SHUTDOWN_SECONDS, then end the writer (the ASGI lifespan's
        shutdown calls this). What could not be written is counted as dropped, and the log says how much."""
        self._stopping = True
        self._wake.set()
        try:
            async with asyncio.timeout(SHUTDOWN_SECONDS):
                writer = self._writer
                if writer is not None and not writer.done() and writer.get_loop() is asyncio.get_running_loop():
                    await writer
                self._retry_in = None  # one last try, whatever the pause would have been
                await self.write_pending()
        except TimeoutError:
            if self._writer is not None:
                self._writer.cancel()
        # A batch its thread was still writing when time ran out may yet reach the database: counted as dropped,
        # since nothing here will learn whether it did.
        lost = len(self._rows)
        self._drop(DropReason.SHUTDOWN, lost)
        self._rows.clear()
        self._bytes = 0
        stats = self.stats()
        log = logger.error if lost else logger.info
        log(
            "search analytics: stopped; %d rows written, %d dropped (%s)",
            stats.written,
            stats.dropped,
            ", ".join(f"{reason}: {count}" for reason, count in stats.dropped_by_reason.items()),
        )
        self._stopping = False

    async def write_pending(self) -> None:
        """Write what waits, a batch at a time, until the buffer is empty or the database fails."""
        while self._rows:
            rows = [self._take() for _ in range(min(self.batch, len(self._rows)))]
            try:
                written = await self._write_batch(rows)
            except asyncio.CancelledError:  # stop() ran out of time: they count as dropped at shutdown
                self._put_back(rows)
                raise
            if not written:
                return

    def _take(self) -> dict[str, Any]:
        row = self._rows.popleft()
        self._bytes -= row["_bytes"]
        return row

    def _put_back(self, rows: list[dict[str, Any]]) -> None:
        self._rows.extendleft(reversed(rows))
        self._bytes += sum(row["_bytes"] for row in rows)

    def _drop(self, reason: DropReason, count: int = 1) -> None:
        self._dropped[reason] += count

    async def _write_batch(self, rows: list[dict[str, Any]]) -> bool:
        """Write `rows`; False if the database is unusable, and then they wait at the front for the next try.

        A batch the database refuses is written again a row at a time, so that one row it will never take
        cannot hold back the rest forever: such a row is dropped and counted. If the first row alone fails
        too, the database is down (or full, or locked) rather than the rows bad, and all of them wait.
        """
        try:
            await write_rows(rows)
        except DatabaseFailed as failed:
            logger.warning("search analytics: writing %d rows failed (%s); trying them one by one", len(rows), failed)
        else:
            self._wrote(len(rows))
            return True
        for position, row in enumerate(rows):
            try:
                await write_rows([row])
            except DatabaseFailed as failed:
                if position == 0:
                    self._failed(rows, failed.reason)
                    return False
                self._drop(DropReason.REFUSED)
                logger.error("search analytics: the database refuses a row (%s); dropped", failed)
            else:
                self._wrote(1)
        return True

    def _wrote(self, count: int) -> None:
        self._written += count
        self._retry_in = None
        DATABASE_HEALTH.note_success()

    def _failed(self, rows: list[dict[str, Any]], reason: str) -> None:
        self._failed_writes += 1
        self._put_back(rows)
        self._retry_in = min(MAX_RETRY_SECONDS, 2 * (self._retry_in or self.interval / 2))
        DATABASE_HEALTH.note_failure("analytics_write", reason)
        logger.warning(
            "search analytics: the database is unusable (%s); %d rows wait, next try in %.0f s",
            reason,
            len(self._rows),
            self._retry_in,
        )

    def _ensure_writer(self) -> None:
        """Start the writer on this event loop unless it runs there (tests run one loop per test)."""
        loop = asyncio.get_running_loop()
        writer = self._writer
        if writer is None or writer.done() or writer.get_loop() is not loop:
            self._wake = asyncio.Event()
            self._writer = loop.create_task(self._write_until_stopped(), name="search-analytics-writer")

    async def _write_until_stopped(self) -> None:
        while not self._stopping:
            # While the database fails, only stop() cuts the pause short (record() sets the event only when
            # the database works): a full buffer must not turn the backoff into a retry per batch of searches.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._retry_in or self.interval)
            self._wake.clear()
            if self._stopping:
                return
            if self.unusable is not None:
                await self.check_database()
            else:
                await self.write_pending()

    async def check_database(self) -> bool:
        """Whether the database takes writes (a write transaction begun and rolled back). If not, the recorder
        drops rows (DropReason.UNUSABLE) and checks again after a growing pause; the worker starts and searches
        all the same (issue 20: a read-only DATA_DIR kept the service from starting)."""
        try:
            await WRITES.run(begin_a_write, within=STARTUP_CHECK_SECONDS)
        except (DatabaseFailed, TimeoutError) as error:
            reason = error.reason if isinstance(error, DatabaseFailed) else "no answer in time"
            if self.unusable is None:
                logger.error(
                    "search analytics: off, the database cannot be written (%s); searches are served, rows are"
                    " dropped and counted, and the database is checked again every %.0f s at most",
                    reason,
                    MAX_RETRY_SECONDS,
                )
            self.unusable = reason
            self._retry_in = min(MAX_RETRY_SECONDS, 2 * (self._retry_in or self.interval / 2))
            DATABASE_HEALTH.note_failure("startup_check", reason)
            return False
        if self.unusable is not None:
            logger.warning("search analytics: on again, the database takes writes")
        self.unusable = None
        self._retry_in = None
        DATABASE_HEALTH.note_success()
        return True


_current: tuple[ServiceSettings, Recorder] | None = None


def recorder_for(config: ServiceSettings) -> Recorder:
    """The worker's recorder for `config`; made anew when the configuration object changes (tests do that)."""
    global _current
    if _current is None or _current[0] is not config:
        recorder = Recorder(
            capacity=config.search_analytics_buffer,
            capacity_bytes=config.search_analytics_buffer_bytes,
            batch=config.search_analytics_batch,
            interval=config.search_analytics_flush_interval,
        )
        _current = (config, recorder)
    return _current[1]


async def check_database_at_startup(config: ServiceSettings) -> None:
    """Whether analytics can be written, learnt before the first request (the lifespan's startup): if not, the
    worker starts all the same, analytics dropping, with one ERROR (Recorder.check_database)."""
    if config.search_analytics:
        await recorder_for(config).check_database()


async def stop_recorder() -> None:
    """Write what the worker's recorder holds (lifespan shutdown); nothing when none was made."""
    if _current is not None:
        await _current[1].stop()
