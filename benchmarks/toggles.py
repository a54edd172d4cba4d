"""The toggle scenario (`make bench BENCH_ARGS="--only toggles"`): what a feature that runs on every request costs
the plain search, measured by running the service with it off and on, side by side.

Each variant is its own `scripts/serve` (one worker, rate limits off, as in the other scenarios), all started at
once on their own ports (an idle one costs nothing), then driven by wrk with the same plain-search mix in turn, in
rounds whose order alternates (ABBA), so that drift on a shared machine falls on every variant alike. Throughput
ratios are the median of each round's ratio to the baseline; CPU per request (the service's worker, from /proc)
is the steadier figure on a busy machine. Writes docs/benchmarks/toggles.md.
"""

import argparse
import os
import shlex
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from urllib.parse import urlencode

import httpx
import orjson

from benchmarks.harness import (
    ES_URL,
    OUT,
    REPO,
    SERVICE_ENV,
    Server,
    commands_run,
    cpu_seconds,
    environment,
    log,
    run,
    started,
)
from benchmarks.workload import query_mix
from benchmarks.wrk import WrkResult, wrk, wrk_script

FIRST_PORT = 8170


@dataclass(frozen=True)
class Variant:
    name: str
    env: dict[str, str]  # on top of OFF; the first variant is the baseline the others are compared with
    api_key: bool = False  # a search key is made in the variant's database and sent with every request
    # With a key: a tenant token of it, bound to this filter, is sent instead (docs/tenant-tokens.md).
    tenant_filter: str | None = None


# Every per-request feature off: search analytics, API keys (off unless required), the access log, the metrics.
OFF = {"SEARCH_ANALYTICS": "false", "SEARCH_ACCESS_LOG": "false", "SEARCH_METRICS": "false"}
KEYS = {"SEARCH_REQUIRE_API_KEY": "true"}

# The baseline twice (an A/A control: how far two identical servers differ is the noise floor of the run), then
# each feature alone, then the three of the operations issue together (docs/security.md, docs/operations.md).
VARIANTS = [
    Variant("baseline", {}),
    Variant("baseline again", {}),
    Variant("analytics", {"SEARCH_ANALYTICS": "true"}),
    Variant("API key required", KEYS, api_key=True),
    # A filter every document with a popularity passes: the token's own cost, and its filter's, on the same hits.
    Variant("tenant token", KEYS, api_key=True, tenant_filter="popularity:0.."),
    Variant("access log", {"SEARCH_ACCESS_LOG": "true"}),
    Variant("metrics", {"SEARCH_METRICS": "true"}),
    Variant("key + log + metrics", KEYS | {"SEARCH_ACCESS_LOG": "true", "SEARCH_METRICS": "true"}, api_key=True),
]


def make_api_key(data: Path, env: dict[str, str], tenant_filter: str | None = None) -> str:
    """A search key without a rate limit of its own, in the variant's database (the command prints it last); with
    `tenant_filter`, a tenant token of it instead."""
    manage = [sys.executable, "manage.py"]
    command_env = os.environ | env | {"DATA_DIR": str(data)}
    run([*manage, "migrate", "--verbosity", "0"], cwd=REPO, env=command_env)
    output = run(
        [*manage, "create_api_key", "bench", "--scope", "search", "--rate-limit", ""], cwd=REPO, env=command_env
    )
    key = output.strip().splitlines()[-1]
    if tenant_filter is None:
        return key
    made = run([*manage, "tenant_token", key, "--filter", tenant_filter, "--ttl", "86400"], cwd=REPO, env=command_env)
    return made.strip().splitlines()[-1]


@dataclass
class Measured:
    wrk: WrkResult
    cpu_ms: float  # the service's worker, per request


def toggles_scenario(*, variants: list[Variant], connections: list[int], seconds: int, rounds: int) -> None:
    began = time.monotonic()
    first_command = len(commands_run)
    paths = ["/search?" + urlencode({"q": q}) for q in query_mix()]
    runs: dict[tuple[str, int], list[Measured]] = {}
    loads: list[float] = []
    requests = [{"method": "GET", "path": p, "body": ""} for p in paths]
    token_costs = None
    if any(variant.tenant_filter for variant in variants):
        log("toggles: a tenant token's check, in process")
        token_costs = orjson.loads(run([sys.executable, "-m", "benchmarks.tenant_tokens"], cwd=REPO))
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        servers: dict[str, tuple[str, int, Path, dict[str, str]]] = {}
        for number, variant in enumerate(variants):
            port = FIRST_PORT + number
            data = Path(tmp) / f"data-{number}"
            env = {"ELASTICSEARCH_HOSTS": ES_URL, "DATA_DIR": str(data)} | SERVICE_ENV | OFF | variant.env
            headers = {"X-API-Key": make_api_key(data, env, variant.tenant_filter)} if variant.api_key else {}
            script = wrk_script(Path(tmp), f"variant-{number}", requests, headers)
            pid = stack.enter_context(started(Server(variant.name, ["scripts/serve"], port, env, headers=headers)))
            servers[variant.name] = (f"http://127.0.0.1:{port}", pid, script, headers)
        for variant in variants:
            url, _, script, headers = servers[variant.name]
            for path in dict.fromkeys(paths):  # every distinct request once: each must answer 200
                status = httpx.get(url + path, headers=headers, timeout=30).status_code
                if status != 200:
                    sys.exit(f"bench: {variant.name}: {path} answered {status}")
            log(f"toggles: warm-up, {variant.name}")
            wrk(url, script, max(connections), 5)
        for r in range(rounds):
            for c in connections:
                for variant in variants if r % 2 == 0 else variants[::-1]:
                    log(f"toggles: round {r + 1}/{rounds}, {variant.name}, {c} connections, {seconds}s")
                    url, pid, script, _ = servers[variant.name]
                    loads.append(os.getloadavg()[0])
                    cpu = cpu_seconds(pid)
                    result = wrk(url, script, c, seconds)
                    runs.setdefault((variant.name, c), []).append(
                        Measured(result, (cpu_seconds(pid) - cpu) / result.requests * 1e3)
                    )
        commands = [command.replace(tmp, "$TMP") for command in commands_run[first_command:]]
    minutes = (time.monotonic() - began) / 60
    write_toggles_report(variants, runs, loads, connections, seconds, rounds, minutes, commands, token_costs)


