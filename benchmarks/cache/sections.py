"""Sections of docs/benchmarks/cache.md (report.py writes the file): the searches, the Zipf mix against
Elasticsearch, CPU per hit, misses' latency and the slow upstream's bursts."""

import argparse
from statistics import median
from typing import Any

from benchmarks.cache.memory_runs import MIB
from benchmarks.cache.slow import AFTER_PAUSE, DID_YOU_MEAN_BELOW, QUIET_S, RIGHT_AFTER, Slow
from benchmarks.cache.throughput import DEFAULT_TTL, DEFAULTS, HIT_QUERIES, ZIPF_DRAWS, Misses, Run, Zipf
from benchmarks.cache.workload import MISS_PAGES, MISS_SIZES, distinct_queries, top_share


def row(name: str, run: Run, direct: float | None = None) -> str:
    r, c = run.result, run.counts
    cells = [
        name,
        f"{r.requests_per_second:,.0f}",
        f"{r.p50_ms:.1f}",
        f"{r.p99_ms:.1f}",
        f"{r.errors:,}",
        "–" if run.cpu_ms is None else f"{run.cpu_ms:.3f}",
        "–" if c is None else f"{c.hit_ratio:.1%} ({c.spared_ratio:.1%})",
        "–" if c is None else f"{c.searches / max(r.requests, 1):.2f}",
        "–" if direct is None else f"{r.requests_per_second / direct:.2f}×",
    ]
    return "| " + " | ".join(cells) + " |"


def counted(run: Run) -> str:
    return run.counts.summary() if run.counts else "–"


HEADER = [
    "| run | req/s | p50 ms | p99 ms | errors | worker CPU ms/request | hits (+ coalesced) | `_search` calls per "
    "request | vs direct |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
]


