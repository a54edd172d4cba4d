"""The relevance scenario (`make bench BENCH_ARGS="--only relevance"`): how well `GET /search` finds what people
look for on the demo index, with the judged queries of judged.jsonl (written by make_judged.py), in each
configuration of the search (scenario.py), reported per configuration and category (report.py, metrics.py) in
docs/benchmarks/relevance.md.
"""

import argparse
from pathlib import Path

JUDGED = Path(__file__).resolve().parent / "judged.jsonl"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("relevance scenario")
    group.add_argument("--relevance-judged", type=Path, default=JUDGED, help="the judged queries (JSON lines)")
    group.add_argument("--relevance-report", default="relevance.md", help="the report's file name in docs/benchmarks/")
    group.add_argument("--relevance-raw", type=Path, help="also write every answer here (JSON lines)")


def run_from_arguments(args: argparse.Namespace) -> None:
    # Imported here, so that `python -m benchmarks.relevance.make_judged` does not find itself imported already.
    from benchmarks.harness import OUT
    from benchmarks.relevance.report import write_relevance_report
    from benchmarks.relevance.scenario import load_judged, relevance_scenario, write_raw

    judged = load_judged(args.relevance_judged)
    run = relevance_scenario(judged)
    if args.relevance_raw is not None:
        write_raw(args.relevance_raw, judged, run)
    write_relevance_report(judged, run, args.relevance_report)
    print((OUT / args.relevance_report).read_text())
