"""The access log: one JSON line per request, with what an operator needs and no secret."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from search_service.json_logs import JsonFormatter
from tests.conftest import ES_PASSWORD, ES_URL, REPO, free_port
from tests.test_serve import access_lines, image_command, wait_for

FIELDS = {
    "time",
    "request_id",
    "method",
    "path",
    "status",
    "duration_ms",
    "es_took_ms",
    "hits",
    "cached",
    "queue_ms",
    "api_key_prefix",
    "tenant",
    "client",
}


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def access_log():
    """The access logger's lines, formatted as in production (it does not propagate to pytest's capture)."""
    handler = Lines()
    logger = logging.getLogger("search_service.access")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


async def test_a_search_is_one_json_line_with_its_id_timing_and_what_it_found(api, access_log):
    response = await api.get("/search", params={"q": "json"}, headers={"X-Request-ID": "trace-0af7651916cd43dd"})
    assert response.headers["X-Request-ID"] == "trace-0af7651916cd43dd"
    [line] = access_log
    entry = json.loads(line)
    assert set(entry) == FIELDS
    assert (entry["request_id"], entry["method"], entry["path"], entry["status"]) == (
        "trace-0af7651916cd43dd",
        "GET",
        "/search",
        200,
    )
    assert entry["hits"] == response.json()["total"]["value"] > 0
    assert entry["es_took_ms"] == response.json()["took_ms"]
    assert entry["duration_ms"] > 0
    assert entry["api_key_prefix"] is None


async def test_line_separators_in_a_path_or_query_stay_on_one_line(api, configure_service, access_log):
    configure_service(search_access_log_query_text=True)
    await api.get("/search\u2028x", params={"q": "json\u2028dump\u2029load"})
    await api.get("/search", params={"q": "json\u2028dump\u2029load"})

    assert len(access_log) == 2
    for line in access_log:
        assert "\u2028" not in line
        assert "\u2029" not in line
        assert len(line.splitlines()) == 1  # str.splitlines, like many log tools, breaks at U+2028
    assert json.loads(access_log[1])["query"] == "json\u2028dump\u2029load"  # the text itself is kept


@pytest.mark.parametrize("sent", [None, "", "a b", "x" * 129, "id\nInjected: 1", "é"])
async def test_an_unusable_request_id_is_replaced_by_a_new_one(api, access_log, sent):
    headers = {} if sent is None else {"X-Request-ID": sent.encode()}
    response = await api.get("/health/", headers=headers)  # a 404: logged
    generated = response.headers["X-Request-ID"]
    assert len(generated) == 32
    assert json.loads(access_log[0])["request_id"] == generated


async def test_the_query_text_is_logged_only_when_asked(api, configure_service, access_log):
    configure_service(search_access_log_query_text=True)
    await api.get("/search", params={"q": "my private search"})
    await api.get("/suggest", params={"prefix": "js"})
    assert [json.loads(line)["query"] for line in access_log] == ["my private search", "js"]


async def test_successful_probes_are_left_out_and_the_log_can_be_turned_off(api, configure_service, access_log):
    assert (await api.get("/health")).status_code == 200
    assert access_log == []
    configure_service(search_access_log=False)
    response = await api.get("/search", params={"q": "json"})
    assert response.status_code == 200
    assert "X-Request-ID" not in response.headers
    assert access_log == []


def test_the_served_log_has_the_key_prefix_and_never_the_key(fixture_index, tmp_path):
    """The image's command with keys required: a key made with the management command, a search with it, a
    request refused before Django (a body), and the whole output searched for the key."""
    port = free_port()
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "ELASTICSEARCH_HOSTS": ES_URL,
        "ELASTICSEARCH_USERNAME": "elastic",
        "ELASTICSEARCH_PASSWORD": ES_PASSWORD,
        "ELASTICSEARCH_INDEX": fixture_index,
        "DATA_DIR": str(tmp_path),
        "SEARCH_REQUIRE_API_KEY": "true",
        "ANALYTICS_TOKEN": "analytics-token-for-tests-0123",
    }
    log_path = tmp_path / "serve.log"  # a file, not a pipe: nobody reads a pipe while the server runs
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(image_command(), cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/health").status_code == 200
        created = subprocess.run(
            [sys.executable, "manage.py", "create_api_key", "log test", "--scope", "search"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        key = created.stdout.splitlines()[-1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            found = client.get("/search", params={"q": "json"}, headers={"X-API-Key": key})
            refused = client.get("/search", params={"q": "json"}, headers={"Authorization": f"ApiKey {key}x"})
            body = client.post("/search", content=b"x", headers={"X-Request-ID": "with-a-body"})
            analytics = client.get(
                "/analytics/recorder", headers={"Authorization": "Bearer analytics-token-for-tests-0123"}
            )
        assert (found.status_code, refused.status_code, body.status_code, analytics.status_code) == (200, 401, 413, 200)
    finally:
        process.terminate()
        process.wait(timeout=30)
    log = log_path.read_text()
    assert key not in log
    assert key[4:] not in log  # nor its secret part alone
    assert "analytics-token-for-tests-0123" not in log
    lines = access_lines(log)
    assert [(line["path"], line["status"]) for line in lines] == [
        ("/search", 200),
        ("/search", 401),
        ("/search", 413),
        ("/analytics/recorder", 200),
    ]
    assert all(set(line) == FIELDS for line in lines)
    assert lines[0]["api_key_prefix"] == key[4:16]
    assert lines[0]["hits"] == found.json()["total"]["value"]
    assert lines[1]["api_key_prefix"] is None
    assert lines[2]["request_id"] == "with-a-body" == body.headers["X-Request-ID"]
    assert [line["request_id"] for line in lines[:2]] == [
        found.headers["X-Request-ID"],
        refused.headers["X-Request-ID"],
    ]
