"""The key's shape, hash and where a request carries it: no database, no server."""

import re

import pytest

from search_service.keys.format import (
    check_rate_limit,
    generate_key,
    hash_key,
    key_prefix,
    parse_prefix,
    presented_key,
)


def test_a_new_key_is_its_prefix_and_256_random_bits_and_only_its_hash_is_kept():
    new = generate_key()
    assert re.fullmatch(r"ssk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", new.key)
    assert new.key.startswith(f"ssk_{new.prefix}_")
    assert new.key_hash == hash_key(new.key)
    assert re.fullmatch(r"[0-9a-f]{64}", new.key_hash)
    assert new.key not in new.key_hash
    assert generate_key().key != new.key


def test_only_a_well_formed_key_has_a_prefix():
    key = generate_key()
    assert key_prefix(key.key) == key.prefix
    for malformed in ["", "ssk_", key.key[:-1], key.key + "x", key.key.upper(), " " + key.key, "Bearer x"]:
        assert key_prefix(malformed) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-API-Key": "k1"}, "k1"),
        ({"X-API-Key": " k1 "}, "k1"),
        ({"Authorization": "ApiKey k2"}, "k2"),
        ({"Authorization": "apikey k2"}, "k2"),  # schemes are case-insensitive
        ({"X-API-Key": "k1", "Authorization": "ApiKey k2"}, "k1"),
        ({"Authorization": "Bearer analytics-token"}, None),  # the analytics token is not a key
        ({}, None),
    ],
)
def test_a_key_comes_from_x_api_key_or_authorization_apikey(headers, expected):
    assert presented_key(headers) == expected


def test_a_prefix_is_typed_with_or_without_the_label():
    assert parse_prefix("ssk_0123456789ab") == "0123456789ab"
    assert parse_prefix(" 0123456789AB ") == "0123456789ab"
    assert parse_prefix("0123") is None


def test_a_key_rate_limit_is_limits_notation_or_empty():
    assert check_rate_limit(" 5/second;100/minute ") == "5/second;100/minute"
    assert check_rate_limit("") == ""
    with pytest.raises(ValueError, match="not a rate limit"):
        check_rate_limit("fast")
    with pytest.raises(ValueError, match="period of 0"):  # `limits` would read it as 1/second
        check_rate_limit("1/0second")
