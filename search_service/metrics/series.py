"""The series the service exposes, and the few functions that feed them.

With several workers (WEB_CONCURRENCY), prometheus-client keeps each worker's values in memory-mapped files in
PROMETHEUS_MULTIPROC_DIR (scripts/serve sets it), read and summed at scrape time: that variable must be set
before this module is imported, which is why the series are made here, at import, and nowhere earlier.
"""

import time
from collections.abc import Mapping
from typing import Protocol

from prometheus_client import Counter, Gauge, Histogram

# Seconds. The service answers in milliseconds; Elasticsearch's timeout is 5 s by default.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Its `_count` is the request count by endpoint and status: a separate counter would say the same twice.
REQUEST_DURATION = Histogram(
    "search_http_request_duration_seconds",
    "Time from the request reaching the service to its answer, by endpoint (the route) and status",
    ["endpoint", "status"],
    buckets=LATENCY_BUCKETS,
)
IN_FLIGHT = Gauge("search_http_requests_in_flight", "Requests being answered now", multiprocess_mode="livesum")
ELASTICSEARCH_DURATION = Histogram(
    "search_elasticsearch_request_duration_seconds",
    "Time of each call to an Elasticsearch node, by operation (_search, _pit, _cluster, ...)",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)
ELASTICSEARCH_ERRORS = Counter(
    "search_elasticsearch_errors_total",
    "Elasticsearch calls that failed, by operation and error: the exception (ConnectionError, ConnectionTimeout, "
    "SerializationError) or the status Elasticsearch answered (http_404, http_503)",
    ["operation", "error"],
)
ANALYTICS_BUFFERED = Gauge(
    "search_analytics_rows_buffered", "Search analytics rows waiting for the database", multiprocess_mode="livesum"
)
ANALYTICS_WRITTEN = Counter("search_analytics_rows_written", "Search analytics rows written to the database")
ANALYTICS_DROPPED = Counter(
    "search_analytics_rows_dropped", "Search analytics rows dropped: the buffer was full, or the database refused one"
)
ANALYTICS_FAILED_WRITES = Counter(
    "search_analytics_failed_writes", "Batches the database could not take (its rows wait for the next try)"
)
ADMISSION_QUEUED = Gauge(
    "search_admission_queued",
    "Requests waiting for a turn (admission/), by lane: door (to be worked on), ordinary, expensive (at Elasticsearch)",
    ["lane"],
    multiprocess_mode="livesum",
)
ADMISSION_IN_FLIGHT = Gauge(
    "search_admission_in_flight_units",
    "Estimated cost of the work in flight to Elasticsearch, in units of an ordinary search, by lane",
    ["lane"],
    multiprocess_mode="livesum",
)
ADMISSION_LIMIT = Gauge(
    "search_admission_limit_units",
    "The limit on work in flight, by lane: the ordinary lane's follows Elasticsearch's latency (summed over workers)",
    ["lane"],
    multiprocess_mode="livesum",
)
ADMISSION_WAIT = Histogram(
    "search_admission_wait_seconds", "Time a request waited for its turn", buckets=LATENCY_BUCKETS
)
ADMISSION_REFUSED = Counter(
    "search_admission_refused_total",
    "Requests refused or cut short by admission, by reason: overloaded, too_many_expensive_queries, rate_limited, "
    "extra_skipped (a did-you-mean call left out for lack of room)",
    ["reason"],
)
TOLERANT_SEARCHES = Counter(
    "search_tolerant_searches",  # prometheus-client adds `_total`
    "Tolerant passes of mode=simple searches (typos, last word completed), by outcome: ran, or skipped when "
    "admission had no turn for it (the exact hits are answered)",
    ["outcome"],
)
RATE_LIMIT_STORAGE_ERRORS = Counter(
    "search_rate_limit_storage_errors",  # prometheus-client adds `_total`
    "Rate-limit checks let through uncounted because the shared storage (RATE_LIMIT_STORAGE_URL, a Redis) failed or "
    "was too slow, or had failed less than a second before",
)
API_KEY_LOOKUPS = Counter(
    "search_api_key_lookups",  # prometheus-client adds `_total`
    "API keys not answered from the worker's cache alone, by outcome: found, unknown, failed (the database failed), "
    "timed_out (no answer within API_KEY_LOOKUP_TIMEOUT), stale (a key seen lately served while the database is "
    "unavailable), refused (an unknown key while too many lookups wait)",
    ["outcome"],
)
DATABASE_AVAILABLE = Gauge(
    "search_database_available",
    "1 while the worker finds its database (API keys, analytics) usable, 0 from a failure until a success; the "
    "lowest of the workers",
    multiprocess_mode="min",
)

