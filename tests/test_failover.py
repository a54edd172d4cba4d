"""A 3-node cluster loses nodes under a steady search load through the service (make failover; CI runs it).

One cluster of three nodes from scripts/elasticsearch (ES_NODES=3) on ports of its own, an index with 1 replica,
the service configured with all three hosts, and 20 searches a second through the ASGI app while, in turn:
node 3 (not the first host) is killed with -9 and started again, node 1 (the first host) is killed with -9, the
whole cluster is stopped, and started again. What it measured is printed (the make target runs pytest -s).

Each search is judged by the phases it was in flight in, from the moment it was sent to the moment it was answered:
a search sent just before an action and answered after it may show that action's effect (a search in flight when
the whole cluster is stopped may answer 503), and counts as a failure only if no phase it saw allows its answer. The
load runs until the test stops it, however long the nodes take to start on a loaded machine, and the measured
phases begin once the new cluster answers quickly (WARM_RUN).
"""

import asyncio
import itertools
import logging
import os
import statistics
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch, helpers

from config.asgi import application
from search_service.demo import DEMO_MAPPING
from search_service.elastic import close_client
from tests.conftest import ES_PASSWORD, ES_SCRIPT, FIXTURE_DOCUMENTS, service_settings

pytestmark = pytest.mark.cluster

NODES = 3
BASE_PORT = int(os.environ.get("FAILOVER_ES_PORT", "9260"))  # HTTP 9260-9262, transport 9360-9362
HOSTS = [f"http://127.0.0.1:{BASE_PORT + n}" for n in range(NODES)]
SEARCHES_PER_SECOND = 20
PHASE_SECONDS = 5.0
# The cluster has just started: its first searches compile Elasticsearch's code paths, and on a loaded machine took
# 2-4 s each inside Elasticsearch and timed out (504) while a queue formed. The measured phases begin once this many
# searches in a row have answered 200 within WARM_SECONDS, bounded by WARM_UP_BOUND.
WARM_RUN = 20
WARM_SECONDS = 1.0
WARM_UP_BOUND = 120.0
QUERIES = ["json", "dumps", "reader", "paginated entry", "object", "csv"]
ALL_DOWN_BOUND = 1.0  # seconds: with every node down, /search and /ready answer 503 within this
RECOVERY_BOUND = 10.0  # seconds from the cluster answering again to the service's first 200
# Each node start may take the script's 240 s on a loaded machine (measured: 100-160 s with both of 2 cores busy),
# and the test starts nodes three times: the default 10 minutes a test is too short for it there.
TEST_TIMEOUT = 1200

# What a search may answer while each phase lasts (named by the mark that begins it): "clean" is a 200 with every
# shard, "partial" a 200 without some. While a node is killed, a search in flight on it may lose that node's shards
# (Elasticsearch retries a failed shard on another copy in the query phase, not in the fetch phase); while the whole
# cluster stops and starts, 503 (and once nodes start, 504: one may accept a connection and not answer in time).
CLEAN = frozenset({"clean"})
KILLING = frozenset({"clean", "partial"})
STOPPING = frozenset({"clean", "partial", 503})
STARTING = frozenset({"clean", "partial", 503, 504})
PERMITTED = {
    "warm up": frozenset({"clean", "partial", 504}),
    "steady load": CLEAN,
    "kill node 3": KILLING,
    "node 3 killed": CLEAN,
    "start node 3": CLEAN,
    "green again": CLEAN,
    "kill node 1": KILLING,
    "node 1 killed": CLEAN,
    "stop all": STOPPING,
    "all stopped": STOPPING,
    "start all": STARTING,
    "all started": STARTING,  # until the service's first 200 (RECOVERY_BOUND)
    "recovered": CLEAN,  # from the first 200 after the cluster answers again
    "end": CLEAN,
}


def script(*args: str) -> list[str]:
    return [str(ES_SCRIPT), *args]


SCRIPT_ENV = os.environ | {"ES_NODES": str(NODES), "ES_PORT": str(BASE_PORT), "ES_HEAP": "256m"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Elasticsearch]:
    """The three nodes, started for this module and stopped afterwards, with an admin client for all of them."""
    for host in HOSTS:
        try:
            httpx.get(host, timeout=1)
        except httpx.TransportError:
            continue
        pytest.fail(f"something already answers on {host}; set FAILOVER_ES_PORT to a free range")
    subprocess.run(script("start"), check=True, env=SCRIPT_ENV, timeout=240)
    try:
        with Elasticsearch(HOSTS, basic_auth=("elastic", ES_PASSWORD), max_retries=NODES) as client:
            yield client
    finally:
        subprocess.run(script("stop"), check=True, env=SCRIPT_ENV, timeout=120)


