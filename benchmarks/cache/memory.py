"""The answer cache's memory under a million distinct searches, measured in a process of its own so that its RSS is
the cache's and the interpreter's alone: `python -m benchmarks.cache.memory --max-bytes N --answers FILE`, which
the scenario runs per bound (memory_runs.py).

Django is set up as the tests do it, then one AnswerCache (the service's class, built from a ServiceSettings with
the given byte bound) is filled as the view and the ASGI handler fill it: `cache.answer(key, make)` for each
distinct key, `make` returning an Answer whose body is a real answer of the service (the scenario saves them to
FILE, with the headers a replay keeps) written anew by orjson, as the view writes it; then `cache.replays.put(...)`
for the request, as `replay.remember` does after the whole stack answered. Every body and header is a new object,
as each answer off the network is.

The TTL is an hour, not the default 60 s: the byte bound is what is measured, and a million keys must all still be
live when the LRU pushes them out (with 60 s, expiry could keep the cache under the bound by itself). Prints one
JSON line per reading of VmRSS (/proc/self/status): after setup, every `--every` keys, at the end.
"""

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import os
import re
import time
import tracemalloc
from pathlib import Path
from typing import Any

import orjson

GENERATION = "documents-20260101t000000000/Xq3vY0bJQpW1t5bC8sZ2aA"  # what a read of the demo alias gives
TTL_SECONDS = 3600.0


def rss_bytes() -> int:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) * 1024 if match else 0


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


async def fill(
    max_bytes: int,
    keys: int,
    every: int,
    queries: list[str],
    bodies: list[bytes],
    headers: list[list[str]],
    trace: bool,
) -> None:
    from search_service.answer_cache import Answer, AnswerCache, search_key, stored_key
    from search_service.answer_cache.replay_book import RequestRow

    parsed = [orjson.loads(body) for body in bodies]
    from search_service.settings import ServiceSettings

    cache = AnswerCache(ServiceSettings(search_cache_max_bytes=max_bytes, search_cache_ttl=TTL_SECONDS))
    gc.collect()
    # Memory freed during setup would otherwise be reused by the cache without showing in RSS: given back first.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    if trace:
        tracemalloc.start()
    baseline, traced_at_start = rss_bytes(), traced()

    def reading(done: int, began: float) -> None:
        line = {"keys": done, "rss": rss_bytes(), "baseline": baseline, "seconds": round(time.monotonic() - began, 1)}
        line |= {"store_bytes": cache.store.bytes, "answers_kept": len(cache.store)}
        print(json.dumps(line), flush=True)

    began = time.monotonic()
    reading(0, began)
    for i in range(keys):
        query = f"{queries[i % len(queries)]} {i}"
        # The view's key: the generation, the checked text, and every parameter as validated (defaults filled in).
        search = search_key(checked_text=query, parameters={"q": query, "page": 1, "size": 10})
        key = stored_key(search, GENERATION)

        answer = parsed[i % len(parsed)]

        async def make(answer: Any = answer, hits: int = i % 500) -> Answer:
            # Written as the view writes it (orjson): a new buffer, larger than its text, as each answer is.
            return Answer(body=orjson.dumps(answer), total_hits=hits, took_ms=3)

        await cache.answer(search, key, make)
        request = (f"q={query.replace(' ', '+')}".encode(), b"127.0.0.1:8190", None)
        kept = tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in headers)
        # A replay as remember() makes it, with the analytics row's request part (analytics are on by default; the
        # query is normalised for the row, so a string of its own).
        row = RequestRow(query.casefold(), "query_string", (), 1)
        cache.replays.put(request, key=key, generation=GENERATION, headers=kept, row=row, query_text=None)
        if (i + 1) % every == 0 or i + 1 == keys:
            reading(i + 1, began)
    if trace:
        # What each part really holds: the traced memory each frees when emptied. The replays' own count is not
        # public (replay_book.py keeps it in its TTLCache), hence the private attribute.
        book = cache.replays._requests
        replays_kept, replays_bytes, answers_bytes = len(book), int(book.currsize), cache.store.bytes
        held = traced() - traced_at_start
        book.clear()
        without_replays = traced() - traced_at_start
        cache.store.clear()
        without_answers = traced() - traced_at_start
        line = {
            "traced": held,
            "replays_real": held - without_replays,
            "answers_real": without_replays - without_answers,
        }
        line |= {"replays_kept": replays_kept, "replays_bytes": replays_bytes, "answers_bytes": answers_bytes}
        print(json.dumps(line), flush=True)


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-bytes", type=int, required=True, help="SEARCH_CACHE_MAX_BYTES")
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=100_000, help="read VmRSS every this many keys")
    parser.add_argument("--answers", type=Path, required=True, help="JSON: {answers: [{query, body}], headers}")
    parser.add_argument("--trace", action="store_true", help="trace allocations (tracemalloc) and split them by part")
    args = parser.parse_args()
    saved = json.loads(args.answers.read_text())
    queries = [answer["query"] for answer in saved["answers"]]
    bodies = [answer["body"].encode() for answer in saved["answers"]]
    headers = saved["headers"]
    del saved  # its text is freed before the baseline, not reused by the cache after it
    setup_django()
    asyncio.run(fill(args.max_bytes, args.keys, args.every, queries, bodies, headers, args.trace))


if __name__ == "__main__":
    main()
