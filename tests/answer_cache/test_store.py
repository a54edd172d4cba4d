"""Each worker's store: least recently used out first, bounded by bytes, each entry for its time to live."""

import time

from search_service.answer_cache.entry import Answer, entry_for
from search_service.answer_cache.store import LocalStore
from search_service.metrics.series import CACHE_EVICTIONS


def entry(body: bytes, *, ttl: float = 60.0):
    return entry_for(Answer(body=body, total_hits=1, took_ms=1), expires_at=time.time() + ttl)


def evictions() -> float:
    return float(CACHE_EVICTIONS._value.get())


def test_the_least_recently_used_goes_first_when_the_bytes_run_out():
    one = entry(b"1" * 1000)
    store = LocalStore(max_bytes=3 * (one.size + 16), ttl=60)
    before = evictions()
    for key in (b"a", b"b", b"c"):
        store.put(key, entry(key * 1000))
    assert store.get(b"a") is not None  # a is now the most recently used
    store.put(b"d", entry(b"d" * 1000))

    assert store.get(b"b") is None
    assert [store.get(key) is not None for key in (b"a", b"c", b"d")] == [True, True, True]
    assert store.bytes <= 3 * (one.size + 16)
    assert evictions() - before == 1


def test_an_answer_larger_than_the_whole_bound_is_not_kept():
    store = LocalStore(max_bytes=1000, ttl=60)
    store.put(b"big", entry(b"x" * 2000))
    assert store.get(b"big") is None
    assert len(store) == 0


def test_an_entry_past_its_expiry_is_not_served():
    store = LocalStore(max_bytes=1_000_000, ttl=60)
    store.put(b"old", entry(b"{}", ttl=-1))
    store.put(b"new", entry(b"{}", ttl=60))
    assert store.get(b"old") is None
    assert store.get(b"new") is not None


def test_clear_empties_it():
    store = LocalStore(max_bytes=1_000_000, ttl=60)
    store.put(b"a", entry(b"{}"))
    store.clear()
    assert store.get(b"a") is None
    assert store.bytes == 0
