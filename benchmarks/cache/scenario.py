"""The cache scenario's run: the Zipf mix, every request a hit, every request a miss, the slow upstream's bursts and
the memory bound, in that order; its command-line options."""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.cache.memory_runs import MIB, memory_runs
from benchmarks.cache.report import write_cache_report
from benchmarks.cache.slow import slow_bursts
from benchmarks.cache.throughput import DEFAULT_TTL, hit_runs, miss_runs, zipf_runs
from benchmarks.cache.workload import write_answers
from benchmarks.harness import OUT, commands_run


def cache_scenario(args: argparse.Namespace) -> None:
    began = time.monotonic()
    first_command = len(commands_run)
    seconds, warm_up, connections = args.cache_seconds, args.cache_warm_up, args.cache_connections
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        work = Path(tmp)
        zipf = zipf_runs(work, connections=connections, seconds=seconds, warm_up=args.cache_zipf_warm_up)
        hits = hit_runs(work, connections=connections, seconds=seconds, warm_up=warm_up // 2)
        misses = miss_runs(
            work,
            connections=args.cache_miss_connections,
            rounds=args.cache_rounds,
            seconds=args.cache_miss_seconds,
            warm_up=warm_up,
        )
        slow = slow_bursts(args.cache_bursts)
        answers = work / "answers.json"
        write_answers(answers, zipf.answers, zipf.headers)
        bounds = [bound * MIB for bound in args.cache_memory_mib]
        memory = memory_runs(answers, bounds, args.cache_memory_keys, args.cache_memory_traced_keys)
        # Paths of the run's own files (wrk scripts, saved answers) as $WORK; the interpreter as `python`.
        commands = [c.replace(tmp, "$WORK").replace(sys.executable, "python") for c in commands_run[first_command:]]
    minutes = (time.monotonic() - began) / 60
    write_cache_report(args, zipf, hits, misses, slow, memory, minutes, commands)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("answer cache scenario")
    group.add_argument("--cache-seconds", type=int, default=30, help="duration of each measured wrk run")
    group.add_argument(
        "--cache-zipf-warm-up",
        type=int,
        default=int(DEFAULT_TTL),
        help="seconds of wrk before each Zipf run: one default SEARCH_CACHE_TTL, so that the measured run meets "
        "answers expiring and made again, as a worker that has served for a while does, not only a cache filling up",
    )
    group.add_argument("--cache-warm-up", type=int, default=10, help="seconds of wrk before the hit and miss runs")
    group.add_argument("--cache-connections", type=int, default=64, help="wrk connections of the Zipf and hit runs")
    group.add_argument("--cache-miss-connections", type=int, nargs="+", default=[64, 16])
    group.add_argument("--cache-rounds", type=int, default=5, help="runs each of cache on and off, per connections")
    group.add_argument("--cache-miss-seconds", type=int, default=20, help="duration of each miss run")
    group.add_argument("--cache-bursts", type=int, nargs="+", default=[100, 1000])
    group.add_argument("--cache-memory-keys", type=int, default=1_000_000)
    group.add_argument(
        "--cache-memory-traced-keys", type=int, default=50_000, help="keys of the tracemalloc run (fills the bound)"
    )
    group.add_argument("--cache-memory-mib", type=int, nargs="+", default=[64, 16], help="byte bounds, in MiB")


def run_from_arguments(args: argparse.Namespace) -> None:
    cache_scenario(args)
    print((OUT / "cache.md").read_text())
