"""docs/benchmarks/fairness.md: the figures of the fairness scenario against the targets of issue 19."""

import time
from collections import Counter
from typing import Any

from benchmarks.attack.load import Latency
from benchmarks.fairness import plan
from benchmarks.fairness.attacks import AttackRun
from benchmarks.fairness.extremes import DeepWalk
from benchmarks.fairness.throughput import HeavyAlone, HeavyAndLight, SlowBursts, ok_per_second
from benchmarks.harness import commands_run, write_report


def _check(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _counts(counts: Counter[str] | dict[str, int]) -> str:
    return ", ".join(f"{key}: {n:,}" for key, n in Counter(counts).most_common()) or "none"


def _latency(latency: Latency) -> str:
    return f"{latency.median_ms:.1f} / {latency.p99_ms:.1f} ({latency.requests})"


def write_fairness_report(
    *,
    env: dict[str, str],
    head: str,
    seconds: float,
    slow: SlowBursts,
    alone: HeavyAlone,
    beside: HeavyAndLight,
    attacks: list[AttackRun],
    cost: dict[str, Any],
    hog: tuple[int, Counter[str]],
    walk: DeepWalk,
    index: str,
) -> None:
    lines = [
        "# Fairness scenario (issue 19)",
        "",
        f'Written by `make bench BENCH_ARGS="--only fairness"` (`benchmarks/fairness/`) on '
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, in {seconds / 60:.1f} minutes, against {head}.",
        "Elasticsearch, the service, the load generators and the timed clients share the machine: read the ratios.",
        "",
        "| machine | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in env.items()),
        "",
        "Every server is `scripts/serve` with the service's default settings (one worker) but for its index, "
        "`DATA_DIR` (a temporary directory) and what a section names; *admission off* adds `SEARCH_ADMISSION=false`. "
        "Callers are told apart by `X-Forwarded-For` from the trusted 127.0.0.1, or by API key where a line says keys. "
        "The victim and the light client are the attack scenario's: one ordinary search at a time (`json`, "
        "`socket timeout`, …) from 20 addresses in turn, timed by httpx in the benchmark's process; the attackers "
        "send from a process of their own (`benchmarks/fairness/sender.py`, a fixed rate, open loop).",
        "",
        "## 1. An honest burst from one client, Elasticsearch delayed 3 s",
        "",
        "hey, N searches (`q=json`) at once from one address, through the service (its pool "
        "`ELASTICSEARCH_CONNECTIONS_PER_NODE=1200`) and straight to the proxy.",
        "",
        "| burst | straight to the proxy | through the service | refused (429) | other failures | wall × | "
        "target (≤ 1.05×, 0 refused) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for n, burst in slow.service.items():
        ratio = burst.wall_s / slow.direct[n].wall_s
        lines.append(
            f"| {n:,} | {slow.direct[n].wall_s:.2f} s ({slow.direct[n].ok} ok) | {burst.wall_s:.2f} s | "
            f"{burst.refused:,} | {burst.failed - burst.refused:,} | {ratio:.2f} | "
            f"{_check(ratio <= 1.05 and burst.failed == 0)} |"
        )
    lines += [
        "",
        f"## 2. A heavy caller alone: {plan.HEAVY_CONNECTIONS} connections, one address",
        "",
        f"wrk, the demo query mix (benchmarks/workload.py), {len(alone.on)} rounds each, the order swapped every "
        "other round; throughput counts answers of 200 only.",
        "",
        "| admission | 200s per second, by round | median | refused or failed (all rounds) |",
        "| --- | --- | ---: | ---: |",
    ]
    for name, runs, median in (("on (default)", alone.on, alone.on_median), ("off", alone.off, alone.off_median)):
        lines.append(
            f"| {name} | {', '.join(f'{ok_per_second(r):,.0f}' for r in runs)} | {median:,.0f} | "
            f"{sum(r.errors for r in runs):,} of {sum(r.requests for r in runs):,} |"
        )
    lines += [
        "",
        f"On / off, the median of the rounds' ratios: **{alone.ratio:.0%}** "
        f"(target ≥ 90%: {_check(alone.ratio >= 0.9)}).",
        "",
        "## 3. The heavy caller beside a light one",
        "",
        "| | measured | target |",
        "| --- | --- | --- |",
    ]
    light_ratio = beside.light_beside_heavy.median_ms / beside.light_at_rest.median_ms
    heavy_ratio = ok_per_second(beside.heavy) / alone.on_median
    lines += [
        f"| light p50 / p99 ms (requests), at rest | {_latency(beside.light_at_rest)} | |",
        f"| light p50 / p99 ms (requests), beside the heavy caller | {_latency(beside.light_beside_heavy)}, "
        f"errors: {_counts(beside.light_beside_heavy.errors)} | |",
        f"| light p50, beside / at rest | {light_ratio:.2f}× | ≤ 1.5×: {_check(light_ratio <= 1.5)} |",
        f"| heavy 200s per second, beside the light one / alone (part 2's median, admission on) | "
        f"{ok_per_second(beside.heavy):,.0f} / {alone.on_median:,.0f} = {heavy_ratio:.0%} "
        f"({beside.heavy.errors:,} refused or failed) | ≥ 80%: {_check(heavy_ratio >= 0.8)} |",
        "",
        f"## 4. Three attacks, each with a victim (index `{index}`)",
        "",
        "| attack | what the attackers send | victim at rest p50 / p99 ms (requests) | under attack | p50 × | p99 × | "
        "victim errors | target (p50 ≤ 1.5×, p99 ≤ 3×, 0 errors) |",
        "| --- | --- | --- | --- | ---: | ---: | --- | --- |",
    ]
    for a in attacks:
        lines.append(
            f"| {a.name} | {a.describe} | {_latency(a.at_rest)} | {_latency(a.under_attack)} | {a.p50_ratio:.2f} | "
            f"{a.p99_ratio:.2f} | {_counts(a.under_attack.errors)} | {_check(a.met)} |"
        )
    lines += ["", "| attack | sent (achieved rate) | attackers got | attackers' p50 ms |", "| --- | --- | --- | ---: |"]
    for a in attacks:
        s = a.sent
        lines.append(f"| {a.name} | {s['sent']:,} ({s['rate']:.0f}/s) | {_counts(s['outcomes'])} | {s['p50_ms']:.0f} |")
    for a in attacks:
        if a.extra:
            lines += ["", f"{a.name}: " + "; ".join(f"{k}: {v}" for k, v in a.extra.items()) + "."]
    lines += [
        "",
        "Open contexts are `GET _nodes/stats/indices/search` → `open_contexts`, the whole node's (points in time "
        "and scrolls of anyone using it); a point in time opened by a cursor stays open for SEARCH_CURSOR_KEEP_ALIVE "
        "(120 s) unless its walk reaches the end.",
        "",
        "## 5. What admission costs per request, in process",
        "",
    ]
    if "skipped" in cost:
        lines.append(f"Skipped: {cost['skipped']}.")
    else:
        lines += [
            f"`{cost['entry']}`, entered and left {cost['n']:,} times in one event loop "
            f"for a cheap search (arguments: {', '.join(cost['arguments'])}; 100 callers in turn): "
            f"**{cost['us']:.2f} µs** per request (an empty async context manager: {cost['empty_us']:.2f} µs; "
            f"target ≤ 20 µs: {_check(cost['us'] <= 20)}).",
        ]
    cores, outcomes = hog
    lines += [
        "",
        "## 6. Bursts beside a CPU hog, and a deep cursor walk",
        "",
        f"{plan.HOG_BURSTS} bursts of {plan.HOG_BURST_SIZE} concurrent searches (`q=json`, one address) over "
        f"{plan.HOG_CONNECTIONS} keep-alive connections (httpx), the demo index, while {cores} busy processes "
        f"(one per core) run beside it: {_counts(outcomes)} (a transport error's name, such as "
        "`RemoteProtocolError` or `ReadError`, is a connection the server dropped).",
        "",
        f"One cursor walk from one address, browsing `{index}` (no `q`, {walk.total} hits) at "
        f"size={plan.DEEP_SIZE}, following `next` past hit {plan.DEEP_PAST:,}: {walk.pages} pages, "
        f"{walk.hits_read:,} hits read in {walk.seconds:.1f} s; stopped by: **{walk.stopped_by}**.",
        "",
    ]
    write_report("fairness.md", lines, commands_run)
