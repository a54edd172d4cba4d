"""The cache scenario's wrk runs: the Zipf mix through the service (cache on, cache off) and straight to
Elasticsearch; every request a hit; every request a miss, cache on and off in alternate runs."""

from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.cache.probe import METRICS_ENV, Counts, RssSampler, counts
from benchmarks.cache.workload import (
    direct_request,
    distinct_queries,
    miss_requests,
    service_request,
    zipf_sequence,
)
from benchmarks.harness import ES_URL, INDEX, SERVICE_ENV, Server, cpu_seconds, log, started
from benchmarks.wrk import WrkResult, elasticsearch_auth, wrk, wrk_sequence_script
from search_service.settings import ServiceSettings

ZIPF_DRAWS = 300_000
DEFAULT_TTL = ServiceSettings.model_fields["search_cache_ttl"].default  # seconds
HIT_QUERIES = 20  # the Zipf sequence's 20 most asked searches
ANSWER_SAMPLES = 300  # answers kept for memory.py: every 33rd of the 10,000 searches
# The headers a replay leaves out (replay.PER_RESPONSE, made per response) and uvicorn's own.
NOT_KEPT = {"content-length", "etag", "cache-control", "x-request-id", "date", "transfer-encoding"}
DIRECT_URL = f"{ES_URL}/{INDEX}/_search"


def service(name: str, port: int, settings: dict[str, str] | None = None) -> Server:
    env = {"ELASTICSEARCH_HOSTS": ES_URL, "ELASTICSEARCH_CONNECTIONS_PER_NODE": "128"} | SERVICE_ENV | METRICS_ENV
    return Server(name, ["scripts/serve"], port, env | (settings or {}))


@dataclass
class Run:
    result: WrkResult
    cpu_ms: float | None = None  # the worker's CPU per request (None: straight to Elasticsearch)
    counts: Counts | None = None  # what the cache counted during the run


def measured(port: int, pid: int, script: Path, connections: int, seconds: int) -> Run:
    """One wrk run against the service on `port`, with the worker's CPU and the cache's counters around it (read
    outside the CPU reading: /metrics costs the worker too)."""
    before = counts(port)
    cpu = cpu_seconds(pid)
    result = wrk(f"http://127.0.0.1:{port}/search", script, connections, seconds)
    cpu_ms = (cpu_seconds(pid) - cpu) / max(result.requests, 1) * 1e3
    return Run(result, cpu_ms, counts(port) - before)


@dataclass
class Zipf:
    direct_before: Run
    direct_after: Run
    on: Run
    off: Run
    sequence: list[int]
    answers: list[dict[str, str]] = field(default_factory=list)  # real answers, for memory.py
    headers: list[list[str]] = field(default_factory=list)  # a real answer's headers, as a replay keeps them


def zipf_runs(tmp: Path, *, connections: int, seconds: int, warm_up: int) -> Zipf:
    texts = distinct_queries().texts
    # Warm-ups walk other draws than the measured run: replaying the very searches just cached would inflate hits.
    warm_order = zipf_sequence(len(texts), ZIPF_DRAWS, seed=1)
    order = zipf_sequence(len(texts), ZIPF_DRAWS, seed=2)
    searches = [service_request({"q": text}) for text in texts]
    warm_script = wrk_sequence_script(tmp, "zipf-warm-up", searches, warm_order)
    script = wrk_sequence_script(tmp, "zipf", searches, order)
    direct = wrk_sequence_script(tmp, "zipf-direct", [direct_request(t) for t in texts], order, elasticsearch_auth())
    log(f"cache: Elasticsearch warm-up, Zipf mix, {connections} connections, {warm_up}s")
    wrk(DIRECT_URL, direct, connections, warm_up)
    log(f"cache: Elasticsearch directly, Zipf mix, {connections} connections, {seconds}s")
    direct_before = Run(wrk(DIRECT_URL, direct, connections, seconds))
    runs: dict[str, Run] = {}
    answers: list[dict[str, str]] = []
    headers: list[list[str]] = []
    for name, port, settings in (("on", 8190, {}), ("off", 8191, {"SEARCH_CACHE_TTL": "0"})):
        with started(service(f"cache {name}", port, settings)) as pid:
            log(f"cache: service, cache {name}, Zipf mix: warm-up {warm_up}s, then {seconds}s")
            wrk(f"http://127.0.0.1:{port}/search", warm_script, connections, warm_up)
            runs[name] = measured(port, pid, script, connections, seconds)
            if name == "on":
                answers, headers = sample_answers(port, texts)
    log(f"cache: Elasticsearch directly again, Zipf mix, {seconds}s")
    direct_after = Run(wrk(DIRECT_URL, direct, connections, seconds))
    return Zipf(direct_before, direct_after, runs["on"], runs["off"], order, answers, headers)


