"""`make bench`: measures the service against Elasticsearch itself, against its peers, what its search features
cost, and how it holds under attack.

Starts what it needs (the local Elasticsearch with the demo data, the latency proxy, each server under
test), drives them with established load generators (ApacheBench, hey, wrk), and writes
docs/benchmarks/results.md and docs/benchmarks/benchmarks.png; the feature-cost (benchmarks/features.py),
attack (benchmarks/attack/), indexing (benchmarks/indexing.py) and answer cache (benchmarks/cache/) scenarios write
features.md, attack.md, indexing.md and cache.md. See docs/benchmarks.md.
"""

import argparse
import json
import re
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import attack, cache, fairness, features, indexing, instantsearch, relevance, toggles  # noqa: E402
from benchmarks.harness import (  # noqa: E402
    BIG_POOL,
    ES_URL,
    FIELDS,
    INDEX,
    OUT,
    SERVICE_ENV,
    UPSTREAM_DELAY,
    Server,
    commands_run,
    cpu_seconds,
    environment,
    latency_proxy,
    load_demo_index,
    log,
    peak_rss_mb,
    run,
    started,
)
from benchmarks.hey import Burst, hey, hey_direct  # noqa: E402
from benchmarks.workload import query_mix  # noqa: E402
from benchmarks.wrk import WrkResult, wrk, wrk_script  # noqa: E402
from search_service.query.body import build_search_body  # noqa: E402


def servers(upstream: str, pool: int) -> list[Server]:
    env = {
        "ELASTICSEARCH_HOSTS": upstream,
        "ELASTICSEARCH_CONNECTIONS_PER_NODE": str(pool),
        "ELASTICSEARCH_REQUEST_TIMEOUT": "30",
    }
    return [
        Server("service (ninja, async)", ["scripts/serve"], 8100, env | SERVICE_ENV),
        Server("peer: FastAPI, async", ["uvicorn", "benchmarks.peers.fastapi_app:app", "--workers", "1"], 8200, env),
        Server(
            "peer: Django sync, gunicorn 1x10",
            [
                "gunicorn",
                "--workers",
                "1",
                "--threads",
                "10",
                "--backlog",
                "2048",
                "benchmarks.peers.django_sync:application",
            ],
            8300,
            env | {"ELASTICSEARCH_CONNECTIONS_PER_NODE": "10"},
            max_burst=100,
        ),
    ]


# ---- load generators and their output -------------------------------------------------------------


@dataclass
class AbResult:
    min_ms: int
    mean_ms: int
    max_ms: int
    wall_s: float
    failed: int


