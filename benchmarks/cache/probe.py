"""What the cache scenario reads off a running service: its cache counters and Elasticsearch calls from /metrics,
and its resident memory from /proc, sampled in the background while load runs."""

import re
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path

import httpx

# /metrics answers only with a bearer token (METRICS_TOKEN, 16 characters or more); the servers get this one.
METRICS_TOKEN = "bench-cache-metrics-token"
METRICS_ENV = {"METRICS_TOKEN": METRICS_TOKEN}

_SERIES = re.compile(r'^search_cache_requests_total\{result="(\w+)"\} ([\d.e+]+)$', re.M)
_CALLS = re.compile(r'^search_elasticsearch_request_duration_seconds_count\{operation="(\w+)"\} ([\d.e+]+)$', re.M)
_CACHE_BYTES = re.compile(r"^search_cache_bytes ([\d.e+]+)$", re.M)


@dataclass(frozen=True)
class Counts:
    """The cache's counters (search_cache_requests_total by result) and the `_search` calls the worker made."""

    hit: int = 0
    miss: int = 0
    coalesced: int = 0
    shared: int = 0
    bypass: int = 0
    searches: int = 0  # calls to Elasticsearch's _search (the did-you-mean pass is one too)
    mappings: int = 0  # reads of the index's mapping (each worker's copy is renewed every 30 s: mapping/loaded.py)
    cache_bytes: int = 0  # the cache's own count of what it holds (a gauge: not a difference)

    def __sub__(self, before: "Counts") -> "Counts":
        delta = {f.name: getattr(self, f.name) - getattr(before, f.name) for f in fields(self)}
        return Counts(**(delta | {"cache_bytes": self.cache_bytes}))

    @property
    def first_pages(self) -> int:
        return self.hit + self.miss + self.coalesced + self.shared + self.bypass

    @property
    def hit_ratio(self) -> float:
        """Answered from the worker's memory."""
        return self.hit / self.first_pages if self.first_pages else 0.0

    @property
    def spared_ratio(self) -> float:
        """Answered without a search of their own: hits, and requests that waited on an identical one in flight."""
        return (self.hit + self.coalesced) / self.first_pages if self.first_pages else 0.0

    def summary(self) -> str:
        mappings = f", {self.mappings} `_mapping`" if self.mappings else ""
        return (
            f"{self.hit:,} hit, {self.coalesced:,} coalesced, {self.miss:,} miss, {self.bypass:,} bypass; "
            f"{self.searches:,} `_search`{mappings}"
        )


def counts(port: int) -> Counts:
    text = httpx.get(
        f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    ).text
    by_result = {result: int(float(value)) for result, value in _SERIES.findall(text)}
    calls = {operation: int(float(value)) for operation, value in _CALLS.findall(text)}
    cache_bytes = _CACHE_BYTES.search(text)
    return Counts(
        **{name: by_result.get(name, 0) for name in ("hit", "miss", "coalesced", "shared", "bypass")},
        searches=calls.get("_search", 0),
        mappings=calls.get("_mapping", 0),
        cache_bytes=int(float(cache_bytes.group(1))) if cache_bytes else 0,
    )


def rss_mb(pid: int) -> float:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


class RssSampler:
    """VmRSS of `pids` every `interval` s in a thread of its own, until stop(); at most `limit` samples each."""

    def __init__(self, pids: dict[str, int], interval: float = 1.0, limit: int = 3600) -> None:
        self.pids, self.interval, self.limit = pids, interval, limit
        self.samples: dict[str, list[tuple[float, float]]] = {name: [] for name in pids}
        self._stop = threading.Event()
        self._began = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        for _ in range(self.limit):
            for name, pid in self.pids.items():
                self.samples[name].append((time.monotonic() - self._began, rss_mb(pid)))
            if self._stop.wait(self.interval):
                return
