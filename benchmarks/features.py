"""The feature-cost scenario (`make bench BENCH_ARGS="--only features"`): what filters with facets, a field sort,
the simple syntax, text-only ranking and `/suggest` cost, against the plain search; and what typo tolerance costs
the simple syntax's searches, against the same searches with it off.

One service (`scripts/serve`, one worker, rate limits off as in the overhead scenario), driven by wrk with each
request mix in turn, in rounds whose order alternates, so that drift on a shared machine falls on every mix alike;
each figure is the median of the rounds, each ratio the median of the rounds' ratios. Then `/suggest` one request
at a time on one connection, as a type-ahead box sends them, beside the plain search. Writes
docs/benchmarks/features.md.
"""

import argparse
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from urllib.parse import urlencode

import httpx

from benchmarks.harness import (
    ES_PASSWORD,
    ES_URL,
    INDEX,
    OUT,
    SERVICE_ENV,
    Server,
    commands_run,
    cpu_seconds,
    environment,
    log,
    started,
    write_report,
)
from benchmarks.workload import query_mix, sidebar_filters, typed_prefixes
from benchmarks.wrk import WrkResult, wrk, wrk_script
from search_service.query.body import build_search_body
from search_service.settings.search import SearchSettings

PORT = 8160
PLAIN = "plain search"
# Typo tolerance (query/tolerance.py), each mix beside the same requests with it off (`typos=0&prefix=false`).
TOLERANCE_OFF = [("typos", "0"), ("prefix", "false")]
TOLERANCE_PAIRS = [
    ("simple, found 10+ as written", "simple, found 10+, tolerance off"),
    ("mode=simple", "simple, tolerance off"),
    ("simple, one typo a query", "simple, one typo, tolerance off"),
]
SUGGEST = "/suggest"
EXAMPLE = 4  # the request each mix shows in the report: an `a AND b` search, a 5-letter prefix


@dataclass
class Mix:
    name: str
    script: str  # its wrk script's name
    paths: list[str]
    answered_with_results: float = 0.0  # share of its distinct requests that found something (the check run)


def request_mixes() -> list[Mix]:
    """Each mix is the same 200 queries of the demo mix with one feature added, or `/suggest` with the prefixes
    of 40 qualified names typed letter by letter."""
    queries = query_mix()

    def searches(parameters: Callable[[str], list[tuple[str, str]]]) -> list[str]:
        return ["/search?" + urlencode(parameters(q)) for q in queries]

    def filters_and_facets(q: str) -> list[tuple[str, str]]:
        module, kind = sidebar_filters(q)
        return [("q", q), ("filter", f"kind:{kind}"), ("filter", f"module:{module}"), ("facets", "module,kind")]

    simple = [q.replace(" AND ", " ") for q in queries]
    exact = [q for q in simple if found_as_written(q) >= 10]  # no tolerant pass for these: the common search
    typoed = [one_typo(q, seed) for seed, q in enumerate(simple)]

    def simple_mix(name: str, script: str, texts: list[str], extra: list[tuple[str, str]]) -> Mix:
        return Mix(name, script, ["/search?" + urlencode([("q", q), ("mode", "simple"), *extra]) for q in texts])

    return [
        Mix(PLAIN, "plain", searches(lambda q: [("q", q)])),
        Mix("filters + facets", "filters-facets", searches(filters_and_facets)),
        Mix("sort=-popularity", "sort", searches(lambda q: [("q", q), ("sort", "-popularity")])),
        # `a AND b` means every word in the simple syntax too (where AND would be a word).
        Mix("mode=simple", "simple", searches(lambda q: [("q", q.replace(" AND ", " ")), ("mode", "simple")])),
        Mix("rank=text", "rank-text", searches(lambda q: [("q", q), ("rank", "text")])),
        simple_mix("simple, tolerance off", "simple-off", simple, TOLERANCE_OFF),
        simple_mix("simple, found 10+ as written", "simple-exact", exact, []),
        simple_mix("simple, found 10+, tolerance off", "simple-exact-off", exact, TOLERANCE_OFF),
        simple_mix("simple, one typo a query", "simple-typo", typoed, []),
        simple_mix("simple, one typo, tolerance off", "simple-typo-off", typoed, TOLERANCE_OFF),
        Mix(SUGGEST, "suggest", ["/suggest?" + urlencode({"prefix": p}) for p in typed_prefixes()]),
    ]


