"""docs/benchmarks/attack.md from the scenario's results."""

import os
import re
import time
from collections import Counter
from pathlib import Path

from benchmarks.attack.load import ServiceResult
from benchmarks.attack.plan import ATTACK_SET_SIZE, PROBE_REPEATS, SINGLE_ATTACKER, VICTIM_ADDRESSES, VICTIM_QUERIES
from benchmarks.attack.queries import Candidate, Probe
from benchmarks.harness import commands_run, write_report


def _outcomes(counts: Counter[str]) -> str:
    return ", ".join(f"{key}: {n:,}" for key, n in counts.most_common()) or "none"


def write_attack_report(
    *,
    index: str,
    documents: int,
    connections: int,
    seconds: int,
    probes: list[Probe],
    attack_set: list[Candidate],
    results: list[ServiceResult],
    extra_env: dict[str, str],
) -> None:
    cpu = re.search(r"model name\s+:\s+(.*)", Path("/proc/cpuinfo").read_text())
    lines = [
        "# Attack scenario",
        "",
        f"Written by `make bench` (`benchmarks/attack/`) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"on {os.cpu_count()} cores ({cpu.group(1) if cpu else 'unknown CPU'}) shared by Elasticsearch, the service, "
        "wrk and the victim's client: read the ratios.",
        "",
        f"Index `{index}`: {documents:,} documents (the demo corpus copied, 5% of each copy's longer words "
        "altered by a letter), one segment. The service runs as its image does (`scripts/serve`, one worker, "
        "default settings"
        + (f", plus {', '.join(f'`{k}={v}`' for k, v in extra_env.items())}" if extra_env else "")
        + "), straight against the node.",
        "",
        "**Victim**: sequential ordinary searches (`" + "`, `".join(VICTIM_QUERIES) + "`), from "
        f"{len(VICTIM_ADDRESSES)} addresses in turn (each far below the per-client rate limit), timed by an httpx "
        "client; at rest, then again from 3 s into the attack until 1 s before its end. "
        f"**Attackers**: wrk, {connections} connections for {seconds} s, the attack set below in turn; *one "
        f"attacker* sends every request as `X-Forwarded-For: {SINGLE_ATTACKER}`, *50 attackers* as one of "
        f"{connections} addresses (10.t.n.1, per request). uvicorn takes the client's address from that header "
        "because the peer, 127.0.0.1, is the trusted proxy.",
        "",
        "## The attack set",
        "",
        "Candidates at the default policy's limits, built from the corpus' vocabulary, each timed alone "
        f"through the service ({PROBE_REPEATS} tries, median); the {ATTACK_SET_SIZE} slowest the service "
        "accepts (answered, or timed out inside Elasticsearch) are the attack.",
        "",
        "| candidate | q | size | page | alone (ms) | answer | in attack |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for p in probes:
        c = p.candidate
        q = c.q if len(c.q) <= 80 else c.q[:77] + "..."
        lines.append(
            f"| {c.label} | `{q}` | {c.size} | {c.page} | {p.median_ms:,.0f} | {p.status} | "
            f"{'yes' if c in attack_set else ''} |"
        )
    for result in results:
        lines += [
            "",
            f"## {result.label}",
            "",
            "| attack | victim at rest p50 / p99 (ms) | under attack p50 / p99 (ms) | p50 × | p99 × | "
            "victim errors | target (p50 ≤ 2×, p99 ≤ 5×, 0 errors) |",
            "| --- | --- | --- | ---: | ---: | --- | --- |",
        ]
        for v in result.variants:
            lines.append(
                f"| {v.name} | {v.at_rest.median_ms:.1f} / {v.at_rest.p99_ms:.1f} ({v.at_rest.requests}) | "
                f"{v.under_attack.median_ms:.1f} / {v.under_attack.p99_ms:.1f} ({v.under_attack.requests}) | "
                f"{v.median_ratio:.1f} | {v.p99_ratio:.1f} | {_outcomes(v.under_attack.errors)} | "
                f"{'met' if v.met else '**not met**'} |"
            )
        lines += [
            "",
            "| attack | attackers got (status error: count) | attack req/s | attack p50 (ms) | socket errors | "
            "Elasticsearch CPU (cores) | service CPU (cores) | wrk CPU (s) |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for v in result.variants:
            a = v.attack
            lines.append(
                f"| {v.name} | {_outcomes(a.outcomes)} | {a.requests_per_second:,.0f} | {a.p50_ms:,.0f} | "
                f"{a.socket_errors} | {v.es_cores:.2f} | {v.service_cores:.2f} | {a.generator_cpu_s:.1f} |"
            )
        lines += ["", f"The victim's client used {result.victim_client_cpu_s:.1f} s of CPU across both variants."]
    lines += [
        "",
        "Counts (requests in brackets) are the victim's; Elasticsearch's CPU is its whole process, so other "
        "users of the node would show in it.",
        "",
    ]
    write_report("attack.md", lines, commands_run)
