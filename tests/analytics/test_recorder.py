"""analytics/recorder.py against the real database: batches, the interval, shutdown, a full buffer; and a database
that fails for real (its table renamed away) or a write thread that is stuck."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from search_service.analytics import recorder as recorder_module
from search_service.analytics.recorder import DropReason, Recorder, row_bytes
from search_service.database_threads import WRITES
from search_service.models import SearchRecord
from tests.stuck_database import held

pytestmark = pytest.mark.django_db(transaction=True)


def row(number: int) -> dict[str, Any]:
    return {
        "timestamp": datetime.now(UTC),
        "query": f"query {number}",
        "mode": "query_string",
        "filters": [],
        "page": 1,
        "status": 200,
        "total_hits": number,
        "zero_results": number == 0,
        "latency_ms": 1.0,
        "elasticsearch_took_ms": 1,
    }


def new_recorder(**overrides: Any) -> Recorder:
    return Recorder(**({"capacity": 1_000, "capacity_bytes": 10**9, "batch": 10, "interval": 60} | overrides))


def _rename_table(old: str, new: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {connection.ops.quote_name(old)} RENAME TO {connection.ops.quote_name(new)}")


@contextlib.asynccontextmanager
async def database_without_the_table() -> AsyncIterator[None]:
    """Every write fails in the database itself (no such table), as with a lost or replaced database."""
    table = SearchRecord._meta.db_table
    await sync_to_async(_rename_table)(table, table + "_away")
    try:
        yield
    finally:
        await sync_to_async(_rename_table)(table + "_away", table)


async def wait_for_rows(count: int, *, polls: int = 500) -> int:
    """How many rows the database holds once it holds `count`, or after `polls` looks 20 ms apart."""
    for _ in range(polls):
        found = await SearchRecord.objects.acount()
        if found >= count:
            return found
        await asyncio.sleep(0.02)
    return await SearchRecord.objects.acount()


async def test_a_full_batch_is_written_at_once():
    recorder = new_recorder()
    for number in range(10):
        recorder.record(row(number))
    assert await wait_for_rows(10, polls=250) == 10  # long before the 60 s interval
    assert recorder.stats().written == 10
    await recorder.stop()


async def test_fewer_rows_are_written_after_the_interval():
    recorder = new_recorder(batch=500, interval=0.2)
    recorder.record(row(1))
    assert await wait_for_rows(1) == 1  # a batch of 500 was never reached
    await recorder.stop()


async def test_stop_writes_everything_still_buffered():
    recorder = new_recorder(capacity=10_000, batch=500)
    for number in range(1_234):
        recorder.record(row(number))
    await recorder.stop()
    assert await SearchRecord.objects.acount() == 1_234
    assert recorder.stats().buffered == 0
    assert recorder.stats().written == 1_234


async def test_a_full_buffer_drops_and_counts_without_waiting(caplog):
    recorder = new_recorder(capacity=100, batch=10_000)
    for number in range(1_100):  # no await between them: the writer cannot run, as under a stalled database
        recorder.record(row(number))  # and record() is not a coroutine: it cannot wait for the database
    stats = recorder.stats()
    assert (stats.buffered, stats.dropped, stats.dropped_by_reason["buffer_full"]) == (100, 1_000, 1_000)
    assert [record.levelname for record in caplog.records if "buffer is full" in record.message] == ["WARNING"]
    await recorder.stop()
    assert await SearchRecord.objects.acount() == 100


async def test_a_row_the_database_refuses_is_dropped_and_the_rest_written(caplog):
    recorder = new_recorder(capacity=100)
    recorder.record(row(1))
    recorder.record(row(2) | {"page": -1})  # PositiveIntegerField: the database's CHECK refuses it
    recorder.record(row(3))
    await recorder.write_pending()
    stats = recorder.stats()
    assert (stats.written, stats.dropped, stats.buffered, stats.failed_writes) == (2, 1, 0, 0)
    assert await SearchRecord.objects.acount() == 2
    assert "refuses a row" in caplog.text


async def test_rows_wait_while_the_database_is_unusable_and_the_writer_backs_off():
    recorder = new_recorder(capacity=100, interval=1)
    recorder.record(row(1))
    recorder.record(row(2))
    pauses = []
    async with database_without_the_table():
        for _ in range(8):
            await recorder.write_pending()
            pauses.append(recorder.stats().next_try_in)
        stats = recorder.stats()
        assert (stats.buffered, stats.failed_writes, stats.dropped) == (2, 8, 0)
    assert pauses == [1, 2, 4, 8, 16, 32, 60, 60]  # doubling from the interval, up to MAX_RETRY_SECONDS
    await recorder.write_pending()
    assert recorder.stats().next_try_in is None
    assert await SearchRecord.objects.acount() == 2
    await recorder.stop()


async def test_the_buffer_is_bounded_in_bytes():
    fat = row(0) | {"query": "q" * 400, "filters": tuple("f" * 32 for _ in range(8))}
    recorder = new_recorder(capacity=1_000, capacity_bytes=10 * row_bytes(fat), batch=10_000)
    for _ in range(10):
        recorder.record(dict(fat))
    recorder.record(dict(fat))  # one past the bound
    stats = recorder.stats()
    assert (stats.buffered, stats.dropped_by_reason["buffer_full"]) == (10, 1)
    assert stats.buffered_bytes == 10 * row_bytes(fat)
    await recorder.stop()


async def test_a_failed_batch_leaves_nothing_for_the_garbage_collector():
    """Django's error wrapper makes a reference cycle through the failed call's frames, which held the batch's rows
    until a full collection (issue 20: 105 MB -> 2.35 GB RSS with a full disk). With the collector off, 1,000
    failed batches of fat rows must leave (almost) nothing unreachable behind."""
    fat = row(0) | {"query": "q" * 400, "filters": tuple(f"{n:02}" + "f" * 30 for n in range(8))}
    recorder = new_recorder(capacity=100, batch=10_000)  # the writer is never woken: write_pending() alone writes
    for _ in range(100):
        recorder.record(dict(fat))
    async with database_without_the_table():
        gc.collect()
        gc.disable()
        try:
            for _ in range(1_000):
                await recorder.write_pending()
            unreachable = gc.collect()
        finally:
            gc.enable()
    assert recorder.stats().failed_writes == 1_000
    assert unreachable == 0  # a cycle per failed batch was ~50 objects (frames, futures, tracebacks): 52,000
    await recorder.stop()


async def test_shutdown_with_a_failing_database_counts_every_row_it_could_not_write(caplog):
    recorder = new_recorder(capacity=1_000, batch=10_000)
    for number in range(250):
        recorder.record(row(number))
    async with database_without_the_table():
        await recorder.stop()
    stats = recorder.stats()
    assert (stats.written, stats.buffered, stats.dropped_by_reason["shutdown"]) == (0, 0, 250)
    errors = [
        record.message for record in caplog.records if record.levelname == "ERROR" and "stopped" in record.message
    ]
    assert errors == [
        "search analytics: stopped; 0 rows written, 250 dropped"
        " (buffer_full: 0, refused: 0, database_unusable: 0, shutdown: 250)"
    ]


async def test_shutdown_is_bounded_when_the_database_does_not_answer(monkeypatch):
    monkeypatch.setattr(recorder_module, "SHUTDOWN_SECONDS", 0.5)
    recorder = new_recorder(capacity=1_000, batch=10_000)
    for number in range(150):
        recorder.record(row(number))
    async with held(WRITES):  # as a frozen disk holds a write
        await asyncio.wait_for(recorder.stop(), 30)  # returns (at SHUTDOWN_SECONDS), though no write can run
        assert recorder.stats().dropped_by_reason["shutdown"] == 150


async def test_a_database_that_cannot_be_written_turns_analytics_off_until_it_can(caplog):
    recorder = new_recorder(interval=0.05)
    async with database_without_the_table():
        assert await recorder.check_database() is False
        recorder.record(row(1))
        recorder.record(row(2))
        assert recorder.stats().dropped_by_reason[DropReason.UNUSABLE] == 2
        assert recorder.stats().buffered == 0
        assert await recorder.check_database() is False
    assert len([record for record in caplog.records if "analytics: off" in record.message]) == 1
    for _ in range(200):  # the writer checks again on its own
        if recorder.unusable is None:
            break
        await asyncio.sleep(0.05)
    assert recorder.unusable is None
    recorder.record(row(3))
    await recorder.stop()
    assert await SearchRecord.objects.acount() == 1
