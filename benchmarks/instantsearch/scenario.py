"""The InstantSearch scenario's run: one service, the check run, wrk's rounds and the one-page-at-a-time parts
between them; its command-line options."""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.features import elasticsearch_pid
from benchmarks.harness import ES_URL, OUT, SERVICE_ENV, Server, commands_run, log, started
from benchmarks.instantsearch.load import OneAtATime, PageRun, one_at_a_time, scripts_for, wrk_pages
from benchmarks.instantsearch.pages import REQUESTS_PER_PAGE, WRK_WAYS, candidate_pages, check_pages
from benchmarks.instantsearch.report import write_instantsearch_report

PORT = 8180


def still_serving(client: httpx.Client, after: str, result: PageRun) -> None:
    """Stop the scenario, saying why, when the service has stopped serving searches: an idle one answers a plain
    search in milliseconds, and each page of the rest of the run would otherwise wait out a timeout."""
    try:
        probe = client.get("/search?q=json", timeout=5)
        answer = f"{probe.status_code}: {probe.text[:300]}"
        serving = probe.status_code == 200 and bool(result.latencies_ms)
    except httpx.TimeoutException:
        answer, serving = "nothing within 5 s", False
    if not serving:
        sys.exit(
            f"bench: after {after}, {len(result.latencies_ms)} pages and {result.failed} failed requests; "
            f"GET /search?q=json then answered {answer}"
        )


def instantsearch_scenario(
    *, connections: list[int], seconds: int, rounds: int, sequential: int, settings: dict[str, str]
) -> None:
    began = time.monotonic()
    first_command = len(commands_run)
    env = {"ELASTICSEARCH_HOSTS": ES_URL, "ELASTICSEARCH_CONNECTIONS_PER_NODE": "128"} | SERVICE_ENV | settings
    server = Server("service", ["scripts/serve"], PORT, env)
    runs: dict[tuple[str, int], list[PageRun]] = {}
    single = OneAtATime()
    loads: list[float] = []
    es_pid = elasticsearch_pid()
    url = f"http://127.0.0.1:{PORT}"
    with tempfile.TemporaryDirectory() as tmp, started(server) as pid, httpx.Client(base_url=url, timeout=30) as client:
        log("instantsearch: every distinct page once, both ways, comparing the answers")
        checked = check_pages(client, candidate_pages())
        pages = checked.pages
        scripts = scripts_for(Path(tmp), pages)
        for way in WRK_WAYS:
            log(f"instantsearch: warm-up, {way}")
            warm = wrk_pages(url, scripts[way], max(connections), 5, REQUESTS_PER_PAGE[way], pid, es_pid)
            still_serving(client, f"the warm-up of {way}", warm)
        for r in range(rounds):
            asyncio.run(one_at_a_time(url, pages, r * sequential // rounds, sequential // rounds, single))
            for c in connections:
                for way in WRK_WAYS if r % 2 == 0 else WRK_WAYS[::-1]:
                    log(f"instantsearch: round {r + 1}/{rounds}, {way}, {c} connections, {seconds}s")
                    loads.append(os.getloadavg()[0])
                    result = wrk_pages(url, scripts[way], c, seconds, REQUESTS_PER_PAGE[way], pid, es_pid)
                    still_serving(client, f"{way} at {c} connections", result)
                    runs.setdefault((way, c), []).append(result)
        commands = [command.replace(tmp, "$PAGES") for command in commands_run[first_command:]]
    minutes = (time.monotonic() - began) / 60
    write_instantsearch_report(checked, runs, single, loads, connections, seconds, rounds, minutes, commands, settings)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("InstantSearch scenario")
    group.add_argument("--instantsearch-seconds", type=int, default=5, help="duration of each wrk run")
    group.add_argument("--instantsearch-rounds", type=int, default=6)
    group.add_argument(
        "--instantsearch-connections",
        type=int,
        nargs="+",
        default=[1, 16],
        help="wrk connections (one per thread), each a client fetching one page after another",
    )
    group.add_argument(
        "--instantsearch-sequential", type=int, default=240, help="pages fetched one at a time, spread over rounds"
    )
    group.add_argument(
        "--instantsearch-setting",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="service settings beyond the defaults (e.g. SEARCH_ADMISSION=false), named in the report",
    )


def run_from_arguments(args: argparse.Namespace) -> None:
    instantsearch_scenario(
        connections=args.instantsearch_connections,
        seconds=args.instantsearch_seconds,
        rounds=args.instantsearch_rounds,
        sequential=args.instantsearch_sequential,
        settings=dict(setting.split("=", 1) for setting in args.instantsearch_setting),
    )
    print((OUT / "instantsearch.md").read_text())
