"""A search as a row for SearchRecord, from what the request asked and what the view found. Pure."""

from datetime import datetime
from typing import Any

from django.http import QueryDict

from search_service.models.search_record import MAX_QUERY_TEXT
from search_service.outcome import SearchOutcome

MAX_FILTERS_RECORDED = 64  # as many as a request may send (SearchParams)
MAX_FILTER_TEXT = 512


def normalize_query(text: str) -> str:
    """What groups searches that differ only in case and spacing: `JSON  Dumps ` and `json dumps` are one."""
    return " ".join(text.split()).casefold()[:MAX_QUERY_TEXT]


def search_row(
    parameters: QueryDict,
    *,
    status: int,
    outcome: SearchOutcome | None,
    latency_ms: float,
    timestamp: datetime,
    keep_query_text: bool,
    api_key_prefix: str = "",
) -> dict[str, Any]:
    """SearchRecord's fields for one request to /search. `parameters` is the query string as sent: a refused
    request is recorded too, with what it asked."""
    page = parameters.get("page", "1") if "cursor" not in parameters else None
    # A tuple, and the empty one for none: a row of atoms only is not tracked by the garbage collector, so thousands
    # of buffered rows add nothing to its collections (a list made every row tracked: measured +~30 µs a search).
    filters = tuple(sorted(value[:MAX_FILTER_TEXT] for value in parameters.getlist("filter")[:MAX_FILTERS_RECORDED]))
    return {
        "timestamp": timestamp,
        "query": normalize_query(parameters.get("q", "")) if keep_query_text else None,
        "mode": parameters.get("mode", "query_string")[:16],
        "filters": filters,
        "page": int(page) if page is not None and page.isdigit() and len(page) < 9 else None,
        "status": status,
        "total_hits": outcome.total_hits if outcome else None,
        "zero_results": outcome is not None and outcome.total_hits == 0,
        "latency_ms": round(latency_ms, 3),
        "elasticsearch_took_ms": outcome.took_ms if outcome else None,
        "api_key_prefix": api_key_prefix,
    }
