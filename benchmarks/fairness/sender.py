"""A load generator at a fixed rate (wrk2 is not available): request i leaves at start + i / rate whether or not
the earlier ones have been answered (an open loop, as independent callers send), bounded in flight and in time.

Run as its own process, so that its CPU does not slow the victim that is timed beside it:

    python benchmarks/fairness/sender.py --base URL --rate R --seconds S --requests FILE

FILE is a JSON list of {"path": ..., "headers": {...}}, sent in turn; prints a JSON summary. `keep_alive_bursts`
is the other shape: bursts of concurrent requests over a fixed pool of keep-alive connections.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

# Run as a script: the repository on the path, for the one helper it shares with the other load generators.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.outcomes import outcome_of

MAX_IN_FLIGHT = 2_000
TIMEOUT = 30.0


async def paced(base: str, requests: list[dict[str, Any]], rate: float, seconds: float) -> dict[str, Any]:
    outcomes: Counter[str] = Counter()
    times: list[float] = []
    in_flight = 0
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, limits=limits) as client:

        async def one(request: dict[str, Any]) -> None:
            nonlocal in_flight
            in_flight += 1
            started_at = time.perf_counter()
            try:
                outcomes[outcome_of(await client.get(request["path"], headers=request["headers"]))] += 1
                times.append((time.perf_counter() - started_at) * 1e3)
            except httpx.HTTPError as error:
                outcomes[type(error).__name__] += 1
            finally:
                in_flight -= 1

        tasks = []
        total = int(rate * seconds)
        start = time.monotonic()
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if in_flight >= MAX_IN_FLIGHT:
                outcomes["not sent (generator at its in-flight cap)"] += 1
                continue
            tasks.append(asyncio.create_task(one(requests[i % len(requests)])))
        sent_for = time.monotonic() - start
        await asyncio.gather(*tasks)
    return {
        "outcomes": dict(outcomes),
        "sent": len(tasks),
        "rate": len(tasks) / sent_for if sent_for else 0.0,
        "p50_ms": statistics.median(times) if times else float("nan"),
    }


async def keep_alive_bursts(
    base: str, path: str, *, bursts: int, size: int, connections: int, headers: dict[str, str]
) -> Counter[str]:
    """`bursts` times, `size` requests at once over at most `connections` kept-alive connections: each burst
    starts when the last one has been answered. Counts `200`, `429 …`, and transport errors by name."""
    outcomes: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    # The pool timeout covers the wait for a free connection: half of each burst queues for one.
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, headers=headers) as client:

        async def one() -> None:
            try:
                outcomes[outcome_of(await client.get(path))] += 1
            except httpx.HTTPError as error:
                outcomes[type(error).__name__] += 1

        for _ in range(bursts):
            await asyncio.gather(*(one() for _ in range(size)))
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True)
    parser.add_argument("--rate", type=float, required=True, help="requests per second, in all")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--requests", type=Path, required=True)
    args = parser.parse_args()
    requests = json.loads(args.requests.read_text())
    print(json.dumps(asyncio.run(paced(args.base, requests, args.rate, args.seconds))))


if __name__ == "__main__":
    main()