def zipf_section(args: argparse.Namespace, zipf: Zipf, hits: dict[str, Run]) -> tuple[list[str], float]:
    queries = distinct_queries()
    direct = (zipf.direct_before.result.requests_per_second + zipf.direct_after.result.requests_per_second) / 2
    lines = [
        "## The searches",
        "",
        f"{len(queries.texts):,} distinct searches made from the demo corpus: "
        + ", ".join(f"{n:,} {kind}s" for kind, n in queries.kinds.items())
        + " (words of 4+ letters of the summaries; the commonest pairs of consecutive ones, as `a AND b`; the most "
        "popular qualified names), shuffled (seeded) and ranked: a Zipf distribution (s = 1) over them, "
        f"{ZIPF_DRAWS:,} draws per sequence, one sequence for the warm-ups and another for the measured runs. In "
        f"the measured sequence the most asked search is {top_share(zipf.sequence, 1):.1%} of the requests, the "
        f"top 100 {top_share(zipf.sequence, 100):.1%}, the top 1,000 {top_share(zipf.sequence, 1000):.1%}; "
        f"{len(set(zipf.sequence)):,} distinct searches occur in it. wrk's Lua script walks it, each of its two "
        "threads from its own half (`benchmarks/wrk.py`, `wrk_sequence_script`).",
        "",
        "## 1. Zipf mix: the service against Elasticsearch's own `_search`",
        "",
        f"wrk, {args.cache_connections} connections, {args.cache_seconds} s per run, after a "
        f"{args.cache_zipf_warm_up}-s warm-up of each target (the warm-up's own draws; as long as the default TTL, so "
        "that the measured run meets answers expiring and made again, as a worker that has served for a while does, "
        "not only a cache filling up). *Direct*: the same sequence as POSTs to "
        "`/documents/_search` with the bodies the service builds (`build_search_body`, as `results.md`'s overhead "
        "rows), measured before and after the service; *vs direct* compares with their mean. The service: "
        "`scripts/serve`, one worker, rate limits off (all load is from 127.0.0.1), the cache at its defaults "
        f"(`SEARCH_CACHE_TTL` {DEFAULT_TTL:g} s, 64 MiB), or off (`SEARCH_CACHE_TTL=0`). *hits*: "
        "`search_cache_requests_total` over the run (from `/metrics` before and after): `hit` ÷ every first page "
        "(in brackets, with `coalesced`, those that waited on an identical search in flight). *`_search` calls*: "
        '`search_elasticsearch_request_duration_seconds_count{operation="_search"}` over the run ÷ wrk\'s requests '
        f"(a page finding at most {DID_YOU_MEAN_BELOW} hits asks again, for spelling corrections). The worker's CPU "
        "is from /proc, divided by wrk's requests.",
        "",
        *HEADER,
        row("Elasticsearch directly (before)", zipf.direct_before, direct),
        row("Elasticsearch directly (after)", zipf.direct_after, direct),
        row("service, cache on", zipf.on, direct),
        row("service, cache off", zipf.off, direct),
        "",
        f"Counted during the cache-on run: {counted(zipf.on)}.",
        "",
        "## 2. CPU per cache hit",
        "",
        f"Every request a hit: the {HIT_QUERIES} most asked searches of the mix, cached for an hour "
        "(`SEARCH_CACHE_TTL=3600`, so that no answer expires during the run), warmed up "
        f"{args.cache_warm_up // 2} s, then {args.cache_seconds} s of wrk at {args.cache_connections} connections. "
        "Repeats of an anonymous `GET /search` are answered by the ASGI handler before Django (`replay.py`), which "
        "still does per hit what the middleware would: the analytics row (`SEARCH_ANALYTICS`, written to the "
        "database by a thread of the worker), the access log line (`SEARCH_ACCESS_LOG`) and the metrics "
        "(`SEARCH_METRICS`), all on by default. The same run with them off one by one "
        f"({max(args.cache_seconds // 3, 1)} s each) shows what they cost beside the hit itself. The worker's CPU "
        "(all its threads) over the run ÷ wrk's requests; the Zipf runs' figures for context.",
        "",
        *HEADER,
        *(row(f"every request a hit, {name}", run) for name, run in hits.items()),
        row("Zipf mix, cache on", zipf.on),
        row("Zipf mix, cache off", zipf.off),
        "",
        f"Counted during the hit run: {counted(hits[DEFAULTS])}.",
        "",
    ]
    return lines, direct


