"""What the cache keeps of an answer, and the HTTP validators made from it. Pure."""

import hashlib
import math
from dataclasses import dataclass

# Per entry, besides the answer's bytes and its key: the Entry, the key's and the body's object headers, and the
# cache's own link and dictionary slot (measured with tracemalloc, rounded up), so that the byte bound holds for
# the worker's memory, not only for the JSON.
ENTRY_OVERHEAD_BYTES = 700


@dataclass(frozen=True, slots=True)
class Answer:
    """A first page's answer as the view made it: its JSON, what it found, and whether it may be kept (not when it
    is less than the full answer: a pass skipped for want of room, a search that timed out)."""

    body: bytes
    total_hits: int
    took_ms: int | None
    keep: bool = True


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes
    etag: str  # strong: the same bytes, the same tag, in every worker
    total_hits: int
    took_ms: int | None
    expires_at: float  # time.time(): comparable across the fleet's workers (the shared cache)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.etag) + ENTRY_OVERHEAD_BYTES

    def max_age(self, now: float) -> int:
        """Whole seconds left, never more than are: what a browser or a proxy may keep it for."""
        return max(0, math.floor(self.expires_at - now))


def entry_for(answer: Answer, *, expires_at: float) -> Entry:
    return Entry(
        body=answer.body,
        etag=etag_of(answer.body),
        total_hits=answer.total_hits,
        took_ms=answer.took_ms,
        expires_at=expires_at,
    )


def compact(body: bytes) -> bytes:
    """`body` in an allocation of its own size, to be kept. orjson writes into a buffer it grows by doubling and
    returns it whole: a 7 KB answer held 16 KB, so that a worker's cache held about twice what it counted."""
    return bytes(memoryview(body))


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def matches_etag(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's If-None-Match: `*`, or any listed tag equal to ours by the weak comparison (W/ ignored)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def cache_control(max_age: int, *, private: bool) -> str:
    """Anonymous answers are the same for everyone: any cache may keep them. One asked for with a key may be kept by
    the caller's own browser only."""
    return f"private, max-age={max_age}" if private else f"max-age={max_age}"