def ab(url: str, n: int) -> AbResult:
    out = run(["ab", "-q", "-s", "60", "-c", str(n), "-n", str(n), url])
    total = re.search(r"Total:\s+(\d+)\s+(\d+)\s+[\d.]+\s+\d+\s+(\d+)", out)
    assert total, out
    non_2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    # ab counts a response whose length differs from the first one's as failed ("Length"); search answers
    # differ in length (took_ms), so only connection errors, exceptions and non-2xx statuses count here.
    broken = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: \d+, Exceptions: (\d+)\)", out)
    return AbResult(
        min_ms=int(total.group(1)),
        mean_ms=int(total.group(2)),
        max_ms=int(total.group(3)),
        wall_s=float(re.search(r"Time taken for tests:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        failed=(sum(int(n) for n in broken.groups()) if broken else 0) + (int(non_2xx.group(1)) if non_2xx else 0),
    )


# ---- scenarios -----------------------------------------------------------------------------------


DIRECT_BEFORE = "Elasticsearch `_search` directly (before)"
DIRECT_AFTER = "Elasticsearch `_search` directly (after)"


def overhead_scenario(scripts: dict[str, Path], seconds: int, connections: list[int]) -> dict[str, object]:
    """Throughput and latency straight to Elasticsearch and through each server, same query mix.

    Elasticsearch is warmed up first (a node fresh from start-up runs at a third of its speed), and measured
    directly both before and after the servers; their mean is the reference, so drift on a shared machine
    shows instead of skewing the ratios.
    """
    direct_url = f"{ES_URL}/{INDEX}/_search"
    log("overhead: warming Elasticsearch up")
    wrk(direct_url, scripts["direct"], max(connections), 30)
    rows: dict[str, dict[int, WrkResult]] = {DIRECT_BEFORE: {}}
    cpu_per_request: dict[str, float] = {}
    rss: dict[str, float] = {}
    for c in connections:
        log(f"overhead: Elasticsearch directly, {c} connections, {seconds}s")
        rows[DIRECT_BEFORE][c] = wrk(direct_url, scripts["direct"], c, seconds)
    for server in servers(ES_URL, pool=128):
        rows[server.name] = {}
        with started(server) as pid:
            wrk(f"http://127.0.0.1:{server.port}/search", scripts["service"], 16, 3)  # warm-up
            cpu_before, requests = cpu_seconds(pid), 0
            for c in connections:
                log(f"overhead: {server.name}, {c} connections, {seconds}s")
                result = wrk(f"http://127.0.0.1:{server.port}/search", scripts["service"], c, seconds)
                rows[server.name][c] = result
                requests += result.requests
            cpu_per_request[server.name] = (cpu_seconds(pid) - cpu_before) / requests * 1e3
            rss[server.name] = peak_rss_mb(pid)
    rows[DIRECT_AFTER] = {}
    for c in connections:
        log(f"overhead: Elasticsearch directly again, {c} connections, {seconds}s")
        rows[DIRECT_AFTER][c] = wrk(direct_url, scripts["direct"], c, seconds)
    reference = {
        c: WrkResult(
            requests_per_second=(rows[DIRECT_BEFORE][c].requests_per_second + rows[DIRECT_AFTER][c].requests_per_second)
            / 2,
            p50_ms=(rows[DIRECT_BEFORE][c].p50_ms + rows[DIRECT_AFTER][c].p50_ms) / 2,
            p99_ms=(rows[DIRECT_BEFORE][c].p99_ms + rows[DIRECT_AFTER][c].p99_ms) / 2,
            requests=0,
            non_2xx=0,
            socket_errors=0,
        )
        for c in connections
    }
    return {"rows": rows, "reference": reference, "cpu_ms": cpu_per_request, "rss_mb": rss}


def slow_upstream_scenario(bursts: list[int]) -> dict[str, object]:
    """Every Elasticsearch answer delayed 3 s by the proxy; bursts of N requests started at once."""
    results: dict[str, object] = {}
    with latency_proxy() as upstream:
        body = build_search_body(query="json", page=1, size=10, fields=FIELDS)
        harness: dict[int, Burst] = {}
        for n in bursts:
            log(f"slow upstream: harness check, {n} at once straight through the proxy")
            harness[n] = hey_direct(upstream, n, body)
        results["harness"] = harness
        per_server: dict[str, dict[str, object]] = {}
        rss: dict[str, float] = {}
        for server in servers(upstream, pool=BIG_POOL):
            url = f"http://127.0.0.1:{server.port}/search?q=json"
            entry: dict[Any, Any] = {}
            with started(server) as pid:
                log(f"slow upstream: {server.name}: ab -c 100 -n 100")
                entry["ab"] = ab(url, 100)
                for n in bursts:
                    if server.max_burst is not None and n > server.max_burst:
                        continue
                    log(f"slow upstream: {server.name}: hey, {n} at once")
                    entry[n] = hey(url, n)
                rss[server.name] = peak_rss_mb(pid)
            per_server[server.name] = entry
        results["servers"] = per_server
        results["rss_mb"] = rss
    return results


# ---- report ----------------------------------------------------------------------------------------


def check(ok: bool) -> str:
    return "met" if ok else "**not met**"


def write_report(
    env: dict[str, str],
    overhead: dict[str, Any],
    slow: dict[str, Any],
    seconds: int,
    connections: list[int],
    bursts: list[int],
) -> None:
    service, fastapi, django = (s.name for s in servers("", 0))
    rows = overhead["rows"]
    reference = overhead["reference"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "Everything below ran on one machine in one run: Elasticsearch, the servers, the proxy and the load "
        "generators share its cores, so read ratios rather than absolute figures.",
        "",
        "| machine | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in env.items()),
        "",
        "Each server runs one worker process. The service runs as its image does (`scripts/serve`).",
        "",
    ]

    lines += [
        "## Overhead over Elasticsearch itself",
        "",
        f"wrk, {seconds} s per row, a mix of {len(query_mix())} queries drawn from the demo corpus; the direct "
        "rows send the same `_search` bodies the service builds. Elasticsearch is warmed up for 30 s, then measured "
        "directly before and after the servers; *vs direct* compares with the mean of the two.",
        "",
        "| target | connections | req/s | p50 ms | p99 ms | errors | vs direct |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, by_c in rows.items():
        for c, r in by_c.items():
            ratio = r.requests_per_second / reference[c].requests_per_second
            lines.append(
                f"| {name} | {c} | {r.requests_per_second:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
                f"{r.errors} | {ratio:.0%} |"
            )
    lines += ["", "| server | CPU per request (ms) | peak RSS (MB) |", "| --- | ---: | ---: |"]
    for name, cpu in overhead["cpu_ms"].items():
        lines.append(f"| {name} | {cpu:.2f} | {overhead['rss_mb'][name]:.0f} |")

    lines += [
        "",
        "## Slow upstream: every Elasticsearch answer delayed 3 s",
        "",
        "A proxy (`scripts/latency_proxy.py`) adds 3 s to every Elasticsearch response. `ab -c 100 -n 100` gives "
        "each request's own time (ab starts one request, waits for it, then the rest, so its wall time is "
        "about twice the delay); `hey -n N -c N` starts all N at once, and its total is the wall time.",
        "",
        "| burst | harness alone (proxy → Elasticsearch) |",
        "| ---: | ---: |",
    ]
    for n, b in slow["harness"].items():
        lines.append(f"| {n} | {b.wall_s:.2f} s ({b.ok} ok) |")
    lines += [
        "",
        "| server | ab per request min / mean / max (ms) | "
        + " | ".join(f"hey {n} at once: wall (ok/failed)" for n in bursts)
        + " | peak RSS (MB) |",
        "| --- | --- | " + " | ".join("---:" for _ in bursts) + " | ---: |",
    ]
    for name, entry in slow["servers"].items():
        a = entry["ab"]
        cells = []
        for n in bursts:
            b = entry.get(n)
            cells.append(f"{b.wall_s:.2f} s ({b.ok}/{b.failed})" if b else "not run")
        lines.append(
            f"| {name} | {a.min_ms:,} / {a.mean_ms:,} / {a.max_ms:,} (failed {a.failed}) | "
            + " | ".join(cells)
            + f" | {slow['rss_mb'][name]:.0f} |"
        )

    ours = slow["servers"][service]
    c_max = max(connections)
    ratio = rows[service][c_max].requests_per_second / reference[c_max].requests_per_second
    added_p50 = rows[service][c_max].p50_ms - reference[c_max].p50_ms
    sync_100 = slow["servers"][django].get(100)
    targets = [
        ("slow upstream: longest of 100 (ab) ≤ 3.15 s", f"{ours['ab'].max_ms / 1000:.3f} s", ours["ab"].max_ms <= 3150),
    ]
    if 100 in ours:
        targets.append(
            (
                "slow upstream: 100 at once, wall (hey) ≤ 3.15 s",
                f"{ours[100].wall_s:.2f} s",
                ours[100].wall_s <= 3.15 and ours[100].failed == 0,
            )
        )
    if 1000 in ours:
        targets.append(
            (
                "slow upstream: 1,000 at once, wall ≤ 3.5 s, no errors",
                f"{ours[1000].wall_s:.2f} s, {ours[1000].failed} failed",
                ours[1000].wall_s <= 3.5 and ours[1000].failed == 0,
            )
        )
    targets += [
        (f"overhead: ≥ 75% of direct throughput at {c_max} connections", f"{ratio:.0%}", ratio >= 0.75),
        (f"overhead: ≤ 1.5 ms added p50 at {c_max} connections", f"{added_p50:.1f} ms", added_p50 <= 1.5),
        (
            f"peers: throughput ≥ FastAPI's at {c_max} connections",
            f"{rows[service][c_max].requests_per_second / rows[fastapi][c_max].requests_per_second:.0%} of FastAPI",
            rows[service][c_max].requests_per_second >= rows[fastapi][c_max].requests_per_second,
        ),
    ]
    if sync_100 and 100 in ours:
        targets.append(
            (
                "peers: sync Django (1 × 10 threads) takes ≥ 10× our wall time for 100",
                f"{sync_100.wall_s / ours[100].wall_s:.1f}×",
                sync_100.wall_s >= 10 * ours[100].wall_s,
            )
        )
    lines += [
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        *(f"| {t} | {m} | {check(ok)} |" for t, m, ok in targets),
    ]
    lines += ["", "## Commands", "", "```", *dict.fromkeys(commands_run), "```", ""]
    (OUT / "results.md").write_text("\n".join(lines))
    chart(rows, slow, connections, bursts)


def chart(rows: dict[str, Any], slow: dict[str, Any], connections: list[int], bursts: list[int]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    names = list(rows)
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        left.bar(
            [x + i * width for x in range(len(connections))],
            [rows[name][c].requests_per_second for c in connections],
            width,
            label=name,
        )
    left.set_xticks(
        [x + width * (len(names) - 1) / 2 for x in range(len(connections))], [f"{c} connections" for c in connections]
    )
    left.set_ylabel("requests per second")
    left.set_title("Throughput, demo query mix (higher is better)")
    left.legend(fontsize=8)

    groups = ["harness alone", *slow["servers"]]
    width = 0.8 / len(bursts)
    for j, n in enumerate(bursts):
        values = [slow["harness"][n].wall_s] + [
            entry[n].wall_s if n in entry else 0 for entry in slow["servers"].values()
        ]
        right.bar([x + j * width for x in range(len(groups))], values, width, label=f"{n} requests at once")
    right.axhline(UPSTREAM_DELAY, color="grey", linestyle="--", linewidth=1)
    right.set_xticks(
        [x + width * (len(bursts) - 1) / 2 for x in range(len(groups))],
        [g.replace(", ", "\n") for g in groups],
        fontsize=8,
    )
    right.set_ylabel("wall time for the whole burst (s)")
    right.set_yscale("log")
    right.set_yticks([3, 4, 5, 7, 10, 20, 30], ["3", "4", "5", "7", "10", "20", "30"])
    right.minorticks_off()
    right.set_title("Elasticsearch answers delayed 3 s (lower is better)")
    right.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(OUT / "benchmarks.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only",
        choices=["attack", "cache", "fairness", "features", "indexing", "instantsearch", "relevance", "toggles"],
        help="run only this scenario (attack: see benchmarks/attack/; cache: benchmarks/cache/; "
        "fairness: benchmarks/fairness/; "
        "features: benchmarks/features.py; indexing: benchmarks/indexing.py; instantsearch: "
        "benchmarks/instantsearch/; relevance: benchmarks/relevance/; toggles: benchmarks/toggles.py)",
    )
    parser.add_argument("--seconds", type=int, default=30, help="duration of each wrk run")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--bursts", type=int, nargs="+", default=[100, 1000])
    features.add_arguments(parser)
    toggles.add_arguments(parser)
    instantsearch.add_arguments(parser)
    attack.add_arguments(parser)
    fairness.add_arguments(parser)
    indexing.add_arguments(parser)
    relevance.add_arguments(parser)
    cache.add_arguments(parser)
    args = parser.parse_args()

    # 1,000 concurrent requests need ~4,000 descriptors across the generator, servers and proxy.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    run(["scripts/elasticsearch", "start"], cwd=REPO)
    if args.only not in ("attack", "indexing"):  # the indexing scenario makes indices of its own
        load_demo_index()
    if args.only is None:
        performance_scenarios(args)
    if args.only in (None, "features"):
        features.run_from_arguments(args)
    if args.only in (None, "toggles"):
        toggles.run_from_arguments(args)
    if args.only in (None, "instantsearch"):
        instantsearch.run_from_arguments(args)
    if args.only in (None, "attack"):
        attack.run_from_arguments(args)
    if args.only in (None, "fairness"):
        fairness.run_from_arguments(args)
    if args.only in (None, "indexing"):
        indexing.run_from_arguments(args)
    if args.only in (None, "relevance"):
        relevance.run_from_arguments(args)
    if args.only in (None, "cache"):
        cache.run_from_arguments(args)


def performance_scenarios(args: argparse.Namespace) -> None:
    """The overhead and slow-upstream scenarios, reported in results.md and benchmarks.png."""
    queries = query_mix()
    with tempfile.TemporaryDirectory() as tmp:
        scripts = {
            "direct": wrk_script(
                Path(tmp),
                "direct",
                [
                    {
                        "method": "POST",
                        "path": f"/{INDEX}/_search",
                        "body": json.dumps(build_search_body(query=q, page=1, size=10, fields=FIELDS)),
                    }
                    for q in queries
                ],
            ),
            "service": wrk_script(
                Path(tmp),
                "service",
                [{"method": "GET", "path": "/search?" + urlencode({"q": q}), "body": ""} for q in queries],
            ),
        }
        overhead = overhead_scenario(scripts, args.seconds, args.connections)
    slow = slow_upstream_scenario(args.bursts)
    OUT.mkdir(parents=True, exist_ok=True)
    write_report(environment(["ab", "hey", "wrk"]), overhead, slow, args.seconds, args.connections, args.bursts)
    print((OUT / "results.md").read_text())


if __name__ == "__main__":
    main()
