"""analytics/record.py: a request to /search as a row. Pure."""

import json
from datetime import UTC, datetime
from typing import Any

from django.http import QueryDict

from search_service.analytics.record import normalize_query, search_row
from search_service.outcome import SearchOutcome

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def row(query_string: str, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "status": 200,
        "outcome": SearchOutcome(3, 2),
        "latency_ms": 4.25,
        "timestamp": NOW,
        "keep_query_text": True,
    }
    return search_row(QueryDict(query_string), **(arguments | overrides))


def test_query_text_is_grouped_by_case_and_spacing():
    assert normalize_query("  JSON\t Dumps \n") == "json dumps"
    assert normalize_query("x" * 5_000) == "x" * 400
    assert normalize_query("é" * 1_000) == "é" * 200  # bytes, not characters: two each
    assert normalize_query("a\x00b\x1bc\x7fd\x9fe") == "abcde"


def test_a_search_that_found_something():
    assert row("q=JSON%20dumps&mode=simple&filter=module:json&filter=kind:function&page=2") == {
        "timestamp": NOW,
        "query": "json dumps",
        "mode": "simple",
        "filters": ("kind:function", "module:json"),
        "page": 2,
        "status": 200,
        "total_hits": 3,
        "zero_results": False,
        "latency_ms": 4.25,
        "elasticsearch_took_ms": 2,
        "api_key_prefix": "",
        "tenant": "",
        "api": "search",
        "cached": False,
    }


def test_a_search_that_found_nothing_is_flagged():
    assert row("q=nothing", outcome=SearchOutcome(0, 1))["zero_results"] is True


def test_a_refused_search_is_recorded_without_hits_and_not_as_zero_results():
    refused = row("q=title:(", status=400, outcome=None)
    assert (refused["status"], refused["total_hits"], refused["zero_results"]) == (400, None, False)
    assert refused["elasticsearch_took_ms"] is None


def test_privacy_keeps_no_query_text():
    assert row("q=my secret", keep_query_text=False)["query"] is None


def test_hostile_parameters_are_bounded():
    hostile = row("q=x&page=99999999999999999999&mode=" + "m" * 100 + "&filter=" + "f" * 2_000)
    assert hostile["page"] is None
    assert len(hostile["mode"]) == 16
    assert len(hostile["filters"][0]) == 32
    assert row("q=x&cursor=abc&page=1")["page"] is None  # a cursor page has no page number
    assert row("q=x")["page"] == 1


def test_the_largest_request_makes_a_row_under_a_kilobyte():
    # 1,000 four-byte characters of q and 64 filters of 512 control characters and four-byte ones.
    query = "q=" + "%F0%9F%98%80" * 1_000 + "".join("&filter=" + "%01%F0%9F%98%80" * 256 for _ in range(64))
    largest = row(query)

    size = len(json.dumps(largest, default=str, ensure_ascii=False).encode())

    assert size < 1_024
    assert len(largest["filters"]) == 8
    assert all("\x01" not in value for value in largest["filters"])