def write_toggles_report(
    variants: list[Variant],
    runs: dict[tuple[str, int], list[Measured]],
    loads: list[float],
    connections: list[int],
    seconds: int,
    rounds: int,
    minutes: float,
    commands: list[str],
    token_costs: dict[str, float] | None = None,
) -> None:
    baseline = variants[0].name
    lines = [
        "# What per-request features cost",
        "",
        f"Written by `make bench` (`benchmarks/toggles.py`) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f" in {minutes:.1f} minutes: `{shlex.join(['python', *sys.argv])}`.",
        "",
        "| machine | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in environment(["wrk"]).items()),
        "",
        "Each variant is the service as its image runs it (`scripts/serve`, one worker, rate limits off) with every "
        "per-request feature off (`SEARCH_ANALYTICS`, `SEARCH_ACCESS_LOG`, `SEARCH_METRICS` false, no API key "
        "required) but those shown; with a key required, wrk sends a valid one (cached by the service after its "
        "first use), or a tenant token of it (verified once, then remembered: docs/tenant-tokens.md). wrk sends "
        f"the plain-search mix of the demo corpus for {seconds} s at each connection count, "
        f"{rounds} rounds, the order of the variants reversed every other round. *req/s*, *p50*, *p99*: medians of "
        f"the rounds; *vs {baseline}*: the median of each round's throughput ratio (lowest and highest round in "
        "brackets); *CPU ms*: the service worker's CPU time per request, median of the rounds. *errors*: non-2xx "
        f"answers + socket errors, summed. 1-minute load average before each run: median {median(loads):.1f}, "
        f"highest {max(loads):.1f}, on {os.cpu_count()} cores.",
        "",
        f"| variant | settings | connections | req/s | p50 ms | p99 ms | errors | vs {baseline} | CPU ms | CPU vs "
        f"{baseline} |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for variant in variants:
        settings = " ".join(f"`{k}={v}`" for k, v in variant.env.items()) or "all off"
        if variant.tenant_filter is not None:
            settings += f", a tenant token (`{variant.tenant_filter}`) sent"
        for c in connections:
            measured = runs[(variant.name, c)]
            base = runs[(baseline, c)]
            ratios = [
                m.wrk.requests_per_second / b.wrk.requests_per_second for m, b in zip(measured, base, strict=True)
            ]
            cpu, base_cpu = median([m.cpu_ms for m in measured]), median([b.cpu_ms for b in base])
            spread = "" if variant.name == baseline else f" ({min(ratios):.1%}–{max(ratios):.1%})"
            lines.append(
                f"| {variant.name} | {settings} | {c} | {median([m.wrk.requests_per_second for m in measured]):,.0f} | "
                f"{median([m.wrk.p50_ms for m in measured]):.1f} | {median([m.wrk.p99_ms for m in measured]):.1f} | "
                f"{sum(m.wrk.errors for m in measured)} | {median(ratios):.1%}{spread} | {cpu:.3f} | "
                f"{cpu / base_cpu:.1%} |"
            )
    if token_costs is not None:
        lines += [
            "",
            "A tenant token's check in process (`benchmarks/tenant_tokens.py`, medians of 7 runs): the first "
            f"(signature and claims) {token_costs['first_check_us']:.1f} µs; a token seen before (the parent from "
            f"the key cache, the claims remembered) {token_costs['seen_before_us']:.1f} µs (target: at most 20 µs).",
        ]
    lines += ["", "## Commands", "", "```", *dict.fromkeys(commands), "```", ""]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "toggles.md").write_text("\n".join(lines))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("toggle scenario")
    group.add_argument("--toggles-seconds", type=int, default=5, help="duration of each wrk run")
    group.add_argument("--toggles-rounds", type=int, default=8)
    group.add_argument("--toggles-connections", type=int, nargs="+", default=[64])
    group.add_argument(
        "--toggles-variants", nargs="+", metavar="NAME", help="measure only these variants (and the baselines)"
    )


def run_from_arguments(args: argparse.Namespace) -> None:
    chosen = args.toggles_variants
    variants = [v for v in VARIANTS if chosen is None or v.name.startswith("baseline") or v.name in chosen]
    toggles_scenario(
        variants=variants,
        connections=args.toggles_connections,
        seconds=args.toggles_seconds,
        rounds=args.toggles_rounds,
    )
    print((OUT / "toggles.md").read_text())
