"""memory.py (the answer cache's memory under a million distinct searches) in a process of its own per byte bound,
so that each RSS is the cache's alone; then again, shorter, with tracemalloc, to split what is held between the
answers and the replays."""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import REPO, log, run

MIB = 1024 * 1024


@dataclass
class Memory:
    bound: int  # SEARCH_CACHE_MAX_BYTES
    readings: list[dict[str, float]]  # keys, rss, baseline, seconds, store_bytes, answers_kept
    traced: dict[str, float]  # the traced run: traced, {answers,replays}_real, {answers,replays}_bytes, replays_kept
    traced_keys: int


def memory_runs(answers: Path, bounds: list[int], keys: int, traced_keys: int) -> list[Memory]:
    """Per bound: `keys` distinct searches, VmRSS read as they go; then `traced_keys` (enough to fill the bound
    many times over) with tracemalloc on, which slows every allocation."""
    results = []
    for bound in bounds:
        log(f"cache: memory, {keys:,} distinct searches into a {bound // MIB} MiB cache (and {traced_keys:,} traced)")
        command = [
            sys.executable,
            "-m",
            "benchmarks.cache.memory",
            "--max-bytes",
            str(bound),
            "--answers",
            str(answers),
        ]
        lines = run([*command, "--keys", str(keys)], cwd=REPO).splitlines()
        traced = run([*command, "--keys", str(traced_keys), "--every", str(traced_keys), "--trace"], cwd=REPO)
        results.append(
            Memory(
                bound,
                [json.loads(line) for line in lines if line.startswith("{")],
                json.loads(traced.splitlines()[-1]),
                traced_keys,
            )
        )
    return results
