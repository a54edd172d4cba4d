"""The replays' book and what the cache keeps of an answer: counted as held, and held no larger than counted."""

import asyncio
import gc
import tracemalloc

import orjson

from search_service.answer_cache import Answer, AnswerCache
from search_service.answer_cache.entry import ENTRY_OVERHEAD_BYTES
from search_service.answer_cache.replay_book import HEADER_SETS, REPLAY_OVERHEAD_BYTES, ReplayBook, RequestRow
from search_service.settings import ServiceSettings

HEADERS = ((b"content-type", b"application/json"), (b"vary", b"origin"), (b"x-frame-options", b"DENY"))


def put(book: ReplayBook, query: bytes, headers=HEADERS, row=None) -> None:
    book.put((query, b"127.0.0.1:8000", None), key=b"k" * 16, generation="g", headers=headers, row=row, query_text="q")


def test_replays_with_the_same_headers_share_one_copy_of_them():
    book = ReplayBook(max_bytes=1 << 20, ttl=60)
    put(book, b"q=a", headers=tuple(HEADERS))
    put(book, b"q=b", headers=tuple(list(HEADERS)))  # equal, another object: as each response makes its own

    first, second = book.get((b"q=a", b"127.0.0.1:8000", None)), book.get((b"q=b", b"127.0.0.1:8000", None))
    assert first is not None
    assert second is not None
    assert first.headers is second.headers


def test_the_shared_header_sets_are_bounded_and_replays_keep_theirs():
    book = ReplayBook(max_bytes=1 << 22, ttl=60)
    for i in range(HEADER_SETS + 5):
        put(book, b"q=%d" % i, headers=((b"access-control-allow-origin", b"https://%d.example" % i),))
    assert len(book._header_sets) <= HEADER_SETS
    oldest = book.get((b"q=0", b"127.0.0.1:8000", None))
    assert oldest is not None
    assert oldest.headers == ((b"access-control-allow-origin", b"https://0.example"),)


def test_a_replay_counts_its_text_and_its_overhead():
    book = ReplayBook(max_bytes=1 << 20, ttl=60)
    row = RequestRow("json dumps", "query_string", ("language:python",), 1)
    put(book, b"q=json+dumps", row=row)
    replay = book.get((b"q=json+dumps", b"127.0.0.1:8000", None))
    assert replay is not None
    text = len(b"q=json+dumps") + len(b"127.0.0.1:8000") + 16 + len("q") + len("language:python") + len("query_string")
    assert replay.size == text + len("json dumps") + REPLAY_OVERHEAD_BYTES


def test_a_kept_answer_is_held_in_no_more_memory_than_its_bytes():
    # orjson returns its whole growing buffer: a 7,000-byte answer in ~16 KB. Kept as it is, a cache counting
    # len(body) held about twice its bound.
    page = {"hits": [{"id": i, "text": "x" * 50} for i in range(100)]}
    cache = AnswerCache(ServiceSettings(search_cache_ttl=60))

    async def make() -> Answer:
        return Answer(body=orjson.dumps(page), total_hits=1, took_ms=1)

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        entry, _ = asyncio.run(cache.answer(b"s" * 16, b"k" * 16, make))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert entry.body == orjson.dumps(page)
    assert held < len(entry.body) + ENTRY_OVERHEAD_BYTES + 2_000  # the entry, its key, the store's slot; not 16 KB
