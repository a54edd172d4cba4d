"""The `next` cursor as a token: what it carries, how long it lasts, and every way a token is refused. No server.

tests/test_cursor.py walks real searches with it; here the token alone, down to tokens signed with the service's
own key whose contents are still wrong (only a bug, or a leaked key, could make one: they are refused all the same).
"""

import base64
import time
import zlib
from typing import Any

import orjson
import pytest

from search_service.query import cursor as cursor_module
from search_service.query.cursor import (
    MAX_CURSOR_LENGTH,
    Cursor,
    decode_cursor,
    expired_cursor,
    read_cursor,
    search_digest,
    write_cursor,
)
from search_service.query.rules import QueryRefused

KEY = "test-secret-key"
A_DAY = 86_400
# Written once by write_cursor with the key "golden-key": a cursor handed out before a deploy (or by another
# worker) must read the same after it, so the key's derivation and the payload's layout cannot drift.
GOLDEN_TOKEN = (
    "gAAAAABrE1BI7ArMXQQoqs7g40caGvX_nA2Ajz4Qq_rGIHYD5bNR8d7Ngz4R53Ep63CVOYfhARxd_9J2RYQ4wH0zWmAWBTuCee4QON6a3dKA6JPJ6"
    "KkVABfT3gfTmqwWYvRPe52p9Fkr7gX4_Lezhh0mnrzVxxFp5PLlRA7R9jICQUDUuPUwpJk="
)
GOLDEN_CURSOR = Cursor(digest="0123456789abcdef01234567", offset=40, pit_id="pit-1", search_after=[2.5, "x", None])
NOT_ISSUED = "The cursor is not one this service issued; it may be cut or altered"
MALFORMED = "The cursor is malformed"


def refusal(token: str, *, key: str = KEY, max_age: int = A_DAY) -> QueryRefused:
    with pytest.raises(QueryRefused) as raised:
        decode_cursor(token, key=key, max_age=max_age)
    return raised.value


def signed(content: bytes, key: str = KEY) -> str:
    """A token with the service's own key around `content`, as write_cursor would encrypt it."""
    return cursor_module._fernet(key).encrypt(content).decode("ascii")


def signed_payload(payload: Any) -> str:
    return signed(zlib.compress(orjson.dumps(payload)))


def test_a_token_issued_before_reads_the_same():
    assert decode_cursor(GOLDEN_TOKEN, key="golden-key", max_age=10**10) == GOLDEN_CURSOR


def test_a_token_is_encrypted_not_only_signed():
    token = write_cursor(Cursor(digest="d", offset=3, search_after=["hidden-rank-value"]), key=KEY)

    assert b"hidden-rank-value" not in base64.urlsafe_b64decode(token)


@pytest.mark.parametrize(
    "cursor",
    [
        Cursor(digest="abc", offset=0),
        Cursor(digest="abc", offset=20, pit_id="pit==", search_after=[1.25, "x", None, 2**62]),
        Cursor(digest="", offset=10_000, pit_id=None, search_after=[]),
    ],
)
def test_a_cursor_round_trips(cursor):
    assert read_cursor(write_cursor(cursor, key=KEY), key=KEY, digest=cursor.digest, max_age=60) == cursor


def test_a_wide_point_in_time_still_fits_in_the_parameters_limit():
    # ~100 bytes a shard, alike from shard to shard: compressed, 60 shards' id fits with room to spare.
    pit_id = "".join(f"shard-{number:03d}-" + "A" * 90 for number in range(60))
    token = write_cursor(Cursor(digest="d", offset=0, pit_id=pit_id), key=KEY)

    assert len(pit_id) > MAX_CURSOR_LENGTH // 2
    assert len(token) < len(pit_id) // 2
    assert decode_cursor(token, key=KEY, max_age=60).pit_id == pit_id


def test_the_digest_is_a_short_fingerprint_of_the_request_in_any_order():
    digest = search_digest(index="docs", q="json", sort=["-score"])

    assert digest == "934d6ee2e80ac42c13f0d2c4"
    assert search_digest(sort=["-score"], q="json", index="docs") == digest
    assert search_digest(index="docs", q="json", sort=["score"]) != digest