def misses_section(args: argparse.Namespace, misses: Misses) -> list[str]:
    lines = [
        "## 3. Misses: cache on against cache off",
        "",
        f"Every request a search never asked before: the 10,000 texts × page size {MISS_SIZES.start}–"
        f"{MISS_SIZES.stop - 1} × page {MISS_PAGES.start}–{MISS_PAGES.stop - 1} (a million distinct searches), "
        "shuffled and cut into disjoint parts, one per run (100,000 searches each, far more than a run sends). Two "
        "workers up side by side, cache on (defaults) and off (`SEARCH_CACHE_TTL=0`), each warmed up "
        f"{args.cache_warm_up} s, then measured in turn, on, off, on, off…, {args.cache_rounds} runs each, "
        f"{args.cache_miss_seconds} s per run. "
        "Compared by the medians of the runs.",
        "",
        "| connections | round | cache | req/s | p50 ms | p99 ms | errors | worker CPU ms/request | counted |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for c in args.cache_miss_connections:
        for r in range(args.cache_rounds):
            for name in ("on", "off"):
                run = misses.runs[(name, c)][r]
                w = run.result
                lines.append(
                    f"| {c} | {r + 1} | {name} | {w.requests_per_second:,.0f} | {w.p50_ms:.1f} | {w.p99_ms:.1f} | "
                    f"{w.errors:,} | {run.cpu_ms:.3f} | {counted(run)} |"
                )
    lines += ["", "| connections | p99 on ÷ off (medians) | p50 on ÷ off | req/s on ÷ off | CPU/request on ÷ off |"]
    lines.append("| ---: | ---: | ---: | ---: | ---: |")
    for c in args.cache_miss_connections:
        lines.append(
            f"| {c} | {miss_ratio(misses, c, lambda r: r.result.p99_ms):.3f} | "
            f"{miss_ratio(misses, c, lambda r: r.result.p50_ms):.3f} | "
            f"{miss_ratio(misses, c, lambda r: r.result.requests_per_second):.3f} | "
            f"{miss_ratio(misses, c, lambda r: r.cpu_ms or 0.0):.3f} |"
        )
    rss = {name: [mb for _, mb in samples] for name, samples in misses.rss.items()}
    lines += [
        "",
        "The two workers' resident memory (VmRSS, sampled every second through the warm-ups and runs), the cache-off "
        f"worker being the baseline. The cache-on worker keeps each miss's answer for the TTL ({DEFAULT_TTL:g} s), so "
        f"it holds what the last {DEFAULT_TTL:g} s brought, up to the byte bound; its own count at the end "
        f"(`search_cache_bytes`): {misses.cache_bytes / MIB:.1f} MiB. (Section 5 fills the bound itself.)",
        "",
        "| worker | first sample MB | last MB | highest MB |",
        "| --- | ---: | ---: | ---: |",
        *(f"| {name} | {mbs[0]:.0f} | {mbs[-1]:.0f} | {max(mbs):.0f} |" for name, mbs in rss.items() if mbs),
        "",
    ]
    return lines


def miss_ratio(misses: Misses, connections: int, value: Any) -> float:
    on = median(value(r) for r in misses.runs[("on", connections)])
    off = median(value(r) for r in misses.runs[("off", connections)])
    return float(on / off) if off else float("nan")


def slow_section(slow: Slow) -> list[str]:
    lines = [
        "## 4. Slow upstream: every Elasticsearch answer delayed 3 s",
        "",
        "`scripts/latency_proxy.py` delays every answer of the node by 3 s; the service (cache on, defaults) is "
        "pointed at it with a pool of 1,200 connections, as `results.md`'s slow-upstream rows. A burst: N requests "
        "written at once on N connections opened beforehand (`benchmarks/cache/burst.py`, asyncio streams); its wall "
        "time runs from the first request written to the last answer read. The searches used find more than "
        f"{DID_YOU_MEAN_BELOW} documents (asked of the node first), so no spelling pass adds a second 3 s; none had "
        "been asked before. Each burst meets a worker of its own, started for it, as in the seed's scenario: fair "
        "admission's limit on work in flight starts at its ceiling and only falls once answers slow down "
        "(admission/limiter.py), so a burst right after another would meet a limit the other's 3-s answers lowered. "
        f"{QUIET_S} s after the worker's start-up search (its index generation is stale by then), one warm-up search "
        "(uncached itself: it starts the read of the index generation, which the proxy delays 3 s too, and returns "
        f"when that read does); the burst goes {RIGHT_AFTER}, or {AFTER_PAUSE}. *counted*: the worker's cache "
        "counters and Elasticsearch calls from just before the burst to its end (a `_mapping` read would show: a "
        "search renews the worker's copy of the index mapping every 30 s, holding up every request meanwhile; "
        "none falls within the ~20 s a burst's worker lives).",
        "",
        "| burst | straight to the proxy: wall (ok) |",
        "| ---: | ---: |",
        *(f"| {n} distinct | {b.wall_s:.2f} s ({b.ok}) |" for n, b in slow.proxy_alone.items()),
        "",
        "| burst | when | wall | ok | failed (statuses) | counted |",
        "| --- | --- | ---: | ---: | --- | --- |",
    ]
    for s in slow.bursts:
        b = s.burst
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(b.statuses.items()) if code != 200)
        lines.append(
            f"| {s.size:,} {s.kind} | {s.when} | {b.wall_s:.2f} s | {b.ok:,} | {b.failed:,}"
            f"{f' ({statuses})' if statuses else ''} | {s.counts.summary()} |"
        )
    return [*lines, ""]
