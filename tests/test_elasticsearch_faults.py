"""Elasticsearch's faults reach the client as the status it can act on: 503 + Retry-After for "try again", 504 for
too slow, 502 for a broken answer; each logged at the level it deserves, and the timeout honoured to 0.2 s."""

import asyncio
import logging
import math
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import orjson
import pytest
from django.conf import settings
from elasticsearch import Elasticsearch

from search_service import elastic
from search_service.demo import DEMO_MAPPING
from search_service.elastic import client_options
from tests.conftest import ES_URL, REPO, free_port, service_settings
from tests.test_search_errors import assert_error

ELASTIC_HEADERS = {"X-Elastic-Product": "Elasticsearch", "Content-Type": "application/json"}
# Elasticsearch 8.19's answer to a search of an index whose only primary shard is unassigned, as the real node
# sends it (test_unassigned_shards_are_503_logged_as_a_warning gets it from the real node).
SHARDS_UNAVAILABLE = (
    b'{"error":{"root_cause":[{"type":"no_shard_available_action_exception","reason":null}],'
    b'"type":"search_phase_execution_exception","reason":"all shards failed","phase":"query","grouped":true,'
    b'"failed_shards":[]},"status":503}'
)


@dataclass
class Answer:
    status: int
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: dict(ELASTIC_HEADERS))


