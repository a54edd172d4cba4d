"""/metrics: the series after a few requests, read with prometheus-client's own parser; who may read them; and
the sums over several workers of the image's command."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from search_service.metrics.series import elasticsearch_operation
from tests.conftest import ES_PASSWORD, ES_URL, REPO, free_port
from tests.test_serve import image_command, wait_for

TOKEN = "metrics-token-for-tests-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample, by name and labels, as Prometheus's own parser reads the text."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_on(configure_service):
    configure_service(metrics_token=TOKEN)


async def scrape(api) -> Samples:
    response = await api.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    return samples(response.text)


async def test_requests_elasticsearch_calls_and_errors_are_counted(api, metrics_on, configure_service, fixture_index):
    before = await scrape(api)
    for size in (1, 2, 3):  # three different searches: the same one again would be answered by the answer cache
        assert (await api.get("/search", params={"q": "json", "size": size})).status_code == 200
    assert (await api.get("/documents/json.dumps")).status_code == 200
    assert (await api.get("/search", params={"size": -1})).status_code == 422
    assert (await api.get("/no/such/path")).status_code == 404
    configure_service(metrics_token=TOKEN, elasticsearch_index="no-such-index-for-metrics")
    # Elasticsearch answered 404 to the mapping read that comes first (mapping/loaded.py).
    assert (await api.get("/suggest", params={"prefix": "js"})).status_code == 503
    after = await scrape(api)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    duration = "search_http_request_duration_seconds"
    assert grew(f"{duration}_count", endpoint="/search", status="200") == 3
    assert grew(f"{duration}_count", endpoint="/search", status="422") == 1
    assert grew(f"{duration}_count", endpoint="/documents/<path:doc_id>", status="200") == 1
    assert grew(f"{duration}_count", endpoint="unmatched", status="404") == 1
    assert grew(f"{duration}_count", endpoint="/suggest", status="503") == 1
    assert grew(f"{duration}_bucket", endpoint="/search", status="200", le="+Inf") == 3
    assert grew(f"{duration}_sum", endpoint="/search", status="200") > 0
    assert grew("search_elasticsearch_request_duration_seconds_count", operation="_search") >= 5
    assert grew("search_elasticsearch_errors_total", operation="_mapping", error="http_404") == 1
    assert value(after, "search_http_requests_in_flight") == 1  # the scrape itself
    for name in ("search_analytics_rows_buffered", "search_analytics_rows_written_total"):
        assert any(key[0] == name for key in after), name


async def test_metrics_need_the_token_or_an_admin_key(api, metrics_on):
    assert (await api.get("/metrics")).status_code == 401
    wrong = await api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert TOKEN not in wrong.text


@pytest.mark.parametrize("setting", [{"search_metrics": False}, {"metrics_port": 9999}])
async def test_metrics_off_or_on_their_own_port_are_not_on_the_api(api, configure_service, setting):
    configure_service(metrics_token=TOKEN, **setting)
    response = await api.get("/metrics", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("target", "operation"),
    [
        ("/docs/_search?preference=x", "_search"),
        ("/_pit?keep_alive=1m", "_pit"),
        ("/_cluster/health/docs", "_cluster"),
        ("/_nodes/_local", "_nodes"),
        ("/docs", "index"),
    ],
)
def test_an_elasticsearch_call_is_labelled_by_its_api_not_its_index(target, operation):
    assert elasticsearch_operation(target) == operation


def test_two_workers_are_summed_and_served_on_the_metrics_port(fixture_index, tmp_path):
    """The image's command with WEB_CONCURRENCY=2 and METRICS_PORT: whichever worker answered each search, the
    metrics port counts them all (prometheus-client's multiprocess mode, set up by scripts/serve)."""
    port, metrics_port = free_port(), free_port()
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "METRICS_PORT": str(metrics_port),
        "ELASTICSEARCH_HOSTS": ES_URL,
        "ELASTICSEARCH_USERNAME": "elastic",
        "ELASTICSEARCH_PASSWORD": ES_PASSWORD,
        "ELASTICSEARCH_INDEX": fixture_index,
        "SEARCH_ANALYTICS": "false",
        "SEARCH_RATE_LIMIT": "",
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(image_command(), cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/health").status_code == 200
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            # New connections, so that both workers take some.
            statuses = [
                # Different searches: the same one again would be answered by the answer cache.
                httpx.get(f"http://127.0.0.1:{port}/search", params={"q": "json", "size": size}).status_code
                for size in range(1, 21)
            ]
            assert client.get("/metrics").status_code == 404  # not on the API's port
        assert statuses == [200] * 20
        found = samples(httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text)
    finally:
        process.terminate()
        process.wait(timeout=30)
    duration = "search_http_request_duration_seconds_count"
    assert value(found, duration, endpoint="/search", status="200") == 20
    assert value(found, "search_elasticsearch_request_duration_seconds_count", operation="_search") >= 20
    assert "Traceback" not in log_path.read_text()


async def test_admission_shows_its_turns_limit_and_refusals(api, configure_service, slow_elasticsearch):
    # One turn at a time and no queue: a search while another holds the turn is refused.
    configure_service(
        metrics_token=TOKEN,
        elasticsearch_hosts=slow_elasticsearch,
        search_concurrency_min=1,
        search_concurrency_max=1,
        search_queue_per_caller=0,
        search_refusal_delay=0,
    )
    before = await scrape(api)
    holder = asyncio.create_task(api.get("/search", params={"q": "json"}))
    await asyncio.sleep(2.5)  # past the mapping read, which also takes the proxy's 2 s
    assert (await api.get("/search", params={"q": "dump"})).status_code == 429
    assert (await holder).status_code == 200
    after = await scrape(api)

    assert (
        value(after, "search_admission_wait_seconds_count") - value(before, "search_admission_wait_seconds_count") == 1
    )
    refused = value(after, "search_admission_refused_total", reason="overloaded")
    assert refused - value(before, "search_admission_refused_total", reason="overloaded") == 1
    assert value(after, "search_admission_limit_units", lane="ordinary") == 1
