"""Searches recorded through the real service, node and database; and the graceful stop that loses nothing."""

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from search_service.analytics.recorder import stop_recorder
from search_service.models import SearchRecord
from tests.conftest import ES_PASSWORD, ES_URL, REPO, free_port
from tests.test_serve import image_command, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


async def search_and_write(api, *queries: str, **params) -> list[SearchRecord]:
    for query in queries:
        await api.get("/search", params={"q": query, **params})
    await stop_recorder()  # as the lifespan's shutdown does
    return [record async for record in SearchRecord.objects.order_by("id")]


async def test_every_search_is_recorded_with_what_it_found(api, configure_service):
    configure_service(search_analytics=True)
    records = await search_and_write(api, "JSON  dumps", "nothingmatchesthis", "title:(")
    assert [(r.query, r.status, r.total_hits, r.zero_results) for r in records] == [
        ("json dumps", 200, records[0].total_hits, False),
        ("nothingmatchesthis", 200, 0, True),
        ("title:(", 400, None, False),
    ]
    assert (records[0].total_hits or 0) > 0
    assert records[0].elasticsearch_took_ms is not None
    assert all(r.latency_ms > 0 for r in records)


async def test_answers_from_the_cache_are_rows_too_flagged_cached(api, configure_service):
    configure_service(search_analytics=True)
    first = await api.get("/search", params={"q": "json"})  # searched
    await api.get("/search", params={"q": "json"})  # a hit, through Django
    await api.get("/search", params={"page": "1", "q": "json"})  # the same search written otherwise: a hit too
    await api.get("/search", params={"q": "json"}, headers={"If-None-Match": first.headers["ETag"]})  # a replay
    await stop_recorder()
    records = [record async for record in SearchRecord.objects.order_by("id")]

    assert [(r.query, r.status, r.cached) for r in records] == [
        ("json", 200, False),
        ("json", 200, True),
        ("json", 200, True),
        ("json", 304, True),
    ]
    assert {r.total_hits for r in records} == {records[0].total_hits}
    assert {r.elasticsearch_took_ms for r in records} == {records[0].elasticsearch_took_ms}


async def test_a_replays_row_is_the_row_the_whole_stack_writes_for_the_same_request(api, configure_service):
    configure_service(search_analytics=True)
    params = {"q": "JSON dumps", "mode": "simple", "filter": "kind:function", "page": "2", "size": "5"}
    for _ in range(3):  # searched; a hit through Django, which remembers how to replay it; a replay
        await api.get("/search", params=params)
    await stop_recorder()
    records = [record async for record in SearchRecord.objects.order_by("id")]

    def written(record: SearchRecord) -> dict[str, object]:
        per_answer = {"id", "timestamp", "latency_ms"}
        return {f.name: getattr(record, f.name) for f in SearchRecord._meta.concrete_fields if f.name not in per_answer}

    assert len(records) == 3
    assert written(records[2]) == written(records[1])
    assert written(records[2])["cached"] is True
    assert (records[2].mode, records[2].filters, records[2].page) == ("simple", ["kind:function"], 2)


async def test_filters_mode_and_page_are_recorded(api, configure_service):
    configure_service(search_analytics=True)
    [record] = await search_and_write(api, "paginated", mode="simple", filter="kind:function", page=2, size=5)
    assert (record.mode, record.filters, record.page, record.status) == ("simple", ["kind:function"], 2, 200)


async def test_privacy_stores_no_query_text(api, configure_service):
    configure_service(search_analytics=True, search_analytics_query_text=False)
    records = await search_and_write(api, "my private search", "json")
    assert [r.query for r in records] == [None, None]
    assert [r.status for r in records] == [200, 200]


async def test_recording_off_writes_nothing(api, configure_service):
    configure_service(search_analytics=False)
    assert await search_and_write(api, "json", "nothingmatchesthis") == []


async def test_requests_refused_before_any_search_are_not_rows(api, configure_service):
    # Without a key where keys are required: 401, counted by the metrics, never stored (a way to fill the disk).
    configure_service(search_analytics=True, search_require_api_key=True)
    await api.get("/search", params={"q": "x" * 1_000, "filter": ["kind:" + "f" * 500] * 64})
    await api.get("/search", params={"q": "json"}, headers={"X-API-Key": "sk_made_up_0000000000000000"})
    assert await search_and_write(api) == []


