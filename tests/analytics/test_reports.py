"""The analytics endpoints on a seeded history in the real database: rankings, windows, the token."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.db.backends.signals import connection_created

from search_service.database_threads import REPORTS
from search_service.keys.services import api_key_create
from search_service.models import SearchRecord
from tests.stuck_database import held

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "analytics-token-for-tests-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOW = datetime.now(UTC) - timedelta(minutes=1)  # in every default window the tests ask for


def record(
    query: str, *, days_ago: float = 0.0, hits: int = 5, latency: float = 10.0, status: int = 200, took: int = 2
) -> SearchRecord:
    return SearchRecord(
        timestamp=NOW - timedelta(days=days_ago),
        query=query,
        mode="query_string",
        filters=[],
        page=1,
        status=status,
        total_hits=hits if status == 200 else None,
        zero_results=status == 200 and hits == 0,
        latency_ms=latency,
        elasticsearch_took_ms=took if status == 200 else None,
    )


@pytest.fixture
async def history():
    """json: 4 searches over 3 days; pathlib: 2 slow ones; typo: 3 finding nothing; old: outside 7 days."""
    await SearchRecord.objects.abulk_create(
        [
            record("json", days_ago=0, latency=4),
            record("json", days_ago=1, latency=6),
            record("json", days_ago=2, latency=100),  # whole days apart: 3 dates whatever the time of the run
            record("json", days_ago=2, latency=5),
            record("pathlib", latency=300),
            record("pathlib", latency=200),
            record("pyhton", hits=0, latency=3),
            record("pyhton", hits=0, latency=3),
            record("zzz", hits=0, latency=2),
            record("title:(", status=400, latency=1000),
            record("old", days_ago=9),
            record("old", days_ago=9),
            record("old", days_ago=9),
            record("old", days_ago=9),
            record("old", days_ago=9),
        ]
    )


@pytest.fixture
def analytics_on(configure_service):
    configure_service(analytics_token=TOKEN)


async def report(api: Any, name: str, **params: Any) -> Any:
    response = await api.get(f"/analytics/{name}", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


async def test_top_queries_counts_searches_days_and_median_in_the_window(api, analytics_on, history):
    answer = await report(api, "top-queries")
    rows = {row["query"]: row for row in answer["queries"]}
    assert [row["query"] for row in answer["queries"]] == ["json", "pathlib", "pyhton", "title:(", "zzz"]  # ties: a-z
    assert rows["json"] == {
        "query": "json",
        "searches": 4,
        "days": 3,
        "zero_result_searches": 0,
        "median_latency_ms": 5.5,  # of 4, 5, 6, 100: the database's median, not the mean
        "median_took_ms": 2.0,
    }
    assert rows["title:("]["median_took_ms"] is None
    assert "old" not in rows


async def test_zero_results_lists_only_searches_that_found_nothing(api, analytics_on, history):
    answer = await report(api, "zero-results")
    assert [(row["query"], row["searches"], row["zero_result_searches"]) for row in answer["queries"]] == [
        ("pyhton", 2, 2),
        ("zzz", 1, 1),
    ]


async def test_slow_ranks_answered_searches_by_median_latency(api, analytics_on, history):
    answer = await report(api, "slow", limit=2)
    assert [(row["query"], row["median_latency_ms"]) for row in answer["queries"]] == [
        ("pathlib", 250.0),
        ("json", 5.5),  # its one 100 ms search does not make it slow; the refused title:( is not a search answered
    ]


async def test_a_window_and_limit_choose_the_rows(api, analytics_on, history):
    since = (NOW - timedelta(days=10)).isoformat()
    until = (NOW - timedelta(days=8)).isoformat()
    answer = await report(api, "top-queries", since=since, until=until)
    assert [(row["query"], row["searches"]) for row in answer["queries"]] == [("old", 5)]
    assert len((await report(api, "top-queries", limit=1))["queries"]) == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-11-20T00:00:00Z", "until": "2026-11-10T00:00:00Z"}, "since must be before until"),
        ({"since": "2020-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "at most 366 days"),
    ],
)
async def test_bad_windows_are_422_naming_the_parameter(api, analytics_on, params, expected):
    response = await api.get("/analytics/top-queries", params=params, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_parameter"
    assert expected in response.json()["detail"]


@pytest.mark.parametrize("name", ["top-queries", "zero-results", "slow", "recorder"])
async def test_without_a_configured_token_the_endpoints_do_not_exist(api, configure_service, name):
    response = await api.get(f"/analytics/{name}", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token-wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer", "Bearer é"],
)
async def test_a_missing_or_wrong_token_is_401_with_the_scheme(api, analytics_on, header):
    headers = {} if header is None else {"Authorization": header.encode("latin-1")}  # bytes: é as sent on the wire
    response = await api.get("/analytics/top-queries", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="analytics"'
    assert TOKEN not in response.text


async def test_the_recorder_reports_its_counts(api, analytics_on):
    answer = (await api.get("/analytics/recorder", headers=AUTH)).json()
    assert set(answer) == {
        "enabled",
        "buffered",
        "buffered_bytes",
        "written",
        "dropped",
        "dropped_by_reason",
        "failed_writes",
        "database_writable",
    }
    assert answer["enabled"] is False  # the tests' default (tests/conftest.py)
    assert answer["dropped_by_reason"] == {"buffer_full": 0, "refused": 0, "database_unusable": 0, "shutdown": 0}
    assert answer["database_writable"] is True


async def test_many_concurrent_report_requests_share_one_database_connection(api, analytics_on, history):
    """Reports run in their own database thread: 1,000 requests at once open no connection each."""
    opened = []

    def count(sender, connection, **kwargs):
        opened.append(connection.alias)

    connection_created.connect(count)
    try:
        answers = await asyncio.gather(*(api.get("/analytics/top-queries", headers=AUTH) for _ in range(1_000)))
    finally:
        connection_created.disconnect(count)
    assert {answer.status_code for answer in answers} == {200}
    assert len(opened) <= 1


def test_prune_deletes_only_rows_older_than_the_retention(history_sync, capsys):
    call_command("prune_analytics", "--days", "7")
    assert sorted(str(query) for query in SearchRecord.objects.values_list("query", flat=True).distinct()) == [
        "json",
        "pathlib",
        "pyhton",
        "title:(",
        "zzz",
    ]
    assert "5 search analytics rows older than 7 days deleted" in capsys.readouterr().out
    call_command("prune_analytics", "--days", "1")
    assert SearchRecord.objects.count() == 7  # the last day's: json 1, pathlib 2, pyhton 2, zzz 1, title:( 1


@pytest.fixture
def history_sync():
    SearchRecord.objects.bulk_create(
        [record("json", days_ago=d) for d in (0, 1.5, 2, 2)]
        + [record("pathlib"), record("pathlib"), record("pyhton", hits=0), record("pyhton", hits=0)]
        + [record("zzz", hits=0), record("title:(", status=400)]
        + [record("old", days_ago=9) for _ in range(5)]
    )


async def test_a_report_past_its_timeout_is_stopped_by_the_database_and_answered_504(api, configure_service):
    await SearchRecord.objects.abulk_create([record(f"query {n % 5_000}", latency=n % 97) for n in range(30_000)])
    configure_service(analytics_token=TOKEN, analytics_report_timeout=0.001)
    response = await api.get("/analytics/slow", headers=AUTH)
    assert response.status_code == 504
    assert response.json()["error"] == "report_timeout"
    configure_service(analytics_token=TOKEN)
    assert (await api.get("/analytics/slow", headers=AUTH)).status_code == 200  # the connection is usable after


async def test_a_report_that_gets_no_answer_is_503_and_holds_no_key_check(api, configure_service):
    """The reports' thread stuck (a frozen disk, a report that cannot be stopped): the report answers 503 after its
    timeout and a grace, and a key lookup, in its own thread, is not held behind it."""
    configure_service(analytics_token=TOKEN, analytics_report_timeout=0.2, search_require_api_key=True)
    key = (await sync_to_async(api_key_create)(name="test", scopes=["search"], rate_limit=None)).key
    async with held(REPORTS):
        report, search = await asyncio.gather(
            api.get("/analytics/top-queries", headers=AUTH),
            api.get("/suggest", params={"prefix": "js"}, headers={"X-API-Key": key}),
        )
        assert search.status_code == 200
        assert report.status_code == 503
        assert report.json()["error"] == "analytics_unavailable"
