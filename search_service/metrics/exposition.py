"""The text Prometheus scrapes: this process's series, or, with PROMETHEUS_MULTIPROC_DIR set (scripts/serve sets
it), every worker's summed from their files; and the same on a port of its own (METRICS_PORT)."""

import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client import start_http_server as _start_http_server

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


def scrape_registry() -> CollectorRegistry:
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def render_metrics() -> bytes:
    return generate_latest(scrape_registry())


def serve_metrics(port: int, host: str) -> None:
    """/metrics (any path, in fact) on `port`, from a thread of the calling process: scripts/serve's, which in
    multiprocess mode reads the workers' files and serves no request of the API."""
    _start_http_server(port, addr=host, registry=scrape_registry())


def forget_this_process() -> None:
    """At a worker's graceful shutdown: its in-flight and buffered gauges leave the sums (its counters stay)."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
