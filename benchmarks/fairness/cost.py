"""Part 5: what admission itself costs per request, in process: a cheap search priced (`search_cost`) and its
turn taken and given back (`admit`), N times in one event loop, 100 callers in turn. Run as its own process
(`python benchmarks/fairness/cost.py N`), so that Django's settings stay out of the benchmark's; prints one JSON
line."""

import asyncio
import json
import os
import sys
import time
from contextlib import asynccontextmanager
from typing import Any

CALLERS = [f"10.9.{i // 250}.{i % 250 + 1}" for i in range(100)]


@asynccontextmanager
async def _nothing() -> Any:
    yield


async def _time(n: int, config: Any) -> tuple[float, float]:
    from search_service.admission import admit, search_cost
    from search_service.query.policy import QueryCost

    began = time.perf_counter()
    for _ in range(n):
        async with _nothing():
            pass
    empty = (time.perf_counter() - began) / n * 1e6
    began = time.perf_counter()
    for i in range(n):
        cost = search_cost(QueryCost(clauses=2), words=2, page=1, size=10, facet_buckets=20)
        async with admit(config, CALLERS[i % len(CALLERS)], cost):
            pass
    return (time.perf_counter() - began) / n * 1e6, empty


def measure(n: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    for _warm_up in range(2):
        per_request, empty = asyncio.run(_time(n, settings.SEARCH))
    return {
        "entry": "search_cost(...) then admit(config, caller, cost)",
        "arguments": ["a two-word search with 20 facet buckets"],
        "n": n,
        "us": per_request,
        "empty_us": empty,
    }


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    print(json.dumps(measure(int(sys.argv[1]))))
