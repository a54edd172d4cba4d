"""Each worker's cached answers: least recently used first out, bounded by bytes, each kept SEARCH_CACHE_TTL."""

import time

from cachetools import TTLCache

from search_service.answer_cache.entry import Entry
from search_service.metrics.series import CACHE_BYTES, CACHE_EVICTIONS


class _Cache(TTLCache[bytes, Entry]):
    """cachetools' TTL and LRU cache, counting what the byte bound pushes out (expired entries are not evictions)."""

    def popitem(self) -> tuple[bytes, Entry]:
        item = super().popitem()
        CACHE_EVICTIONS.inc()
        return item


KEY_BYTES = 16  # answer_key's digest


def _size_of(entry: Entry) -> int:
    return entry.size + KEY_BYTES


class LocalStore:
    def __init__(self, *, max_bytes: int, ttl: float) -> None:
        self._cache = _Cache(maxsize=max_bytes, ttl=ttl, getsizeof=_size_of)
        self._published = 0

    def get(self, key: bytes) -> Entry | None:
        entry = self._cache.get(key)
        if entry is None or entry.expires_at <= time.time():
            return None
        return entry

    def put(self, key: bytes, entry: Entry) -> None:
        if _size_of(entry) > self._cache.maxsize:
            return  # larger than the whole bound: never kept
        self._cache[key] = entry
        self._publish()

    def clear(self) -> None:
        self._cache.clear()
        self._publish()

    @property
    def bytes(self) -> int:
        return int(self._cache.currsize)

    def __len__(self) -> int:
        return len(self._cache)

    def _publish(self) -> None:
        size = int(self._cache.currsize)
        CACHE_BYTES.inc(size - self._published)  # inc, not set: the gauge sums the worker's stores (tests make several)
        self._published = size