# prometheus-client looks a labelled child up under a lock on every call; these are looked up once.
# The answer cache (answer_cache/).
CACHE_REQUESTS = Counter(
    "search_cache_requests",
    "First-page searches by how the answer cache served them: hit (this worker's memory), shared (the fleet's "
    "Redis), coalesced (waited on an identical search in flight), miss (searched), bypass (no generation known)",
    ["result"],
)
CACHE_EVICTIONS = Counter("search_cache_evictions", "Cached answers pushed out by SEARCH_CACHE_MAX_BYTES")
CACHE_BYTES = Gauge(
    "search_cache_bytes", "Memory the cached answers take, by the cache's count", multiprocess_mode="livesum"
)
CACHE_SHARED_ERRORS = Counter(
    "search_cache_shared_errors", "Calls to SEARCH_CACHE_URL's Redis that failed or timed out (served as misses)"
)
_request_children: dict[tuple[str, int], Histogram] = {}
_elasticsearch_children: dict[str, Histogram] = {}


def observe_request(endpoint: str, status: int, seconds: float) -> None:
    child = _request_children.get((endpoint, status))
    if child is None:
        child = _request_children[(endpoint, status)] = REQUEST_DURATION.labels(endpoint, str(status))
    child.observe(seconds)


def observe_elasticsearch(operation: str, seconds: float, error: str | None) -> None:
    child = _elasticsearch_children.get(operation)
    if child is None:
        child = _elasticsearch_children[operation] = ELASTICSEARCH_DURATION.labels(operation)
    child.observe(seconds)
    if error is not None:
        ELASTICSEARCH_ERRORS.labels(operation, error).inc()


class LaneCounts(Protocol):
    """admission/fair_queue.py's FairScheduler, as far as the series read it."""

    queued: int
    in_flight: float

    @property
    def capacity(self) -> "HasLimit": ...


class HasLimit(Protocol):
    limit: float


_lane_children: dict[str, tuple[Gauge, Gauge, Gauge]] = {}
# The lanes' gauges are written at most this often: six mmap writes a request would cost more than the scheduler.
LANE_GAUGE_INTERVAL = 0.1
_next_lane_update = 0.0


def observe_admission(lanes: Mapping[str, LaneCounts], waited: float | None) -> None:
    """The lanes' state after a turn was taken or given back; `waited`, the seconds a turn took to come."""
    global _next_lane_update
    if waited is not None:
        ADMISSION_WAIT.observe(waited)
    now = time.monotonic()
    if now < _next_lane_update:
        return
    _next_lane_update = now + LANE_GAUGE_INTERVAL
    for name, lane in lanes.items():
        children = _lane_children.get(name)
        if children is None:
            children = _lane_children[name] = (
                ADMISSION_QUEUED.labels(name),
                ADMISSION_IN_FLIGHT.labels(name),
                ADMISSION_LIMIT.labels(name),
            )
        queued, in_flight, limit = children
        queued.set(lane.queued)
        in_flight.set(lane.in_flight)
        limit.set(lane.capacity.limit)


def observe_refusal(reason: str) -> None:
    ADMISSION_REFUSED.labels(reason).inc()


def elasticsearch_operation(target: str) -> str:
    """The API a request path calls: its first `_` segment (`/docs/_search?x` -> `_search`, `/_pit` -> `_pit`,
    `/_cluster/health/docs` -> `_cluster`); `index` for a path without one (HEAD /docs: does it exist). Index names
    cannot start with `_`, so the label has few values whatever the indices are called."""
    for segment in target.split("?", 1)[0].split("/"):
        if segment.startswith("_"):
            return segment
    return "index"


class RecorderCounts(Protocol):
    """analytics/recorder.py's RecorderStats (not imported: that imports the models, and this module is imported
    before Django is set up, by the Elasticsearch client's node)."""

    @property
    def buffered(self) -> int: ...
    @property
    def written(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    @property
    def failed_writes(self) -> int: ...


class RecorderPublisher:
    """The analytics recorder's counts into the series: at most once per `interval` seconds per worker (each
    worker has its own recorder, and at a scrape only one worker answers), as increments of what changed."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._next = 0.0
        self._last = (0, 0, 0)  # written, dropped, failed writes: as published so far

    def due(self) -> bool:
        """Whether publish would publish now: callers skip computing the counts when it would not."""
        return time.monotonic() >= self._next

    def publish(self, stats: RecorderCounts, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._next:
            return
        self._next = now + self.interval
        counts = (stats.written, stats.dropped, stats.failed_writes)
        last = self._last
        if any(count < before for count, before in zip(counts, last, strict=True)):
            last = (0, 0, 0)  # a new recorder (tests change the settings): its counts start again
        ANALYTICS_BUFFERED.set(stats.buffered)
        for series, count, before in zip(
            (ANALYTICS_WRITTEN, ANALYTICS_DROPPED, ANALYTICS_FAILED_WRITES), counts, last, strict=True
        ):
            if count > before:
                series.inc(count - before)
        self._last = counts


recorder_publisher = RecorderPublisher()
