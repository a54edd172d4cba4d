"""The `next` cursor: an opaque, encrypted token that continues a search where its page ended. Pure: no I/O.

It holds how many hits came before the page it leads to, and, once a search is being walked by cursor, the point
in time it reads (so that the walk sees one unchanging index) and the sort values of the last hit (`search_after`,
so that it can pass the 10,000-hit window `from` is limited to). It is authenticated with the service's secret key:
a caller cannot point it at another index or feed Elasticsearch values of its own; a changed byte is refused.

It is encrypted too (Fernet: AES-128-CBC and HMAC-SHA256, from `cryptography`), not only signed: the sort values
of the last hit may be a field callers must not see (a rank or sort field left out of SEARCH_SOURCE_FIELDS), and a
signed token is only base64 that anyone can read (a hostile test read a hidden rank field's values out of it).
"""

import base64
import hashlib
import time
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken

from search_service.query.rules import QueryRefused

MAX_CURSOR_LENGTH = 8_192  # a point-in-time id grows with the shards it spans; ~100 bytes a shard
CURSOR_SALT = "search_service.cursor"


@dataclass(frozen=True)
class Cursor:
    digest: str  # which search it continues: search_digest() of that request
    offset: int  # hits before the page it leads to
    pit_id: str | None = None
    search_after: list[Any] | None = None


def search_digest(**request: Any) -> str:
    """A short fingerprint of what decides the order of hits (index, query, mode, filters, sort, ranking)."""
    return hashlib.sha256(orjson.dumps(request, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    """The cursor's own key, derived from the service's secret (which stays usable for nothing else)."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"{CURSOR_SALT}:{key}".encode()).digest()))


def write_cursor(cursor: Cursor, *, key: str) -> str:
    payload = {"d": cursor.digest, "o": cursor.offset, "p": cursor.pit_id, "a": cursor.search_after}
    # Compressed first: a point-in-time id repeats itself (~100 bytes a shard), and encrypted bytes do not shrink.
    return _fernet(key).encrypt(zlib.compress(orjson.dumps(payload))).decode("ascii")


def read_cursor(token: str, *, key: str, digest: str, max_age: int, tolerant_digest: str | None = None) -> Cursor:
    """The cursor in `token`; QueryRefused (400) if it was altered, has expired, or continues another search
    (`digest`'s, or the tolerant pass of it, `tolerant_digest`, endpoints/search.py)."""
    cursor = decode_cursor(token, key=key, max_age=max_age)
    if cursor.digest != digest and (tolerant_digest is None or cursor.digest != tolerant_digest):
        raise QueryRefused(
            "cursor_mismatch",
            "The cursor continues another search: send it with the same q, mode, typos, prefix, filter, sort and rank",
        )
    return cursor


def decode_cursor(token: str, *, key: str, max_age: int) -> Cursor:
    """The cursor in `token`, whatever search it continues; QueryRefused if it was altered or has expired."""
    fernet = _fernet(key)
    try:
        data = fernet.decrypt(token.encode("ascii"))
        payload = orjson.loads(zlib.decompress(data))
    except (InvalidToken, UnicodeEncodeError, zlib.error, orjson.JSONDecodeError):
        # Cut, altered, or made with another key; zlib and JSON errors only a bug could make once authenticated.
        raise QueryRefused(
            "invalid_cursor", "The cursor is not one this service issued; it may be cut or altered"
        ) from None
    if time.time() - fernet.extract_timestamp(token.encode("ascii")) > max_age:
        raise expired_cursor()
    return _cursor(payload)


def expired_cursor() -> QueryRefused:
    return QueryRefused(
        "cursor_expired", "The cursor has expired; run the search again from the first page for a new one"
    )


def _cursor(payload: Any) -> Cursor:
    if not isinstance(payload, dict):
        raise QueryRefused("invalid_cursor", "The cursor is malformed")
    digest, offset, pit_id, after = (payload.get(key) for key in ("d", "o", "p", "a"))
    if (
        not isinstance(digest, str)
        or not isinstance(offset, int)
        or offset < 0
        or not (pit_id is None or isinstance(pit_id, str))
        or not (after is None or isinstance(after, list))
    ):
        raise QueryRefused("invalid_cursor", "The cursor is malformed")
    return Cursor(digest=digest, offset=offset, pit_id=pit_id, search_after=after)
