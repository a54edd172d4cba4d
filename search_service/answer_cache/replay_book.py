"""The replays' book (replay.py): for a request the whole stack answered from the answer cache, which answer it was
and the response's headers, to answer the same request again before Django."""

from dataclasses import dataclass
from typing import NamedTuple

from cachetools import TTLCache

# The path replays are made for, and where the view leaves the key and generation of the answer it served from or
# into the cache (endpoints/search.py), for the ASGI handler to remember.
REPLAY_PATH = "/search"
ANSWERED_FROM = "search_service.answered_from"
# Per replay, besides the text it holds: its objects (the replay, the request's tuple and bytes, the key, the row's
# tuple), the cache's link and dictionary slots. Measured with tracemalloc (benchmarks/cache/memory.py --trace).
REPLAY_OVERHEAD_BYTES = 820
# Responses' header sets, each kept once and shared by every replay that sent it: most anonymous searches send the
# same headers, and a copy per replay made a replay ~3 KB, so that the book held the 2,500 most asked searches of a
# mix of 10,000 and the next 14% of the requests went the whole way through Django. The sets differ only by what
# the middleware decides per request (CORS for an allowed Origin): past this many, the table starts again.
HEADER_SETS = 64

Request = tuple[bytes, bytes | None, bytes | None]  # query string, Host, Origin
Headers = tuple[tuple[bytes, bytes], ...]


class RequestRow(NamedTuple):
    """What a replay's analytics row takes from its request (analytics/record.py's search_row); the rest of the row
    is the answer's (replay.py)."""

    query: str | None
    mode: str
    filters: tuple[str, ...]
    page: int | None


@dataclass(frozen=True, slots=True)
class Replay:
    key: bytes  # the answer's, in the store
    generation: str  # the index generation it was made under
    headers: Headers  # the response's, but those made per response; shared (HEADER_SETS)
    row: RequestRow | None  # analytics on
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
        self._header_sets: dict[Headers, Headers] = {}

    def get(self, request: Request) -> Replay | None:
        return self._requests.get(request)

    def put(
        self,
        request: Request,
        *,
        key: bytes,
        generation: str,
        headers: Headers,
        row: RequestRow | None,
        query_text: str | None,
    ) -> None:
        # The generation is the cache's own string, shared by every replay; the row's query is the text kept for
        # the access line, or a string of its own when the two differ.
        held = sum(len(part) for part in request if part is not None) + len(key) + len(query_text or "")
        if row is not None:
            held += sum(len(value) for value in row.filters) + len(row.mode)
            held += len(row.query or "") if row.query != query_text else 0
        size = held + REPLAY_OVERHEAD_BYTES
        if size <= self._requests.maxsize:
            self._requests[request] = Replay(key, generation, self._shared(headers), row, query_text, size)

    def _shared(self, headers: Headers) -> Headers:
        if (kept := self._header_sets.get(headers)) is not None:
            return kept
        if len(self._header_sets) >= HEADER_SETS:
            self._header_sets.clear()  # replays keep theirs; new ones share anew
        self._header_sets[headers] = headers
        return headers
