"""The `next` cursor: an opaque, signed token that continues a search where its page ended. Pure: no I/O.

It holds how many hits came before the page it leads to, and, once a search is being walked by cursor, the point
in time it reads (so that the walk sees one unchanging index) and the sort values of the last hit (`search_after`,
so that it can pass the 10,000-hit window `from` is limited to). It is signed with the service's secret key: a
caller cannot point it at another index or feed Elasticsearch values of its own; a changed byte is refused.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from django.core import signing

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


def write_cursor(cursor: Cursor, *, key: str) -> str:
    payload = {"d": cursor.digest, "o": cursor.offset, "p": cursor.pit_id, "a": cursor.search_after}
    return signing.dumps(payload, key=key, salt=CURSOR_SALT, compress=True)


def read_cursor(token: str, *, key: str, digest: str, max_age: int) -> Cursor:
    """The cursor in `token`; QueryRefused (400) if it was altered, has expired, or continues another search."""
    try:
        payload = signing.loads(token, key=key, salt=CURSOR_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise expired_cursor() from None
    except (signing.BadSignature, ValueError):  # ValueError: signed but undecodable, which only a bug makes
        raise QueryRefused(
            "invalid_cursor", "The cursor is not one this service issued; it may be cut or altered"
        ) from None
    cursor = _cursor(payload)
    if cursor.digest != digest:
        raise QueryRefused(
            "cursor_mismatch",
            "The cursor continues another search: send it with the same q, mode, filter, sort and rank",
        )
    return cursor


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
