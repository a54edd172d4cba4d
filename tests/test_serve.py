"""The container's start command, run as the image runs it (no Docker engine here), against the real node."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from search_service.probes import is_successful_probe
from tests.conftest import ES_PASSWORD, REPO, UPSTREAM_DELAY, free_port


def image_command() -> list[str]:
    """The exec-form CMD of the Dockerfile's final stage."""
    match = re.search(r"^CMD (\[.*\])$", (REPO / "Dockerfile").read_text(), re.M)
    assert match, "the Dockerfile has no exec-form CMD"
    command: list[str] = json.loads(match.group(1))
    return command


def healthcheck_command() -> list[str]:
    """The exec-form command of the Dockerfile's HEALTHCHECK."""
    match = re.search(r"^\s+CMD (\[.*\])$", (REPO / "Dockerfile").read_text(), re.M)
    assert match, "the Dockerfile has no exec-form HEALTHCHECK"
    command: list[str] = json.loads(match.group(1))
    return command


def wait_for(url: str, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=10)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def served(slow_elasticsearch: str, fixture_index: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The image's CMD, from the repository root (the image's WORKDIR has the same layout)."""
    port = free_port()
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "ELASTICSEARCH_HOSTS": slow_elasticsearch,
        "ELASTICSEARCH_USERNAME": "elastic",
        "ELASTICSEARCH_PASSWORD": ES_PASSWORD,
        "ELASTICSEARCH_INDEX": fixture_index,
    }
    process = subprocess.Popen(
        image_command(), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    yield process, f"http://127.0.0.1:{port}"
    if process.poll() is None:
        process.kill()
        process.wait()
    assert process.stdout
    process.stdout.close()


def test_image_command_serves_and_shuts_down_gracefully(served):
    process, base_url = served

    assert wait_for(f"{base_url}/health").json() == {"status": "ok"}
    assert wait_for(f"{base_url}/ready").status_code == 200

    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        in_flight = pool.submit(httpx.get, f"{base_url}/search", params={"q": "json"}, timeout=30)
        time.sleep(UPSTREAM_DELAY / 4)  # the request is now waiting on the slow upstream
        process.send_signal(signal.SIGTERM)
        response = in_flight.result()
        elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert {hit["id"] for hit in response.json()["hits"]} == {"json.dumps", "json.loads"}
    assert elapsed >= UPSTREAM_DELAY  # it really was in flight when the signal came
    assert process.wait(timeout=30) == 0
    assert process.stdout
    log = process.stdout.read()
    assert "Application shutdown complete" in log
    for bad in ("Traceback", "Unclosed", "ERROR", "lifespan"):
        assert bad not in log, log
    # The access log has the search, not the probes that succeeded (HEALTHCHECK would add one every 10 s).
    lines = access_lines(log)
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [("GET", "/search", 200)], log


def test_healthcheck_probes_the_service_directly_and_quietly(served):
    process, base_url = served
    wait_for(f"{base_url}/health")
    port = base_url.rsplit(":", 1)[1]
    # A proxy that does not exist: a probe that went through it would fail.
    env = {
        "PATH": os.environ["PATH"],
        "PORT": port,
        "HTTP_PROXY": "http://127.0.0.1:1",
        "http_proxy": "http://127.0.0.1:1",
    }

    healthy = subprocess.run(healthcheck_command(), env=env, capture_output=True, timeout=30)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    unhealthy = subprocess.run(healthcheck_command(), env=env, capture_output=True, timeout=30)

    assert healthy.returncode == 0, healthy.stderr
    assert unhealthy.returncode != 0
    assert process.stdout
    assert access_lines(process.stdout.read()) == []


def access_lines(log: str) -> list[dict[str, Any]]:
    """The access log's lines (JSON objects with a request id) among the rest of the output."""
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [line for line in lines if "request_id" in line]


@pytest.mark.parametrize(
    ("path", "status", "logged"),
    [("/health", 200, False), ("/ready", 200, False), ("/ready", 503, True), ("/search", 200, True)],
)
def test_access_log_leaves_out_only_successful_probes(path, status, logged):
    assert is_successful_probe(path, status) is not logged
