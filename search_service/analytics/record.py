"""A search as a row for SearchRecord, from what the request asked and what the view found. Pure."""

from datetime import datetime
from typing import Any

from django.http import QueryDict

from search_service.outcome import SearchOutcome

# A row is bounded to well under 1 KB whatever was sent: a request may carry 1,000 characters of `q` and 64
# filters of 512, and storing them whole let anyone add 61 KB a row (issue 20). What reports group by is the start
# of a search; the rest is not worth the disk.
RECORDED_QUERY_BYTES = 400  # 200 two-byte characters, 100 of four
MAX_FILTERS_RECORDED = 8
RECORDED_FILTER_BYTES = 32
# C0 and C1 controls and DEL: nothing a report should show (a terminal would obey some), and stored escaped
# (\u0000) they took six times their size.
CONTROL_CHARACTERS = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)])


def _bounded(text: str, max_bytes: int) -> str:
    """`text` without control characters, cut to at most `max_bytes` of UTF-8 on a character boundary."""
    return text.translate(CONTROL_CHARACTERS).encode()[:max_bytes].decode(errors="ignore")


def normalize_query(text: str) -> str:
    """What groups searches that differ only in case and spacing: `JSON  Dumps ` and `json dumps` are one."""
    return _bounded(" ".join(text.split()).casefold(), RECORDED_QUERY_BYTES)


def search_row(
    parameters: QueryDict,
    *,
    status: int,
    outcome: SearchOutcome | None,
    latency_ms: float,
    timestamp: datetime,
    keep_query_text: bool,
    api_key_prefix: str = "",
    api: str = "search",
    tenant: str = "",
) -> dict[str, Any]:
    """SearchRecord's fields for one request to /search. `parameters` is the query string as sent: a refused
    request is recorded too, with what it asked."""
    page = parameters.get("page", "1") if "cursor" not in parameters else None
    # A tuple, and the empty one for none: a row of atoms only is not tracked by the garbage collector, so thousands
    # of buffered rows add nothing to its collections (a list made every row tracked: measured +~30 µs a search).
    filters = tuple(
        sorted(_bounded(value, RECORDED_FILTER_BYTES) for value in parameters.getlist("filter")[:MAX_FILTERS_RECORDED])
    )
    return {
        "timestamp": timestamp,
        "query": normalize_query(parameters.get("q", "")) if keep_query_text else None,
        "mode": _bounded(parameters.get("mode", "query_string"), 16),
        "filters": filters,
        "page": int(page) if page is not None and page.isdigit() and len(page) < 9 else None,
        "status": status,
        "total_hits": outcome.total_hits if outcome else None,
        "zero_results": outcome is not None and outcome.total_hits == 0,
        "latency_ms": round(latency_ms, 3),
        "elasticsearch_took_ms": outcome.took_ms if outcome else None,
        "api_key_prefix": api_key_prefix,
        "tenant": tenant,
        "api": api,
        "cached": outcome.cached if outcome else False,
    }
