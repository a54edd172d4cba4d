"""What the analytics endpoints answer: searches grouped by query text, counted and timed by the database.

Each report is one `values().annotate()` query over a time window, read with `async for`: no row is loaded into
Python, only the groups, at most `limit` of them.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from search_service.analytics.median import Median
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


async def run_report(report: Report, window: Window) -> AsyncIterator[dict[str, Any]]:
    await sync_to_async(close_old_connections)()  # the worker's one connection, replaced if stale or broken
    async for row in report_query(report, window):
        yield row
