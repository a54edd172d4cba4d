"""The replays' book (replay.py): for a request the whole stack answered from the answer cache, which answer it was
and the response's headers, to answer the same request again before Django."""

from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache

# The path replays are made for, and where the view leaves the key and generation of the answer it served from or
# into the cache (endpoints/search.py), for the ASGI handler to remember.
REPLAY_PATH = "/search"
ANSWERED_FROM = "search_service.answered_from"
# Per replay, besides its bytes: the objects, the cache's link and dictionary slot.
REPLAY_OVERHEAD_BYTES = 400
HEADER_OVERHEAD_BYTES = 120  # a (name, value) tuple of two bytes objects: measured with tracemalloc (memory.py)
ROW_OVERHEAD_BYTES = 1200  # a dict of 14 fields and their values

Request = tuple[bytes, bytes | None, bytes | None]  # query string, Host, Origin


@dataclass(frozen=True, slots=True)
class Replay:
    key: bytes  # the answer's, in the store
    generation: str  # the index generation it was made under
    headers: tuple[tuple[bytes, bytes], ...]  # the response's, but those made per response
    row: dict[str, Any] | None  # its analytics row but for what each answer sets (analytics on)
    query_text: str | None  # `q` for the access line (SEARCH_ACCESS_LOG_QUERY_TEXT)
    size: int  # what it and its request take, in bytes


def _size_of(replay: Replay) -> int:
    return replay.size


class ReplayBook:
    """Request -> Replay, least recently used out first, bounded by bytes, for as long as answers live."""

    def __init__(self, *, max_bytes: int, ttl: float) -> None:
        self._requests: TTLCache[Request, Replay] = TTLCache(
            maxsize=max(1, max_bytes), ttl=max(ttl, 1e-9), getsizeof=_size_of
        )

    def get(self, request: Request) -> Replay | None:
        return self._requests.get(request)

    def put(
        self,
        request: Request,
        *,
        key: bytes,
        generation: str,
        headers: tuple[tuple[bytes, bytes], ...],
        row: dict[str, Any] | None,
        query_text: str | None,
    ) -> None:
        held = sum(len(part) for part in request if part is not None) + len(key) + len(generation)
        held += sum(len(name) + len(value) + HEADER_OVERHEAD_BYTES for name, value in headers) + len(query_text or "")
        if row is not None:
            held += ROW_OVERHEAD_BYTES + len(row.get("query") or "") + sum(len(value) for value in row["filters"])
        size = held + REPLAY_OVERHEAD_BYTES
        if size <= self._requests.maxsize:
            self._requests[request] = Replay(key, generation, headers, row, query_text, size)
