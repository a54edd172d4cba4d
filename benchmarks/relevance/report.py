"""docs/benchmarks/relevance.md: the figures of a relevance run, per configuration and category."""

import shlex
import subprocess
import sys
import time
from collections.abc import Sequence

from benchmarks.harness import REPO, environment, write_report
from benchmarks.relevance.metrics import hit_at_k, mean, middle, ndcg_at_k, percentile, reciprocal_rank, top1
from benchmarks.relevance.scenario import SIZE, Answer, Judged, Run

CATEGORIES = ("exact", "typo", "prefix", "description")
EXAMPLES = 30  # rows of the exact-name misses table


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()

    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    return f"{git('rev-parse', '--short', 'HEAD')} on `{git('rev-parse', '--abbrev-ref', 'HEAD')}`{dirty}"


def row(name: str, category: str, pairs: Sequence[tuple[Judged, Answer]]) -> str:
    ranked = [(j.grades, a.ids) for j, a in pairs]
    took = [a.took_ms for _, a in pairs if a.took_ms is not None]
    walls = [a.wall_ms for _, a in pairs]
    refused = sum(400 <= a.status < 500 for _, a in pairs)
    failed = sum(a.status >= 500 for _, a in pairs)
    return (
        f"| {name} | {category} | {len(pairs)} | {mean([hit_at_k(i, g, 5) for g, i in ranked]):.1%} | "
        f"{mean([top1(i, g) for g, i in ranked]):.1%} | {mean([reciprocal_rank(i, g, 10) for g, i in ranked]):.3f} | "
        f"{mean([ndcg_at_k(i, g, 10) for g, i in ranked]):.3f} | {mean([float(not i) for _, i in ranked]):.1%} | "
        f"{refused} | {failed} | {middle(walls):.1f} | {percentile(walls, 0.95):.1f} | {middle(took):.0f} |"
    )


def first_hit(judged: Judged, answer: Answer) -> str:
    if answer.status != 200:
        return f"{answer.status}"
    if not answer.ids:
        return "none"
    return "✓" if judged.grades.get(answer.ids[0], 0) > 0 else f"`{answer.ids[0]}`"


def write_relevance_report(judged: Sequence[Judged], run: Run, output: str) -> None:
    names = [c.name for c in run.configurations]
    counts = {c: sum(j.category == c for j in judged) for c in CATEGORIES}
    lines = [
        "# Relevance",
        "",
        f'Written by `make bench BENCH_ARGS="--only relevance"` (`benchmarks/relevance/`) on '
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {run.minutes:.1f} minutes, at commit {commit()}: "
        f"`{shlex.join(['python', *sys.argv])}`.",
        "",
        "| machine | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in environment([]).items()),
        "",
        f"The judged queries of `benchmarks/relevance/judged.jsonl` on the demo index ({len(judged)}: "
        + ", ".join(f"{n} {c}" for c, n in counts.items())
        + "): `exact`, a name as a person types it, whose one relevant document is that object; `typo`, one of "
        "those names with one ordinary typo (never on the first letter); `prefix`, the first 60% of a name, as a "
        "search box holds it while someone types; `description`, a few words saying what is wanted, with documents "
        "graded by hand (2 best, 1 acceptable). Each goes to the service's `GET /search` "
        f"(`scripts/serve`, one worker, rate limits and `SEARCH_ANALYTICS` off) with `size={SIZE}` and the "
        "configuration's parameters, one request at a time.",
        "",
        "*recall@5*: share of queries with a relevant document among the first 5 hits; *top-1*: the first hit is "
        "relevant; *MRR@10*: mean of 1/rank of the first relevant hit (0 when none in 10); *NDCG@10*: gain "
        "2^grade − 1, discount log2(rank + 1), over the ideal ordering of the judged documents; *zero*: share of "
        "queries with no hit (a refused query counts as none); *4xx*, *5xx*: answers refused or failed; *p50 ms*, "
        "*p95 ms*: the request's wall time seen by the client (the service with Elasticsearch, and the "
        "did-you-mean request it adds when a first page has few hits); *took p50*: Elasticsearch's `took_ms` "
        "from the answers.",
        "",
        "| configuration | category | queries | recall@5 | top-1 | MRR@10 | NDCG@10 | zero | 4xx | 5xx | p50 ms | "
        "p95 ms | took p50 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in names:
        pairs = list(zip(judged, run.answers[name], strict=True))
        for category in CATEGORIES:
            lines.append(row(name, category, [(j, a) for j, a in pairs if j.category == category]))
        lines.append(row(name, "**all**", pairs))
    if run.skipped:
        lines += [
            "",
            "Not run: the service does not take these configurations' parameters (its answer to a probe):",
            "",
        ]
        lines += [f"- `{name}`: {why}" for name, why in run.skipped.items()]
    exact = [(j, [run.answers[n][i] for n in names]) for i, j in enumerate(judged) if j.category == "exact"]
    misses = [(j, answers) for j, answers in exact if any(first_hit(j, a) != "✓" for a in answers)]
    lines += [
        "",
        "## Exact names whose first hit is another document",
        "",
        f"{len(misses)} of {len(exact)} exact names miss the first place in at least one configuration "
        f"(the first {min(EXAMPLES, len(misses))} shown): ✓ the name's document came first, `none` no hit, "
        "otherwise the document that came first.",
        "",
        "| query | its document | " + " | ".join(names) + " |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " |",
    ]
    for j, answers in misses[:EXAMPLES]:
        expected = ", ".join(d for d, g in j.grades.items() if g > 0)
        lines.append(f"| `{j.query}` | `{expected}` | " + " | ".join(first_hit(j, a) for a in answers) + " |")
    lines.append("")
    write_report(output, lines, run.commands)
