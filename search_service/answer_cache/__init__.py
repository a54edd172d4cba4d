"""The answer cache: a first page's answer reused for the same search within SEARCH_CACHE_TTL (issue 23).

- store.py: each worker's answers, LRU, bounded by SEARCH_CACHE_MAX_BYTES; shared.py: the fleet's Redis behind it.
- key.py: the key, everything that shapes an answer after the policy, and the index generation (generation.py).
- flight.py: identical searches in flight share one making of their answer.
- entry.py: what is kept, and the HTTP validators (ETag, Cache-Control) made from it.

A hit takes no turn in front of Elasticsearch (admission/); the analytics still get its row, flagged cached.
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from enum import StrEnum
from functools import partial

from elasticsearch import AsyncElasticsearch

from search_service.answer_cache.entry import Answer, Entry, compact, entry_for
from search_service.answer_cache.flight import SingleFlight
from search_service.answer_cache.generation import IndexGeneration
from search_service.answer_cache.key import search_key, stored_key
from search_service.answer_cache.replay_book import ReplayBook
from search_service.answer_cache.shared import SharedStore
from search_service.answer_cache.store import LocalStore
from search_service.metrics.series import CACHE_REQUESTS
from search_service.per_worker import PerConfigAndLoop
from search_service.settings import ServiceSettings

__all__ = ["Answer", "AnswerCache", "Entry", "Served", "answer_cache_for", "search_key", "stored_key"]


class Served(StrEnum):
    HIT = "hit"
    SHARED = "shared"
    COALESCED = "coalesced"
    MISS = "miss"
    BYPASS = "bypass"


class AnswerCache:
    def __init__(self, config: ServiceSettings) -> None:
        self.ttl = config.search_cache_ttl
        self.enabled = config.search_cache_ttl > 0 and config.search_cache_max_bytes > 0
        # The replays (replay.py) get an eighth of the bytes (a request, a key, the analytics row's request part, the
        # headers shared: ~0.9 KB each, ~9,000 in the default 8 MiB); a sixteenth is left to what no count sees, the
        # allocator's free lists and fragmentation, so that the worker's memory stays within the bound (measured:
        # benchmarks/cache/memory.py, docs/benchmarks/cache.md).
        budget = config.search_cache_max_bytes
        replay_bytes = budget // 8
        self.store = LocalStore(max_bytes=budget - replay_bytes - budget // 16, ttl=config.search_cache_ttl)
        self.replays = ReplayBook(max_bytes=replay_bytes, ttl=config.search_cache_ttl)
        self.shared = SharedStore(config.search_cache_url) if config.search_cache_url else None
        self.generation = IndexGeneration(on_change=self.store.clear)
        self._flights: SingleFlight[tuple[Entry, Served]] = SingleFlight()
        self._served_by = {served: CACHE_REQUESTS.labels(served.value) for served in Served}

    async def current_generation(self, client: AsyncElasticsearch, index: str) -> str | None:
        """The index generation (generation.py); None when unknown: the answer is then neither looked up nor kept
        (identical searches in flight still share one). A new one retires this worker's answers (the shared
        cache's are keyed by it, and expire)."""
        return await self.generation.current(client, index)

    def cached(self, key: bytes) -> Entry | None:
        """This worker's entry for `key`, counted as a hit; None (uncounted) when it has none."""
        entry = self.store.get(key)
        if entry is not None:
            self.count_hit()
        return entry

    def count_hit(self) -> None:
        self._served_by[Served.HIT].inc()

    async def answer(
        self, search: bytes, stored: bytes | None, make: Callable[[], Awaitable[Answer]]
    ) -> tuple[Entry, Served]:
        """The answer to the search `search` (key.py): kept under `stored`, or made once for every identical search
        in flight. Without a `stored` key (no known generation) it is only shared in flight: neither looked up nor
        kept."""
        entry = None if stored is None else self.cached(stored)
        if entry is not None:
            return entry, Served.HIT
        fill = partial(self._make_only, make) if stored is None else partial(self._fill, stored, make)
        (entry, served), leads = await self._flights.run(search, fill)
        served = served if leads else Served.COALESCED
        self._served_by[served].inc()
        return entry, served

    async def _make_only(self, make: Callable[[], Awaitable[Answer]]) -> tuple[Entry, Served]:
        return entry_for(await make(), expires_at=time.time()), Served.BYPASS

    async def _fill(self, key: bytes, make: Callable[[], Awaitable[Answer]]) -> tuple[Entry, Served]:
        if self.shared is not None and (entry := await self.shared.get(key)) is not None:
            self.store.put(key, entry)
            return entry, Served.SHARED
        answer = await make()
        if answer.keep:
            answer = replace(answer, body=compact(answer.body))
        entry = entry_for(answer, expires_at=time.time() + self.ttl)
        if answer.keep:
            self.store.put(key, entry)
            if self.shared is not None:
                self.shared.put(key, entry)
        return entry, Served.MISS

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()


# The worker's cache for a configuration; made anew when the configuration object or the event loop changes.
answer_cache_for: PerConfigAndLoop[AnswerCache] = PerConfigAndLoop(AnswerCache)


async def close_answer_cache() -> None:
    """Close the shared cache's Redis connections (ASGI shutdown)."""
    if (cache := answer_cache_for.current) is not None:
        await cache.close()