@pytest.fixture
def replicated_index(cluster: Elasticsearch) -> Iterator[str]:
    """3 primaries with 1 replica each, spread over the three nodes (green: every copy assigned)."""
    name = f"failover-{uuid.uuid4().hex}"
    settings = {"number_of_shards": 3, "number_of_replicas": 1}
    cluster.indices.create(index=name, mappings=DEMO_MAPPING, settings=settings)
    helpers.bulk(cluster, FIXTURE_DOCUMENTS, index=name, refresh="wait_for")
    cluster.cluster.health(index=name, wait_for_status="green", timeout="60s")
    shard_nodes = cluster.cat.shards(index=name, h="node").body.split()
    assert len(set(shard_nodes)) == NODES, shard_nodes
    yield name
    try:
        cluster.indices.delete(index=name)
    except Exception as error:  # the cluster may be down if the test failed half-way; it is stopped anyway
        print(f"could not delete {name}: {error}")


@dataclass
class Answer:
    path: str
    started: float  # seconds since the load began
    seconds: float
    status: int
    error: str = ""
    retry_after: str | None = None
    shards_failed: int = 0
    shard_failures: tuple[str, ...] = ()
    request_id: str = ""

    @property
    def ended(self) -> float:
        return self.started + self.seconds

    @property
    def outcome(self) -> str | int:
        if self.status != 200:
            return self.status
        return "partial" if self.shards_failed else "clean"


@dataclass
class Load:
    """Searches at a fixed rate (each on its own task, so a slow one does not slow the rate) and /ready twice a
    second, every answer recorded, until stopped; `marks` name the moments actions began and ended."""

    api: httpx.AsyncClient
    index: str
    answers: list[Answer] = field(default_factory=list)
    marks: dict[str, float] = field(default_factory=dict)
    start: float = field(default_factory=time.monotonic)
    warm: asyncio.Event = field(default_factory=asyncio.Event)  # set once WARM_RUN searches in a row were fast
    _tasks: set[asyncio.Task[Answer]] = field(default_factory=set)
    _stopped: asyncio.Event = field(default_factory=asyncio.Event)
    _fast_in_a_row: int = 0

    def now(self) -> float:
        return time.monotonic() - self.start

    def mark(self, name: str) -> float:
        self.marks[name] = self.now()
        return self.marks[name]

    async def request(self, path: str) -> Answer:
        started = self.now()
        response = await self.api.get(path)
        body = response.json()
        search = path.startswith("/search") and response.status_code == 200
        answer = Answer(
            path=path.split("?")[0],
            started=started,
            seconds=self.now() - started,
            status=response.status_code,
            error=body.get("error", "") if response.status_code != 200 else "",
            retry_after=response.headers.get("Retry-After"),
            shards_failed=body["shards"]["failed"] if search else 0,
            shard_failures=tuple(body["shard_failures"]) if search else (),
            request_id=response.headers.get("X-Request-ID", ""),
        )
        self.answers.append(answer)
        if answer.path == "/search":
            fast = answer.outcome == "clean" and answer.seconds < WARM_SECONDS
            self._fast_in_a_row = self._fast_in_a_row + 1 if fast else 0
            if self._fast_in_a_row >= WARM_RUN:
                self.warm.set()
        return answer

    async def run(self) -> None:
        interval = 1 / SEARCHES_PER_SECOND
        for n in itertools.count():
            if self._stopped.is_set():
                break
            path = f"/search?q={QUERIES[n % len(QUERIES)]}" if n % 10 else "/ready"
            task = asyncio.create_task(self.request(path))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            await asyncio.sleep(max(0.0, (n + 1) * interval - self.now()))
        await asyncio.gather(*self._tasks)

    def stop(self) -> None:
        self._stopped.set()

    def between(self, begin: str, end: str, path: str = "/search") -> list[Answer]:
        return [a for a in self.answers if a.path == path and self.marks[begin] <= a.started < self.marks[end]]

    def phases_seen(self, answer: Answer) -> list[str]:
        """The phases `answer` was in flight in, from the one it was sent in to the one it was answered in."""
        names = list(self.marks)
        ends = [*(self.marks[name] for name in names[1:]), float("inf")]
        return [
            name
            for name, end in zip(names, ends, strict=True)
            if self.marks[name] <= answer.ended and answer.started < end
        ]

    def unexpected(self, answers: list[Answer]) -> list[Answer]:
        """The answers that no phase they were in flight in allows (PERMITTED)."""
        return [a for a in answers if not any(a.outcome in PERMITTED[name] for name in self.phases_seen(a))]


