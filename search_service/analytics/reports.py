"""What the analytics endpoints answer: searches grouped by query text, counted and timed by the database.

Each report is one `values().annotate()` query over a time window: no row is loaded into Python, only the groups, at
most `limit` of them. It runs in the reports' own database thread (database_threads.py), never the one key lookups
or writes use, and the database stops it after ANALYTICS_REPORT_TIMEOUT seconds (a statement timeout on PostgreSQL,
a progress handler on SQLite): a report over millions of rows delays no search and no key check (issue 20).
"""

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from search_service.analytics.median import Median
from search_service.database_threads import REPORTS, DatabaseFailed
from search_service.models import SearchRecord

Report = Literal["top-queries", "zero-results", "slow"]


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    limit: int


def _grouped(records: QuerySet[SearchRecord], *order: str) -> QuerySet[Any, Any]:
    """One row per query text, ordered by `order` (names of the annotations)."""
    grouped = records.values("query").annotate(
        searches=Count("id"),
        days=Count(TruncDate("timestamp"), distinct=True),
        zero_result_searches=Count("id", filter=Q(zero_results=True)),
        median_latency_ms=Median("latency_ms"),
        median_took_ms=Median("elasticsearch_took_ms"),
    )
    return grouped.order_by(*order, "query")


def report_query(report: Report, window: Window) -> QuerySet[Any, Any]:
    """The report's query, not yet run. Refused searches (4xx, 5xx) count in `top-queries` but are not slow
    or zero-result searches: those describe answers."""
    records = SearchRecord.objects.filter(timestamp__gte=window.since, timestamp__lt=window.until)
    if report == "zero-results":
        return _grouped(records.filter(zero_results=True), "-searches")[: window.limit]
    if report == "slow":
        return _grouped(records.filter(status=200), "-median_latency_ms", "-searches")[: window.limit]
    return _grouped(records, "-searches")[: window.limit]


class ReportTimedOut(Exception):
    """The report ran past ANALYTICS_REPORT_TIMEOUT: 504 report_timeout (a shorter window is cheaper)."""


class ReportsUnavailable(Exception):
    """The database failed, or did not answer: 503 analytics_unavailable."""


# SQLite calls the progress handler every this many virtual-machine instructions (~a millisecond).
SQLITE_PROGRESS_STEPS = 10_000
# How long past the statement timeout the request waits for the thread before answering anyway: a database that
# does not answer at all (a frozen disk) cannot stop its own statement.
STALL_GRACE_SECONDS = 1.0


async def run_report(report: Report, window: Window, statement_seconds: float) -> list[dict[str, Any]]:
    """The report's groups. ReportTimedOut past `statement_seconds`, ReportsUnavailable if the database fails."""
    try:
        return await REPORTS.run(
            lambda: _report_rows(report, window, statement_seconds), within=statement_seconds + STALL_GRACE_SECONDS
        )
    except TimeoutError:
        raise ReportsUnavailable("the database did not answer in time") from None
    except DatabaseFailed as failed:
        if _timed_out(failed.reason):
            raise ReportTimedOut(failed.reason) from None
        raise ReportsUnavailable(failed.reason) from None


def _report_rows(report: Report, window: Window, timeout: float) -> list[dict[str, Any]]:
    connection = connections[router.db_for_read(SearchRecord) or "default"]
    with statement_timeout(connection, timeout):
        return list(report_query(report, window))


@contextlib.contextmanager
def statement_timeout(connection: BaseDatabaseWrapper, seconds: float) -> Iterator[None]:
    """The database gives up on a statement that runs longer than `seconds`, where it can be told to."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = %s", [max(1, round(seconds * 1000))])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
    elif connection.vendor == "sqlite":
        deadline = time.monotonic() + seconds
        raw = connection.connection
        # A non-zero return interrupts the statement: sqlite3.OperationalError("interrupted").
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), SQLITE_PROGRESS_STEPS)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)
    else:
        yield


def _timed_out(reason: str) -> bool:
    return "interrupted" in reason or "statement timeout" in reason