def found_as_written(query: str) -> int:
    """How many demo documents `mode=simple` finds for `query` as written, asked of Elasticsearch directly."""
    fields = SearchSettings.model_fields["search_fields"].default
    body = build_search_body(query=query, size=0, fields=fields, mode="simple")
    answer = httpx.post(
        f"{ES_URL}/{INDEX}/_count", json={"query": body["query"]}, auth=("elastic", ES_PASSWORD), timeout=30
    )
    answer.raise_for_status()
    count: int = answer.json()["count"]
    return count


def one_typo(query: str, seed: int) -> str:
    """`query` with two neighbouring letters of its longest word swapped (never the first): a typo a search box
    sees, which the tolerant pass finds again."""
    words = query.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) >= 4:
        at = 1 + seed % (len(word) - 2)
        words[longest] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return " ".join(words)


def check_answers(client: httpx.Client, mixes: list[Mix]) -> None:
    """Every distinct request once: each must answer 200 with what it asked for (wrk counts only 4xx and 5xx, and
    a 200 that ignored a parameter would measure nothing). Also warms the service and Elasticsearch's caches."""
    for mix in mixes:
        found = 0
        distinct = list(dict.fromkeys(mix.paths))
        for path in distinct:
            answer = client.get(path)
            if answer.status_code != 200:
                sys.exit(f"bench: {path} answered {answer.status_code}: {answer.text[:300]}")
            body = answer.json()
            found += bool(body["suggestions"] if mix.name == SUGGEST else body["hits"])
            if "facets=" in path and set(body["facets"]) != {"module", "kind"}:
                sys.exit(f"bench: {path} answered without both facets: {answer.text[:300]}")
            popularity = [hit["source"]["popularity"] for hit in body.get("hits", [])]
            if "sort=" in path and popularity != sorted(popularity, reverse=True):
                sys.exit(f"bench: {path} is not sorted by popularity: {popularity}")
        mix.answered_with_results = found / len(distinct)


@dataclass
class Measured:
    wrk: WrkResult
    service_cpu_ms: float  # per request
    es_cpu_ms: float  # per request, the whole Elasticsearch process


@dataclass
class Keystrokes:
    """Sequential latencies (ms) of `/suggest` and of the plain search, alternating on one connection."""

    suggest_ms: list[float] = field(default_factory=list)
    search_ms: list[float] = field(default_factory=list)
    failed: int = 0


def keystrokes(client: httpx.Client, mixes: dict[str, Mix], first: int, requests: int, into: Keystrokes) -> None:
    """Requests `first` to `first + requests` of the suggest and plain mixes, alternating."""
    suggest, plain = mixes[SUGGEST].paths, mixes[PLAIN].paths
    # Each part follows a wrk run, and the first request after one took 14-31 ms (the rest ~3): always a suggest's,
    # as it goes first, which doubled its p99. A pause and an untimed pair keep that out.
    time.sleep(1)
    client.get(suggest[first % len(suggest)])
    client.get(plain[first % len(plain)])
    for i in range(first, first + requests):
        for path, times in ((suggest[i % len(suggest)], into.suggest_ms), (plain[i % len(plain)], into.search_ms)):
            started_at = time.perf_counter()
            status = client.get(path).status_code
            times.append((time.perf_counter() - started_at) * 1e3)
            into.failed += status != 200


def elasticsearch_pid() -> int:
    """The node's own process id, asked of the node: other nodes may run on this machine."""
    nodes = httpx.get(
        f"{ES_URL}/_nodes/_local/process?filter_path=nodes.*.process.id", auth=("elastic", ES_PASSWORD)
    ).json()["nodes"]
    return int(next(iter(nodes.values()))["process"]["id"])