class ServiceLog(logging.Handler):
    """The service's warnings and errors, kept to explain an unexpected answer by its request id."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")

    def about(self, answer: Answer) -> list[str]:
        return [line for line in self.lines if answer.request_id and answer.request_id in line]


async def run_script(*args: str) -> None:
    process = await asyncio.create_subprocess_exec(*script(*args), env=SCRIPT_ENV)
    assert await asyncio.wait_for(process.wait(), timeout=240) == 0, args


def latency(answers: list[Answer]) -> str:
    ms = sorted(a.seconds * 1000 for a in answers)
    if len(ms) < 2:
        return "n/a"
    p99 = statistics.quantiles(ms, n=100)[98]
    return f"p50 {statistics.median(ms):.1f} / p99 {p99:.1f} / max {ms[-1]:.1f} ms"


def not_ok(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if a.outcome != "clean"]


def explain(answers: list[Answer], log: ServiceLog) -> str:
    """Each answer's status, code, lifetime and shard failures, with what the service logged about it."""
    lines = []
    for a in answers:
        lines.append(
            f"{a.path} {a.status} {a.error or ','.join(a.shard_failures)} sent at {a.started:.2f} s, answered at "
            f"{a.ended:.2f} s (request {a.request_id})"
        )
        lines += [f"    {line}" for line in log.about(a)]
    return "\n".join(lines)


@pytest.fixture
async def api(settings: Any, replicated_index: str) -> AsyncIterator[httpx.AsyncClient]:
    settings.SEARCH = service_settings(elasticsearch_hosts=",".join(HOSTS), elasticsearch_index=replicated_index)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost", timeout=30) as client:
        yield client
    await close_client()


async def first_answer(load: Load, path: str, status: int, max_seconds: float) -> float:
    """Seconds until `path` answers `status`, asked every 50 ms; fails after `max_seconds`."""
    begin = time.monotonic()
    for _ in range(int(max_seconds / 0.05) + 1):
        if (await load.request(path)).status == status:
            return time.monotonic() - begin
        await asyncio.sleep(0.05)
    pytest.fail(f"{path} did not answer {status} within {max_seconds} s")


@pytest.fixture
def service_log() -> Iterator[ServiceLog]:
    handler = ServiceLog()
    logger = logging.getLogger("search_service")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.mark.timeout(TEST_TIMEOUT)