class FakeElasticsearch:
    """A stand-in for Elasticsearch on 127.0.0.1: answers each request by its path's first match in `answers`,
    and counts the requests, so a test can send what a real node cannot be made to send."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers
        self.requests: list[str] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.url = ""

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    def answer_for(self, path: str) -> Answer:
        return next(answer for prefix, answer in self.answers.items() if path.startswith(prefix))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            for _ in range(100):  # keep-alive, bounded
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                method, path, _ = head.split(" ", 2)
                length = next(
                    (
                        int(line.split(":")[1])
                        for line in head.lower().splitlines()
                        if line.startswith("content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                self.requests.append(f"{method} {path}")
                answer = self.answer_for(path)
                headers = answer.headers | {"Content-Length": str(len(answer.body))}
                writer.write(
                    f"HTTP/1.1 {answer.status} Fake\r\n".encode()
                    + "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode()
                    + b"\r\n"
                    + (b"" if method == "HEAD" else answer.body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def fake_elasticsearch(configure_service) -> AsyncIterator[Callable[..., Awaitable[FakeElasticsearch]]]:
    """Start a FakeElasticsearch with the given answers and point the service at it."""
    started: list[FakeElasticsearch] = []

    async def start(answers: dict[str, Answer]) -> FakeElasticsearch:
        # The demo's mapping for the configured index unless a test answers its mapping read otherwise: the
        # service reads it before its first search (mapping/loaded.py).
        mapping_path = f"/{settings.SEARCH.elasticsearch_index}/_mapping"
        mapping = orjson.dumps({settings.SEARCH.elasticsearch_index: {"mappings": DEMO_MAPPING}})
        fake = FakeElasticsearch({mapping_path: Answer(200, mapping)} | answers)
        await fake.start()
        started.append(fake)
        configure_service(elasticsearch_hosts=fake.url)
        return fake

    yield start
    for fake in started:
        await fake.close()


@pytest.fixture
def unassigned_index(elasticsearch_url: str) -> Iterator[str]:
    """An index on the real node whose only primary shard can never be allocated, so searching it answers 503.

    It turns the whole cluster red while it exists, and scripts/elasticsearch (so every test run sharing the node)
    takes a cluster that stays red for a second as not running; it lives for a few tens of milliseconds.
    """
    name = f"test-unassigned-{uuid.uuid4().hex}"
    with Elasticsearch(**client_options(service_settings())) as client:
        client.indices.create(
            index=name,
            settings={"number_of_replicas": 0, "index.routing.allocation.require._name": "nowhere"},
            wait_for_active_shards="0",
        )
        try:
            yield name
        finally:
            client.indices.delete(index=name)


async def test_unassigned_shards_are_503_logged_as_a_warning(api, configure_service, unassigned_index, caplog):
    configure_service(elasticsearch_index=unassigned_index)

    response = await api.get("/search", params={"q": "json"})

    assert_error(response, 503, "elasticsearch_unavailable")
    assert int(response.headers["Retry-After"]) > 0
    assert unassigned_index not in response.text
    assert [r.levelname for r in caplog.records if r.name == "search_service.errors"] == ["WARNING"]
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("upstream_status", "status", "error"),
    [
        (503, 503, "elasticsearch_unavailable"),  # shards unavailable, or a load balancer with no node behind it
        (502, 503, "elasticsearch_unavailable"),  # a gateway in front of the cluster cannot reach it
        (504, 504, "elasticsearch_timeout"),  # a gateway in front of the cluster gave up waiting
        (429, 503, "elasticsearch_overloaded"),
        (500, 502, "elasticsearch_error"),  # Elasticsearch failed; trying again will not help
    ],
)
async def test_elasticsearch_5xx_maps_to_what_the_client_can_do(
    api, fake_elasticsearch, upstream_status, status, error
):
    fake = await fake_elasticsearch({"/": Answer(upstream_status, SHARDS_UNAVAILABLE)})

    response = await api.get("/search", params={"q": "json"})

    assert_error(response, status, error)
    assert ("Retry-After" in response.headers) == (status == 503)
    # Retries are for connection errors only: a second try at once would not find the shards, the load or the
    # gateway changed, and would double the wait on a 504.
    assert len([request for request in fake.requests if "/_search" in request]) == 1


@pytest.mark.parametrize(
    "answer",
    [
        Answer(200, b"<html>Bad Gateway</html>"),  # not JSON though it says so
        Answer(200, b"<html>hello</html>", {"Content-Type": "text/html", "X-Elastic-Product": "Elasticsearch"}),
        Answer(200, b'{"hits": {"hits": []}}', {"Content-Type": "application/json"}),  # not Elasticsearch
    ],
)
async def test_an_answer_that_is_not_elasticsearch_json_is_502(api, fake_elasticsearch, answer, caplog):
    await fake_elasticsearch({"/": answer})

    response = await api.get("/search", params={"q": "json"})

    assert_error(response, 502, "elasticsearch_bad_answer")
    assert "html" not in response.text
    assert [r.levelname for r in caplog.records if r.name == "search_service.errors"] == ["ERROR"]


@pytest.mark.parametrize(
    ("health", "status", "error"),
    [
        (b'{"status": "green"}', 200, None),
        (b'{"status": "red"}', 503, "cluster_red"),
        (b"{}", 502, "elasticsearch_bad_answer"),
        (b'{"status": 3}', 502, "elasticsearch_bad_answer"),
        (b"[]", 502, "elasticsearch_bad_answer"),
    ],
)
async def test_ready_checks_the_shape_of_cluster_health(api, fake_elasticsearch, health, status, error):
    await fake_elasticsearch({"/_cluster/health": Answer(200, health), "/": Answer(200)})

    response = await api.get("/ready")

    if error is None:
        assert response.status_code == 200
        # The tests' settings use no database: no analytics, keys or analytics token (tests/conftest.py).
        assert response.json() == {
            "status": "ready",
            "cluster_status": "green",
            "database": "unused",
            "analytics": "off",
        }
    else:
        assert_error(response, status, error)


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        (
            {"elasticsearch_hosts": "http://127.0.0.1:1", "elasticsearch_max_retries": 0},
            503,
            "elasticsearch_unavailable",
        ),
        ({"elasticsearch_password": "wrong"}, 502, "elasticsearch_error"),
        ({"elasticsearch_request_timeout": 0.001}, 504, "elasticsearch_timeout"),
        ({"elasticsearch_index": "no-such-index"}, 503, "index_unavailable"),
    ],
)
async def test_ready_answers_only_documented_statuses_as_json(api, configure_service, overrides, status, error):
    configure_service(**overrides)

    response = await api.get("/ready")

    assert_error(response, status, error)
    assert ("Retry-After" in response.headers) == (status == 503)
    documented = (await api.get("/openapi.json")).json()["paths"]["/ready"]["get"]["responses"]
    assert str(status) in documented


async def test_ready_documents_every_status_it_can_answer(api):
    operation = (await api.get("/openapi.json")).json()["paths"]["/ready"]["get"]

    assert set(operation["responses"]) == {"200", "401", "500", "502", "503", "504"}  # 401: READY_REQUIRES_API_KEY
    for status in ("401", "500", "502", "503", "504"):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorResponse"}


@pytest.fixture
def latency_proxy(elasticsearch_url: str) -> Iterator[Callable[[float], str]]:
    """Start scripts/latency_proxy.py in front of the real node with the given delay; its URL."""
    proxies: list[subprocess.Popen[str]] = []

    def start(delay: float) -> str:
        port = free_port()
        proxy = subprocess.Popen(
            [
                *(sys.executable, REPO / "scripts" / "latency_proxy.py"),
                *("--listen", f"127.0.0.1:{port}", "--upstream", ES_URL.removeprefix("http://")),
                *("--delay", str(delay)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        proxies.append(proxy)
        assert proxy.stdout
        assert proxy.stdout.readline().startswith("latency proxy")
        return f"http://127.0.0.1:{port}"

    yield start
    for proxy in proxies:
        proxy.terminate()
        proxy.wait(timeout=10)
        assert proxy.stdout
        proxy.stdout.close()


async def timed_get(api, path: str, **params: str) -> tuple[float, object]:
    started = time.monotonic()
    response = await api.get(path, params=params)
    return time.monotonic() - started, response


@dataclass
class Deadline:
    seconds: float  # the timeout asked for
    set_at: float  # the loop's clock just before the deadline was set
    timeout: asyncio.Timeout

    @property
    def after(self) -> float:
        """How long after it was set the deadline falls: what decides when the request is cut, on any machine."""
        when = self.timeout.when()
        assert when is not None
        return when - self.set_at


@pytest.fixture
def deadlines(monkeypatch) -> list[Deadline]:
    """Every deadline elastic.py sets on an attempt to Elasticsearch (its asyncio.timeout), as it is set."""
    recorded: list[Deadline] = []

    def timeout(seconds: float) -> asyncio.Timeout:
        set_at = asyncio.get_running_loop().time()
        recorded.append(Deadline(seconds, set_at, asyncio.timeout(seconds)))
        return recorded[-1].timeout

    monkeypatch.setattr(elastic, "asyncio", SimpleNamespace(timeout=timeout))
    return recorded


async def test_a_five_second_timeout_is_not_rounded_up_to_six(api, configure_service, latency_proxy, deadlines):
    # aiohttp rounds a timeout of 5 s or more up to the next whole second of the loop's clock, so a request
    # started just after a whole second ran for nearly 6 s. Start it there, where the rounding shows most: the
    # deadline that cuts the request must fall 5 s after it was set, not at the next whole second (5.95 s).
    configure_service(elasticsearch_hosts=latency_proxy(8), elasticsearch_request_timeout=5)
    loop = asyncio.get_running_loop()
    await asyncio.sleep(math.ceil(loop.time()) - loop.time() + 0.05)

    elapsed, response = await timed_get(api, "/search", q="json")

    assert_error(response, 504, "elasticsearch_timeout")
    (deadline,) = deadlines  # one attempt: a timeout is not retried
    assert deadline.seconds == 5
    assert deadline.after == pytest.approx(5.0, abs=0.001)
    assert deadline.timeout.expired()  # this deadline cut the request, not aiohttp's rounded one
    assert elapsed >= 5.0  # never early


async def test_a_one_second_timeout_answers_504_at_its_deadline(api, configure_service, latency_proxy, deadlines):
    configure_service(elasticsearch_hosts=latency_proxy(3), elasticsearch_request_timeout=1)
    elapsed_times = []

    for path, params in [("/search", {"q": "json"}), ("/search", {"q": "json"}), ("/ready", {})]:
        elapsed, response = await timed_get(api, path, **params)

        assert_error(response, 504, "elasticsearch_timeout")
        elapsed_times.append(elapsed)

    assert len(deadlines) == 3  # one attempt each, none retried after its timeout
    assert [deadline.after for deadline in deadlines] == [pytest.approx(1.0, abs=0.001)] * 3
    assert min(elapsed_times) >= 1.0  # never early