def sample_answers(port: int, texts: list[str]) -> tuple[list[dict[str, str]], list[list[str]]]:
    """Real first pages of the mix's searches (spread over all 10,000, as a cache of distinct searches holds
    them), and the headers a replay of one keeps."""
    answers = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for text in texts[:: len(texts) // ANSWER_SAMPLES]:
            response = client.get("/search", params={"q": text})
            answers.append({"query": text, "body": response.text})
    kept = [[name, value] for name, value in response.headers.items() if name.lower() not in NOT_KEPT]
    return answers, kept


# What the replay of a hit still does per request, each on by default (replay.py's _account): the analytics row
# (written to the database by a thread of the worker), the access log line, the metrics. Turned off one by one, in
# shorter runs, to show what the hit itself costs beside them.
HIT_CONTEXTS = {
    "analytics off": {"SEARCH_ANALYTICS": "false"},
    "analytics, access log off": {"SEARCH_ANALYTICS": "false", "SEARCH_ACCESS_LOG": "false"},
    "analytics, access log, metrics off": {
        "SEARCH_ANALYTICS": "false",
        "SEARCH_ACCESS_LOG": "false",
        "SEARCH_METRICS": "false",
    },
}
DEFAULTS = "defaults"


def hit_runs(tmp: Path, *, connections: int, seconds: int, warm_up: int) -> dict[str, Run]:
    """Every request a hit: the 20 most asked searches, cached for an hour (not the default: no request of the run may
    find its answer expired), warmed up first; with the defaults, then with HIT_CONTEXTS for a third as long."""
    texts = distinct_queries().texts[:HIT_QUERIES]
    script = wrk_sequence_script(tmp, "hits", [service_request({"q": text}) for text in texts])
    runs = {}
    for name, settings in {DEFAULTS: {}, **HIT_CONTEXTS}.items():
        length = seconds if name == DEFAULTS else max(seconds // 3, 1)
        with started(service(f"cache on, 1 h, {name}", 8192, {"SEARCH_CACHE_TTL": "3600"} | settings)) as pid:
            log(f"cache: every request a hit ({HIT_QUERIES} searches), {name}: warm-up {warm_up}s, then {length}s")
            wrk("http://127.0.0.1:8192/search", script, connections, warm_up)
            if name == DEFAULTS or "SEARCH_METRICS" not in settings:
                runs[name] = measured(8192, pid, script, connections, length)
            else:  # no /metrics to read
                cpu = cpu_seconds(pid)
                result = wrk("http://127.0.0.1:8192/search", script, connections, length)
                runs[name] = Run(result, (cpu_seconds(pid) - cpu) / max(result.requests, 1) * 1e3)
    return runs


@dataclass
class Misses:
    runs: dict[tuple[str, int], list[Run]]  # (on or off, connections): one Run per round
    rss: dict[str, list[tuple[float, float]]]  # each worker's VmRSS (s, MB) through the runs
    cache_bytes: int  # the cache's own count at the end (search_cache_bytes)


def miss_runs(tmp: Path, *, connections: list[int], rounds: int, seconds: int, warm_up: int) -> Misses:
    """Every request a miss (searches never asked before in the run), the cache on (its defaults) and off
    (SEARCH_CACHE_TTL=0), both workers up throughout and measured in turn: on, off, on, off... per connection
    count. Each run walks a part of the searches no other run walks."""
    total = 2 + 2 * rounds * len(connections)  # a part per warm-up and per run
    parts = iter(range(total))
    servers = {"on": service("cache on", 8193), "off": service("cache off", 8194, {"SEARCH_CACHE_TTL": "0"})}
    ports = {"on": 8193, "off": 8194}
    runs: dict[tuple[str, int], list[Run]] = {}
    with started(servers["on"]) as on_pid, started(servers["off"]) as off_pid:
        pids = {"on": on_pid, "off": off_pid}
        with RssSampler({"cache on": on_pid, "cache off": off_pid}) as rss:
            for name in ("on", "off"):
                log(f"cache: misses, cache {name}: warm-up {warm_up}s")
                warm = wrk_sequence_script(tmp, f"misses-warm-up-{name}", miss_requests(next(parts), total))
                wrk(f"http://127.0.0.1:{ports[name]}/search", warm, max(connections), warm_up)
            for c in connections:
                for r in range(rounds):
                    for name in ("on", "off"):
                        log(f"cache: misses, cache {name}, round {r + 1}/{rounds}, {c} connections, {seconds}s")
                        script = wrk_sequence_script(tmp, f"misses-{name}-{c}-{r}", miss_requests(next(parts), total))
                        runs.setdefault((name, c), []).append(measured(ports[name], pids[name], script, c, seconds))
        cache_bytes = counts(ports["on"]).cache_bytes
    return Misses(runs, rss.samples, cache_bytes)
