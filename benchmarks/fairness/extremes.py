"""Part 6: bursts of concurrent searches while every core is busy with something else, and one cursor walk past the
10,000th hit."""

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from benchmarks.fairness import plan
from benchmarks.fairness.sender import keep_alive_bursts
from benchmarks.harness import commands_run, log
from benchmarks.outcomes import outcome_of

HOG = [sys.executable, "-c", "while True: pass"]


@contextmanager
def cpu_hog() -> Iterator[int]:
    """One busy process per core until the block ends, killed whatever happens; yields how many."""
    cores = os.cpu_count() or 1
    commands_run.append(f"{' '.join(['python', *HOG[1:]])}  # x {cores}, killed afterwards")
    hogs = [subprocess.Popen(HOG) for _ in range(cores)]
    try:
        yield cores
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def bursts_beside_hog(port: int) -> tuple[int, Counter[str]]:
    path = plan.search_path(q="json")
    log(f"fairness: {plan.HOG_BURSTS} bursts of {plan.HOG_BURST_SIZE} over {plan.HOG_CONNECTIONS} connections, CPU hog")
    commands_run.append(
        f"httpx: {plan.HOG_BURSTS} x {plan.HOG_BURST_SIZE} concurrent GET {path} over {plan.HOG_CONNECTIONS} "
        "keep-alive connections (benchmarks/fairness/sender.py keep_alive_bursts)"
    )
    with cpu_hog() as cores:
        outcomes = asyncio.run(
            keep_alive_bursts(
                f"http://127.0.0.1:{port}",
                path,
                bursts=plan.HOG_BURSTS,
                size=plan.HOG_BURST_SIZE,
                connections=plan.HOG_CONNECTIONS,
                headers={"X-Forwarded-For": "10.6.1.1"},
            )
        )
    return cores, outcomes


@dataclass
class DeepWalk:
    pages: int
    hits_read: int
    total: str  # as the answers count it: `10,000 or more` once counting stopped
    stopped_by: str  # "completed", or the outcome that ended it
    seconds: float


def deep_walk(port: int) -> DeepWalk:
    """Browse every document (no `q`) by `next` at size=100 until more than 10,000 hits are read."""
    log(f"fairness: one cursor walk past {plan.DEEP_PAST:,} hits at size={plan.DEEP_SIZE}")
    commands_run.append(
        f"httpx: GET /search?size={plan.DEEP_SIZE}, then &cursor=<next> until {plan.DEEP_PAST:,} hits are passed"
    )
    pages = read = 0
    total = "unknown"
    cursor: str | None = None
    began = time.monotonic()
    stopped_by = "completed"
    headers = {"X-Forwarded-For": plan.DEEP_ADDRESS}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, headers=headers) as client:
        while read <= plan.DEEP_PAST:
            if pages > plan.DEEP_PAST // plan.DEEP_SIZE + 20 or time.monotonic() - began > 120:
                stopped_by = "the benchmark's own bound (pages or 120 s)"
                break
            params: dict[str, str | int] = {"size": plan.DEEP_SIZE} | ({"cursor": cursor} if cursor else {})
            try:
                answer = client.get("/search", params=params)
                result = outcome_of(answer)
            except httpx.HTTPError as error:
                result = type(error).__name__
            if result != "200":
                stopped_by = f"{result} at page {pages + 1}"
                break
            body = answer.json()
            pages += 1
            read += len(body["hits"])
            counted = body["total"]
            total = f"{counted['value']:,}" + (" or more" if counted["relation"] == "gte" else "")
            cursor = body.get("next")
            if not cursor:
                stopped_by = f"no `next` after page {pages}"
                break
    return DeepWalk(pages, read, total, stopped_by, time.monotonic() - began)