def features_scenario(*, connections: list[int], seconds: int, rounds: int, sequential: int) -> None:
    began = time.monotonic()
    first_command = len(commands_run)
    mixes = request_mixes()
    by_name = {mix.name: mix for mix in mixes}
    env = {"ELASTICSEARCH_HOSTS": ES_URL, "ELASTICSEARCH_CONNECTIONS_PER_NODE": "128"} | SERVICE_ENV
    server = Server("service", ["scripts/serve"], PORT, env)
    runs: dict[tuple[str, int], list[Measured]] = {}
    typed = Keystrokes()
    loads: list[float] = []
    es_pid = elasticsearch_pid()
    url = f"http://127.0.0.1:{PORT}"
    with tempfile.TemporaryDirectory() as tmp, started(server) as pid, httpx.Client(base_url=url, timeout=30) as client:
        scripts = {
            mix.name: wrk_script(Path(tmp), mix.script, [{"method": "GET", "path": p, "body": ""} for p in mix.paths])
            for mix in mixes
        }
        log("features: every distinct request once, checking the answers")
        check_answers(client, mixes)
        for mix in mixes:
            log(f"features: warm-up, {mix.name}")
            wrk(url, scripts[mix.name], max(connections), 5)
        for r in range(rounds):
            keystrokes(client, by_name, r * sequential // rounds, sequential // rounds, typed)
            for c in connections:
                for mix in mixes if r % 2 == 0 else mixes[::-1]:
                    log(f"features: round {r + 1}/{rounds}, {mix.name}, {c} connections, {seconds}s")
                    loads.append(os.getloadavg()[0])
                    cpu, es_cpu = cpu_seconds(pid), cpu_seconds(es_pid)
                    result = wrk(url, scripts[mix.name], c, seconds)
                    runs.setdefault((mix.name, c), []).append(
                        Measured(
                            result,
                            (cpu_seconds(pid) - cpu) / result.requests * 1e3,
                            (cpu_seconds(es_pid) - es_cpu) / result.requests * 1e3,
                        )
                    )
    minutes = (time.monotonic() - began) / 60
    commands = [command.replace(tmp, "$MIXES") for command in commands_run[first_command:]]
    write_features_report(mixes, runs, typed, loads, connections, seconds, rounds, minutes, commands)


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def write_features_report(
    mixes: list[Mix],
    runs: dict[tuple[str, int], list[Measured]],
    typed: Keystrokes,
    loads: list[float],
    connections: list[int],
    seconds: int,
    rounds: int,
    minutes: float,
    commands: list[str],
) -> None:
    env = environment(["wrk"])
    lines = [
        "# What the search features cost",
        "",
        f"Written by `make bench` (`benchmarks/features.py`) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f" in {minutes:.1f} minutes: `{shlex.join(['python', *sys.argv])}`. Elasticsearch, the service and wrk "
        "share the machine's cores (other work too): read the ratios, measured side by side in one run.",
        "",
        "| machine | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in env.items()),
        "",
        "The service runs as its image does (`scripts/serve`, one worker) with its per-client rate limits off (all "
        f"load comes from 127.0.0.1), against the demo index. wrk drives each mix for {seconds} s at each connection "
        f"count, {rounds} rounds, the order of the mixes reversed every other round; figures are the medians of the "
        "rounds, *vs plain* the median of each round's ratio to the plain search's throughput at the same "
        "connections (in brackets the lowest and highest round). *errors*: non-2xx answers + socket errors, summed "
        f"over the rounds. The 1-minute load average before each run: median {median(loads):.1f}, highest "
        f"{max(loads):.1f}, on {os.cpu_count()} cores.",
        "",
        "| mix | connections | req/s | p50 ms | p99 ms | errors | vs plain |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mix in mixes:
        for c in connections:
            results = [m.wrk for m in runs[(mix.name, c)]]
            plain = [m.wrk.requests_per_second for m in runs[(PLAIN, c)]]
            ratios = [r.requests_per_second / p for r, p in zip(results, plain, strict=True)]
            spread = "" if mix.name == PLAIN else f" ({min(ratios):.0%}–{max(ratios):.0%})"
            lines.append(
                f"| {mix.name} | {c} | {median([r.requests_per_second for r in results]):,.0f} | "
                f"{median([r.p50_ms for r in results]):.1f} | {median([r.p99_ms for r in results]):.1f} | "
                f"{sum(r.errors for r in results)} | {median(ratios):.0%}{spread} |"
            )
    lines += [
        "",
        "CPU per request, the figure that stays steadier than throughput on a shared machine: the service's worker, "
        "and the whole Elasticsearch process (anything else that node served meanwhile shows in it), medians over "
        "every run of the mix; *vs plain* compares their sum. *Found something*: the share of the mix's distinct "
        "requests that answered with at least one hit or suggestion.",
        "",
        "| mix | example request | distinct requests | found something | service CPU ms | Elasticsearch CPU ms "
        "| vs plain |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    cpu = {
        mix.name: (
            median([m.service_cpu_ms for c in connections for m in runs[(mix.name, c)]]),
            median([m.es_cpu_ms for c in connections for m in runs[(mix.name, c)]]),
        )
        for mix in mixes
    }
    for mix in mixes:
        service, es = cpu[mix.name]
        lines.append(
            f"| {mix.name} | `{mix.paths[EXAMPLE]}` | {len(set(mix.paths))} | {mix.answered_with_results:.0%} | "
            f"{service:.2f} | {es:.2f} | {(service + es) / sum(cpu[PLAIN]):.0%} |"
        )
    lines += [
        "",
        "## Typo tolerance",
        "",
        "Each `mode=simple` mix beside the same requests with tolerance off (`typos=0&prefix=false`): *found 10+ as "
        "written*, the queries of the mix that find at least 10 hits as written (no tolerant pass at any "
        "SEARCH_TYPO_THRESHOLD up to 10, the default being 1: the common search); the whole mix (a tolerant pass for "
        "those that find fewer than SEARCH_TYPO_THRESHOLD); each query with one typo (a tolerant pass for most). "
        "Ratios of the medians above: CPU per request, the service's and Elasticsearch's, and throughput at the "
        "highest connection count.",
        "",
        "| mix | vs tolerance off: service CPU | Elasticsearch CPU | req/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    top = max(connections)
    for on, off in TOLERANCE_PAIRS:
        if on in cpu and off in cpu:
            throughput = median([m.wrk.requests_per_second for m in runs[(on, top)]]) / median(
                [m.wrk.requests_per_second for m in runs[(off, top)]]
            )
            lines.append(
                f"| {on} | {cpu[on][0] / cpu[off][0]:.0%} | {cpu[on][1] / cpu[off][1]:.0%} | {throughput:.0%} |"
            )
    lines += [
        "",
        "## Per keystroke",
        "",
        f"`/suggest` one request at a time on one keep-alive connection (httpx), alternating with the plain search, "
        f"{len(typed.suggest_ms)} of each in {rounds} parts, one before each round's wrk runs: the time a type-ahead "
        "box waits for each letter, with nothing queued before it. p50 and p99 over all of them.",
        "",
        "| request | requests | p50 ms | p99 ms | p50 vs plain | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| `/suggest` | {len(typed.suggest_ms)} | {median(typed.suggest_ms):.1f} | {_p99(typed.suggest_ms):.1f} | "
        f"{median(typed.suggest_ms) / median(typed.search_ms):.0%} | {typed.failed} (both) |",
        f"| plain search | {len(typed.search_ms)} | {median(typed.search_ms):.1f} | {_p99(typed.search_ms):.1f} | "
        "100% | |",
        "",
        "`$MIXES/<mix>.lua` in the commands below: a wrk script, written by the scenario, sending the mix's "
        "requests in turn.",
        "",
    ]
    write_report("features.md", lines, commands)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("feature-cost scenario")
    # Many short rounds rather than a few long ones: other work on a shared machine comes in bursts of seconds to
    # minutes, and the median of more paired rounds shrugs more of them off.
    group.add_argument("--features-seconds", type=int, default=6, help="duration of each wrk run")
    group.add_argument("--features-rounds", type=int, default=5)
    group.add_argument(
        "--features-sequential", type=int, default=200, help="sequential /suggest requests, spread over the rounds"
    )


def run_from_arguments(args: argparse.Namespace) -> None:
    features_scenario(
        connections=args.connections,
        seconds=args.features_seconds,
        rounds=args.features_rounds,
        sequential=args.features_sequential,
    )
    print((OUT / "features.md").read_text())