async def test_searches_survive_a_killed_node_and_recover_after_the_whole_cluster_stops(
    api: httpx.AsyncClient, replicated_index: str, cluster: Elasticsearch, service_log: ServiceLog
) -> None:
    load = Load(api, replicated_index)
    runner = asyncio.create_task(load.run())
    load.mark("warm up")
    await asyncio.wait_for(load.warm.wait(), timeout=WARM_UP_BOUND)
    load.mark("steady load")
    await asyncio.sleep(PHASE_SECONDS)

    # A node the service is not talking to first, then back; then the first host in its list.
    load.mark("kill node 3")
    await run_script("kill", "3")
    load.mark("node 3 killed")
    await asyncio.sleep(PHASE_SECONDS)
    load.mark("start node 3")
    await run_script("start-node", "3")
    await asyncio.to_thread(cluster.cluster.health, index=replicated_index, wait_for_status="green", timeout="60s")
    load.mark("green again")
    await asyncio.sleep(PHASE_SECONDS)
    load.mark("kill node 1")
    await run_script("kill", "1")
    load.mark("node 1 killed")
    await asyncio.sleep(PHASE_SECONDS)

    # The whole cluster: down, then up again with the service left running.
    load.mark("stop all")
    await run_script("stop")
    load.mark("all stopped")
    search_down = await first_answer(load, "/search?q=json", 503, max_seconds=10)
    ready_down = await first_answer(load, "/ready", 503, max_seconds=10)
    await asyncio.sleep(2)
    load.mark("start all")
    await run_script("start")
    load.mark("all started")
    await asyncio.sleep(PHASE_SECONDS)
    load.mark("end")
    load.stop()
    await runner

    searches = [a for a in load.answers if a.path == "/search"]
    recovered = [a.started for a in searches if a.status == 200 and a.started >= load.marks["start all"]]
    assert recovered, (
        f"no search answered 200 after the cluster started again:\n{explain(not_ok(searches)[-5:], service_log)}"
    )
    first_200 = min(recovered)
    phases = list(load.marks)
    lines = [f"failover: {len(searches)} searches at {SEARCHES_PER_SECOND}/s, hosts {', '.join(HOSTS)}"]
    lines += [f"  t={at:6.2f} s  {name}" for name, at in load.marks.items()]
    for begin, end in itertools.pairwise(phases):
        during = load.between(begin, end)
        statuses = sorted({a.status for a in during})
        # Sent in this phase and answered in a later one: that phase's action, not this phase's, is the cause.
        answered_later = [a for a in not_ok(during) if load.phases_seen(a)[-1] != begin]
        lines.append(
            f"  {begin} -> {end}: {len(during)} searches, statuses {statuses}, "
            f"failed or partial {len(not_ok(during))} ({len(answered_later)} answered in a later phase), "
            f"{latency(during)}"
        )
    lines.append(
        f"  all down: /search 503 after {search_down * 1000:.0f} ms, /ready 503 after {ready_down * 1000:.0f} ms"
    )
    lines.append(
        f"  recovery: first 200 {first_200 - load.marks['start all']:.1f} s after the start command, "
        f"{first_200 - load.marks['all started']:+.1f} s from the cluster answering (the script's ready)"
    )
    by_status: dict[tuple[str, int, str], int] = {}
    for a in load.answers:
        by_status[(a.path, a.status, a.error)] = by_status.get((a.path, a.status, a.error), 0) + 1
    lines.append(f"  answers: {by_status}")
    print("\n".join(lines))

    # Searches are judged by the phases they were in flight in (PERMITTED). Losing one node at a time costs no
    # search: the client retries a refused or broken connection on another node. Once the service answers again
    # after the whole cluster started, every search does: no dead-node backoff left to wait out.
    load.marks["recovered"] = max(first_200, load.marks["all started"])
    load.marks = dict(sorted(load.marks.items(), key=lambda mark: mark[1]))
    unexpected = load.unexpected(searches)
    assert not unexpected, f"{len(unexpected)} unexpected answers:\n{explain(unexpected, service_log)}"
    # /ready and /search alike: 503 with Retry-After, never a 502; a 504 only from a node that started to start.
    assert {a.status for a in load.answers} <= {200, 503, 504}, explain(
        [a for a in load.answers if a.status not in (200, 503, 504)], service_log
    )
    assert not [a for a in load.answers if a.status == 504 and a.ended < load.marks["start all"]]
    assert all(a.retry_after for a in load.answers if a.status == 503)
    assert search_down < ALL_DOWN_BOUND
    assert ready_down < ALL_DOWN_BOUND
    assert first_200 - load.marks["all started"] < RECOVERY_BOUND


def test_a_search_is_judged_by_every_phase_it_was_in_flight_in() -> None:
    """No cluster needed: the rule the kill test applies (PERMITTED)."""
    load = Load(api=httpx.AsyncClient(), index="unused")
    at = {"warm up": 0, "steady load": 2, "kill node 3": 7, "node 3 killed": 9, "start node 3": 14}
    at |= {"green again": 52, "kill node 1": 57, "node 1 killed": 59, "stop all": 64, "all stopped": 66}
    at |= {"start all": 68, "all started": 161, "recovered": 161, "end": 166}
    load.marks = dict(at)

    def judged(started: float, seconds: float, status: int, shards_failed: int = 0) -> bool:
        return not load.unexpected([Answer("/search", started, seconds, status, shards_failed=shards_failed)])

    assert judged(63.8, 0.5, 503)  # sent before the whole cluster stopped, answered after: the stop's doing
    assert not judged(63.0, 0.5, 503)  # answered before anything was stopped
    assert judged(6.9, 0.3, 200, shards_failed=1)  # in flight while node 3 was killed
    assert not judged(30.0, 0.2, 503)  # while node 3 rejoined, with two nodes up
    assert judged(160.0, 2.0, 504)  # sent while the cluster started
    assert not judged(162.0, 0.1, 503)  # after the service answered again
