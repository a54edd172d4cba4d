"""The rows of search analytics, buffered in the worker and written in batches by one task: a search never waits
for the database, and a slow or absent database costs searches nothing (rows are dropped and counted instead).

Rows are written through the ORM's connection (insert_rows), in asgiref's one thread for thread-sensitive code
(no request runs in a thread here: asgi.py), so a worker holds one database connection, checked before every
batch (close_old_connections), however many requests it serves at once.
"""

import asyncio
import contextlib
import logging
import operator
from collections import deque
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections, router, transaction

from search_service.models import SearchRecord
from search_service.settings import ServiceSettings

logger = logging.getLogger(__name__)

# A full buffer logs its first drop and then every this many, so a flood of drops is not a flood of log lines.
DROP_LOG_EVERY = 1_000


@dataclass
class RecorderStats:
    buffered: int
    written: int
    dropped: int
    failed_writes: int


class Recorder:
    """A bounded buffer of rows, and the task that writes them: every `batch` rows or `interval` seconds, and
    once more at shutdown (stop()), so a graceful stop loses nothing."""

    def __init__(self, *, capacity: int, batch: int, interval: float) -> None:
        self.capacity = capacity
        self.batch = batch
        self.interval = interval
        self._rows: deque[dict[str, Any]] = deque()
        self._written = 0
        self._dropped = 0
        self._failed_writes = 0
        self._writer: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    def record(self, row: dict[str, Any]) -> None:
        """Keep `row` for the next batch; drop it (and count it) if the buffer is full. Never waits."""
        if len(self._rows) >= self.capacity:
            self._dropped += 1
            if (self._dropped - 1) % DROP_LOG_EVERY == 0:
                logger.warning(
                    "search analytics: the buffer is full (%d rows), %d rows dropped so far; the database is"
                    " slow or unreachable, or SEARCH_ANALYTICS_BUFFER is too small",
                    self.capacity,
                    self._dropped,
                )
            return
        self._rows.append(row)
        self._ensure_writer()
        if len(self._rows) >= self.batch:
            self._wake.set()

    def stats(self) -> RecorderStats:
        return RecorderStats(len(self._rows), self._written, self._dropped, self._failed_writes)

    async def stop(self) -> None:
        """Write everything still buffered, then end the writer (the ASGI lifespan's shutdown calls this)."""
        self._stopping = True
        self._wake.set()
        writer = self._writer
        if writer is not None and not writer.done() and writer.get_loop() is asyncio.get_running_loop():
            await writer
        await self.write_pending()
        self._stopping = False

    async def write_pending(self) -> None:
        """Write what waits, a batch at a time, until the buffer is empty or the database fails."""
        while self._rows:
            rows = [self._rows.popleft() for _ in range(min(self.batch, len(self._rows)))]
            if not await self._write_batch(rows):
                return

    async def _write_batch(self, rows: list[dict[str, Any]]) -> bool:
        """Write `rows`; False if the database is unusable, and then they wait at the front for the next try.

        A batch the database refuses is written again a row at a time, so that one row it will never take
        cannot hold back the rest forever: such a row is dropped and counted. If the first row alone fails
        too, the database is down (or locked) rather than the rows bad, and all of them wait.
        """
        try:
            await write_rows(rows)
        except Exception:
            logger.exception("search analytics: writing %d rows failed; trying them one by one", len(rows))
        else:
            self._written += len(rows)
            return True
        for position, row in enumerate(rows):
            try:
                await write_rows([row])
            except Exception:
                if position == 0:
                    self._failed_writes += 1
                    self._rows.extendleft(reversed(rows))
                    logger.warning("search analytics: the database is unusable; %d rows wait", len(self._rows))
                    return False
                self._dropped += 1
                logger.exception("search analytics: the database refuses a row; dropped")
            else:
                self._written += 1
        return True

    def _ensure_writer(self) -> None:
        """Start the writer on this event loop unless it runs there (tests run one loop per test)."""
        loop = asyncio.get_running_loop()
        writer = self._writer
        if writer is None or writer.done() or writer.get_loop() is not loop:
            self._wake = asyncio.Event()
            self._writer = loop.create_task(self._write_until_stopped(), name="search-analytics-writer")

    async def _write_until_stopped(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            await self.write_pending()


async def write_rows(rows: list[dict[str, Any]]) -> None:
    await sync_to_async(insert_rows)(rows)  # the ORM's one thread, so the worker's one connection


def insert_rows(rows: list[dict[str, Any]]) -> None:
    """One INSERT with many parameter sets, in one transaction, through the ORM's connection.

    Not bulk_create: it compiles SQL for every row, ~38 µs a row on SQLite (a search costs ~1 ms of CPU, so
    ~4% of the throughput went to writing analytics); this costs a few µs. The table, the columns and the values'
    adaptation still come from the model and the backend, and the database's own constraints still apply.
    """
    close_old_connections()  # one that outlived CONN_MAX_AGE, or broke, is replaced
    connection = connections[router.db_for_write(SearchRecord) or "default"]
    quote = connection.ops.quote_name
    fields = [field for field in SearchRecord._meta.concrete_fields if not field.primary_key]
    names = [field.name for field in fields]
    defaults = {field.name: field.get_default() for field in fields}  # for what a row leaves out
    values_of = operator.itemgetter(*names)  # C speed: these loops run once per search
    at_time, at_filters = names.index("timestamp"), names.index("filters")
    filters_field = SearchRecord._meta.get_field("filters")
    no_filters = filters_field.get_db_prep_save([], connection)  # most searches: prepared once a batch
    adapt_time = connection.ops.adapt_datetimefield_value
    parameters = []
    for row in rows:
        values = list(values_of(defaults | row))
        values[at_time] = adapt_time(values[at_time])
        filters = values[at_filters]
        values[at_filters] = filters_field.get_db_prep_save(list(filters), connection) if filters else no_filters
        parameters.append(values)
    sql = (
        f"INSERT INTO {quote(SearchRecord._meta.db_table)} ({', '.join(quote(str(field.column)) for field in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.executemany(sql, parameters)


_current: tuple[ServiceSettings, Recorder] | None = None


def recorder_for(config: ServiceSettings) -> Recorder:
    """The worker's recorder for `config`; made anew when the configuration object changes (tests do that)."""
    global _current
    if _current is None or _current[0] is not config:
        recorder = Recorder(
            capacity=config.search_analytics_buffer,
            batch=config.search_analytics_batch,
            interval=config.search_analytics_flush_interval,
        )
        _current = (config, recorder)
    return _current[1]


async def stop_recorder() -> None:
    """Write what the worker's recorder holds (lifespan shutdown); nothing when none was made."""
    if _current is not None:
        await _current[1].stop()
