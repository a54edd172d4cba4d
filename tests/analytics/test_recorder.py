"""analytics/recorder.py against the real database: batches, the interval, shutdown, a full buffer."""

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from search_service.analytics.recorder import Recorder
from search_service.models import SearchRecord

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


async def wait_for_rows(count: int, *, polls: int = 500) -> int:
    """How many rows the database holds once it holds `count`, or after `polls` looks 20 ms apart."""
    for _ in range(polls):
        found = await SearchRecord.objects.acount()
        if found >= count:
            return found
        await asyncio.sleep(0.02)
    return await SearchRecord.objects.acount()


async def test_a_full_batch_is_written_at_once():
    recorder = Recorder(capacity=1_000, batch=10, interval=60)
    for number in range(10):
        recorder.record(row(number))
    assert await wait_for_rows(10, polls=250) == 10  # long before the 60 s interval
    assert recorder.stats().written == 10
    await recorder.stop()


async def test_fewer_rows_are_written_after_the_interval():
    recorder = Recorder(capacity=1_000, batch=500, interval=0.2)
    recorder.record(row(1))
    began = time.monotonic()
    assert await wait_for_rows(1) == 1
    assert time.monotonic() - began < 5
    await recorder.stop()


async def test_stop_writes_everything_still_buffered():
    recorder = Recorder(capacity=10_000, batch=500, interval=60)
    for number in range(1_234):
        recorder.record(row(number))
    await recorder.stop()
    assert await SearchRecord.objects.acount() == 1_234
    assert recorder.stats().buffered == 0
    assert recorder.stats().written == 1_234


async def test_a_full_buffer_drops_and_counts_without_waiting(caplog):
    recorder = Recorder(capacity=100, batch=10_000, interval=60)
    began = time.perf_counter()
    for number in range(1_100):  # no await between them: the writer cannot run, as under a stalled database
        recorder.record(row(number))
    elapsed = time.perf_counter() - began
    stats = recorder.stats()
    assert (stats.buffered, stats.dropped) == (100, 1_000)
    assert elapsed < 0.5  # ~1 µs a row; never a wait for the database
    assert [record.levelname for record in caplog.records if "buffer is full" in record.message] == ["WARNING"]
    await recorder.stop()
    assert await SearchRecord.objects.acount() == 100


async def test_a_row_the_database_refuses_is_dropped_and_the_rest_written(caplog):
    recorder = Recorder(capacity=100, batch=10, interval=60)
    recorder.record(row(1))
    recorder.record(row(2) | {"page": -1})  # PositiveIntegerField: the database's CHECK refuses it
    recorder.record(row(3))
    await recorder.write_pending()
    stats = recorder.stats()
    assert (stats.written, stats.dropped, stats.buffered, stats.failed_writes) == (2, 1, 0, 0)
    assert await SearchRecord.objects.acount() == 2
    assert "refuses a row" in caplog.text


async def test_rows_wait_while_the_database_is_unusable(monkeypatch):
    recorder = Recorder(capacity=100, batch=10, interval=60)
    recorder.record(row(1))
    recorder.record(row(2))

    async def database_down(rows):
        raise OSError("database unreachable")

    monkeypatch.setattr("search_service.analytics.recorder.write_rows", database_down)
    await recorder.write_pending()
    assert (recorder.stats().buffered, recorder.stats().failed_writes, recorder.stats().dropped) == (2, 1, 0)
    monkeypatch.undo()
    await recorder.stop()
    assert await SearchRecord.objects.acount() == 2