def test_a_cursor_for_another_search_is_refused():
    token = write_cursor(Cursor(digest="abc", offset=10), key=KEY)

    with pytest.raises(QueryRefused) as raised:
        read_cursor(token, key=KEY, digest="another-search", max_age=60)
    assert raised.value.code == "cursor_mismatch"
    assert raised.value.detail == (
        "The cursor continues another search: send it with the same q, mode, typos, prefix, filter, sort and rank"
    )


@pytest.mark.parametrize(("age", "refused"), [(0, False), (A_DAY, False), (A_DAY + 1, True)])
def test_a_cursor_lasts_max_age_seconds_and_not_one_more(monkeypatch, age, refused):
    token = write_cursor(Cursor(digest="abc", offset=10), key=KEY)
    issued = cursor_module._fernet(KEY).extract_timestamp(token.encode("ascii"))
    monkeypatch.setattr(time, "time", lambda: issued + age)

    if refused:
        assert refusal(token).code == "cursor_expired"
    else:
        assert decode_cursor(token, key=KEY, max_age=A_DAY).offset == 10


def test_an_expired_cursor_says_what_to_do():
    expired = expired_cursor()

    assert (expired.code, expired.detail) == (
        "cursor_expired",
        "The cursor has expired; run the search again from the first page for a new one",
    )


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "",
        "gAAAAA€",  # not ASCII: no token of ours
        GOLDEN_TOKEN[:-8],  # cut
        GOLDEN_TOKEN[:40] + ("A" if GOLDEN_TOKEN[40] != "A" else "B") + GOLDEN_TOKEN[41:],  # one character changed
    ],
)
def test_a_token_not_issued_here_is_refused(token):
    refused = refusal(token, key="golden-key", max_age=10**10)

    assert (refused.code, refused.detail) == ("invalid_cursor", NOT_ISSUED)


def test_a_token_made_with_another_key_is_refused():
    token = write_cursor(Cursor(digest="abc", offset=10), key="other-key")

    assert (refusal(token).code, refusal(token).detail) == ("invalid_cursor", NOT_ISSUED)


@pytest.mark.parametrize(
    "content",
    [
        b"not compressed",
        zlib.compress(b"{not json"),
        zlib.compress(b"\xff\xfe"),
    ],
)
def test_a_signed_token_that_does_not_hold_a_cursor_is_refused(content):
    refused = refusal(signed(content))

    assert (refused.code, refused.detail) == ("invalid_cursor", NOT_ISSUED)


@pytest.mark.parametrize(
    "payload",
    [
        ["abc", 10, None, None],  # not an object
        "abc",
        None,
        {"o": 10},  # no digest
        {"d": 7, "o": 10},
        {"d": "abc"},  # no offset
        {"d": "abc", "o": "10"},
        {"d": "abc", "o": 1.5},
        {"d": "abc", "o": -1},  # before the first hit
        {"d": "abc", "o": 10, "p": 5},  # a point in time is an id
        {"d": "abc", "o": 10, "p": ["pit"]},
        {"d": "abc", "o": 10, "a": "1.5"},  # search_after is a list of sort values
        {"d": "abc", "o": 10, "a": {"0": 1}},
    ],
)
def test_a_signed_but_malformed_cursor_is_refused(payload):
    refused = refusal(signed_payload(payload))

    assert (refused.code, refused.detail) == ("invalid_cursor", MALFORMED)


@pytest.mark.parametrize(
    ("payload", "cursor"),
    [
        ({"d": "abc", "o": 0}, Cursor(digest="abc", offset=0)),  # the first page: nothing before it
        ({"d": "abc", "o": 5, "p": None, "a": None}, Cursor(digest="abc", offset=5)),
        ({"d": "abc", "o": 5, "p": "pit", "a": [1, "x"]}, Cursor("abc", 5, "pit", [1, "x"])),
    ],
)
def test_a_well_formed_payload_is_read_field_by_field(payload, cursor):
    assert decode_cursor(signed_payload(payload), key=KEY, max_age=60) == cursor
