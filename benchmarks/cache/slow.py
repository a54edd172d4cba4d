"""The seed's scenario, twice: every Elasticsearch answer delayed 3 s (scripts/latency_proxy.py), and bursts of N
searches sent at once to a service worker with the cache on: N identical searches (single flight: one search
should reach Elasticsearch) and N distinct ones (no cache can help: the worker's async concurrency alone should
keep the wall time near 3 s). The same distinct burst straight to the proxy is the floor.

Each burst meets a fresh worker, as in the seed's scenario: fair admission's limit on work in flight starts at its
ceiling and falls once answers take longer than the lowest latency seen (admission/limiter.py), so a burst right
after another would meet a limit the other's 3-s answers had lowered: the fairness scenario's subject, not this
one's. A fresh worker has also just read the index mapping, which a search renews every 30 s, holding up every
request meanwhile (mapping/loaded.py): 3 s more here, never within the ~20 s a burst's worker lives (the
`_mapping` reads counted say so).

The cache uses an answer only under an index generation read within the last second (answer_cache/generation.py);
the read itself waits out the proxy's 3 s. So each burst follows a warm-up search, sent once the worker's first
generation is stale (QUIET_S after its start-up search): the warm-up starts a read, goes uncached itself, and returns
when the read does. The burst then goes right away, or 4 s later, which is what a burst after a pause meets.
"""

import json
import time
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlencode

import httpx

from benchmarks.cache.burst import Burst, burst, get, post
from benchmarks.cache.probe import METRICS_ENV, Counts, counts
from benchmarks.cache.workload import distinct_queries
from benchmarks.harness import (
    BIG_POOL,
    ES_PASSWORD,
    ES_URL,
    FIELDS,
    INDEX,
    PROXY_PORT,
    SERVICE_ENV,
    Server,
    latency_proxy,
    log,
    started,
)
from benchmarks.wrk import elasticsearch_auth
from search_service.query.body import build_search_body

PORT = 8195
QUIET_S = 1.5  # > answer_cache.generation.CHECK_SECONDS: the start-up search's generation is stale after it
RIGHT_AFTER = "right after the warm-up"
AFTER_PAUSE = "4 s after the warm-up"
PAUSE_S = 4.0
# A first page finding at most SEARCH_DID_YOU_MEAN_BELOW (3) hits asks Elasticsearch again, for spelling
# corrections: 3 s more behind the proxy. The bursts use searches finding more, so that one round trip is measured.
DID_YOU_MEAN_BELOW = 3


@dataclass
class SlowBurst:
    kind: str  # identical or distinct
    when: str  # RIGHT_AFTER or AFTER_PAUSE
    size: int
    burst: Burst
    counts: Counts  # the worker's, from just before the burst to its end


@dataclass
class Slow:
    proxy_alone: dict[int, Burst]
    bursts: list[SlowBurst]


def searches_finding_many() -> list[str]:
    """The distinct searches that find more than DID_YOU_MEAN_BELOW documents (asked of the node directly)."""
    texts = distinct_queries().texts
    lines = []
    for text in texts:
        query = build_search_body(query=text, page=1, size=10, fields=FIELDS)["query"]
        lines += ["{}", json.dumps({"query": query, "size": 0})]
    answer = httpx.post(
        f"{ES_URL}/{INDEX}/_msearch?filter_path=responses.hits.total.value",
        content="\n".join(lines) + "\n",
        headers={"Content-Type": "application/x-ndjson"},
        auth=("elastic", ES_PASSWORD),
        timeout=120,
    ).json()["responses"]
    return [
        text for text, found in zip(texts, answer, strict=True) if found["hits"]["total"]["value"] > DID_YOU_MEAN_BELOW
    ]


def read_counts(into: list[Counts]) -> None:
    into.append(counts(PORT))


def search_path(text: str) -> str:
    return "/search?" + urlencode({"q": text})


def slow_bursts(sizes: list[int]) -> Slow:
    texts = iter(searches_finding_many())  # each used once: nothing in a burst was cached before it
    proxy_alone: dict[int, Burst] = {}
    bursts: list[SlowBurst] = []
    with latency_proxy() as upstream:
        for n in sizes:
            log(f"cache: slow upstream: {n} distinct searches at once straight to the proxy")
            bodies = [build_search_body(query=next(texts), page=1, size=10, fields=FIELDS) for _ in range(n)]
            direct = [post(f"/{INDEX}/_search", PROXY_PORT, json.dumps(b), elasticsearch_auth()) for b in bodies]
            proxy_alone[n] = burst(PROXY_PORT, direct)
        # As the seed's slow-upstream scenario runs it (benchmarks/run.py): a pool for every search in flight.
        env = {"ELASTICSEARCH_CONNECTIONS_PER_NODE": str(BIG_POOL), "ELASTICSEARCH_REQUEST_TIMEOUT": "30"}
        env |= {"ELASTICSEARCH_HOSTS": upstream} | SERVICE_ENV | METRICS_ENV
        for n in sizes:
            for kind, when in (("distinct", RIGHT_AFTER), ("identical", RIGHT_AFTER), ("identical", AFTER_PAUSE)):
                with started(Server("cache on, slow upstream", ["scripts/serve"], PORT, env)):
                    log(f"cache: slow upstream: {n} {kind} searches at once, {when}, a fresh worker")
                    time.sleep(QUIET_S)
                    warm_up = get(search_path(next(texts)), PORT)
                    if kind == "identical":
                        requests = [get(search_path(next(texts)), PORT)] * n
                    else:
                        requests = [get(search_path(next(texts)), PORT) for _ in range(n)]
                    readings: list[Counts] = []
                    result = burst(
                        PORT,
                        requests,
                        warm_up=warm_up,
                        pause=PAUSE_S if when == AFTER_PAUSE else 0.0,
                        before=partial(read_counts, readings),
                    )
                    bursts.append(SlowBurst(kind, when, n, result, counts(PORT) - readings[0]))
    return Slow(proxy_alone, bursts)