async def test_too_many_parameters_is_answered_as_such_and_not_stored(api, configure_service, caplog):
    """Django refuses a query string of more than 1,000 fields on every read of request.GET: read again after the
    answer, it replaced the 400 too_many_parameters with an HTML 500 and a traceback (found by the protocol fuzz)."""
    configure_service(search_analytics=True)
    response = await api.get("/search", params=[("q", "json")] + [(f"p{n}", "x") for n in range(1_001)])
    assert (response.status_code, response.json()["error"]) == (400, "too_many_parameters")
    assert await search_and_write(api) == []
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_other_endpoints_are_not_recorded(api, configure_service):
    configure_service(search_analytics=True)
    await api.get("/suggest", params={"prefix": "js"})
    await api.get("/health")
    assert await search_and_write(api) == []


def test_a_thousand_concurrent_searches_are_a_thousand_rows_after_a_graceful_stop(fixture_index, tmp_path):
    """The container's start command with its own SQLite file: migrated at start-up, searched 1,000 times at
    once, stopped with SIGTERM (as an orchestrator stops it), then counted."""
    port = free_port()
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "ELASTICSEARCH_HOSTS": ES_URL,
        "ELASTICSEARCH_USERNAME": "elastic",
        "ELASTICSEARCH_PASSWORD": ES_PASSWORD,
        "ELASTICSEARCH_INDEX": fixture_index,
        "DATA_DIR": str(tmp_path),
        "SEARCH_RATE_LIMIT": "",  # one client address sends all of them
        "SEARCH_ANALYTICS_BATCH": "100",
        "SEARCH_ANALYTICS_FLUSH_INTERVAL": "30",  # so that most rows are still buffered at the stop
        # A burst of 1,000 on a shared 2-core machine can wait on Elasticsearch for seconds; a timeout is recorded
        # too, but every search answered is the clearer case.
        "ELASTICSEARCH_REQUEST_TIMEOUT": "30",
        "SEARCH_TIMEOUT": "20",
    }
    log_path = tmp_path / "serve.log"  # a file, not a pipe: 1,000 access-log lines would fill a pipe and stall it
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(image_command(), cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/health").status_code == 200

        def query(n: int) -> str:
            return f"entry{n % 30:02d}" if n % 10 else f"nothing{n}"

        async def search_all() -> list[tuple[int, bool]]:
            limits = httpx.Limits(max_connections=1_000)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=90) as client:
                answers = await asyncio.gather(*(client.get("/search", params={"q": query(n)}) for n in range(1_000)))
            return [(a.status_code, a.status_code == 200 and a.json()["total"]["value"] == 0) for a in answers]

        began = time.monotonic()
        answered = asyncio.run(search_all())
        elapsed = time.monotonic() - began
        # Every one answered (a search Elasticsearch was too slow for is a 504, and recorded as one).
        assert {status for status, _ in answered} <= {200, 504}, sorted({status for status, _ in answered})
        assert sum(status == 200 for status, _ in answered) >= 900
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = log_path.read_text()
    assert "Traceback" not in log, log
    with sqlite3.connect(tmp_path / "search-service.sqlite3") as database:
        (rows,) = database.execute("select count(*) from search_service_searchrecord").fetchone()
        (zero,) = database.execute("select count(*) from search_service_searchrecord where zero_results").fetchone()
    database.close()
    assert rows == 1_000
    assert zero == sum(found_nothing for _, found_nothing in answered)  # every tenth searched for nothing{n}
    assert zero >= 90
    print(f"1,000 concurrent searches in {elapsed:.1f} s; {rows} rows after SIGTERM")


async def test_an_instantsearch_call_is_a_row_per_search_but_not_per_facet_request(
    api, configure_service, fixture_index
):
    configure_service(search_analytics=True)
    body = {
        "requests": [
            {
                "indexName": fixture_index,
                "params": "query=JSON%20dumps&page=1&hitsPerPage=1&facetFilters=%5B%22kind%3Afunction%22%5D",
            },
            {"indexName": fixture_index, "params": "query=json&hitsPerPage=0&facets=kind&analytics=false"},
            {"indexName": fixture_index, "type": "facet", "facet": "module", "facetQuery": "js"},
        ]
    }
    response = await api.post("/1/indexes/*/queries", json=body)
    assert response.status_code == 200, response.text
    refused = await api.post("/1/indexes/*/queries", json={"requests": [{"indexName": "nope"}]})
    assert refused.status_code == 404
    await stop_recorder()
    records = [record async for record in SearchRecord.objects.order_by("id")]
    assert [(r.api, r.query, r.mode, r.filters, r.page, r.status) for r in records] == [
        ("instantsearch", "json dumps", "simple", ["kind:function"], 2, 200),
        ("instantsearch", "", "simple", [], 1, 404),
    ]
    assert records[0].total_hits == response.json()["results"][0]["nbHits"]
