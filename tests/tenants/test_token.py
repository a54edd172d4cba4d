"""Tenant tokens as made and read: what they carry, and every way one is refused. No server."""

import base64
import json
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from search_service.keys.format import MAX_TOKEN_LENGTH, generate_key, hash_key
from search_service.tenants.token import (
    TokenExpired,
    TokenInvalid,
    TokenRules,
    make_token,
    read_token,
    signing_key,
    token_parent,
)

NOW = 1_800_000_000.0
RULES = TokenRules(filter_fields=["customer", "year"], max_filters=4, max_ttl=86_400, max_page_size=100)
PARENT = generate_key()


def token(**overrides: Any) -> str:
    arguments: dict[str, Any] = {"filters": ["customer:acme"], "ttl": 3_600, "rules": RULES, "now": NOW} | overrides
    return make_token(PARENT.key, **arguments)


def read(text: str, *, parent_hash: str = PARENT.key_hash, now: float = NOW + 1):
    return read_token(text, parent_hash, RULES, now=now)


def segments(text: str) -> list[bytes]:
    return [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in text.split(".")]


def joined(parts: list[bytes]) -> str:
    return ".".join(base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in parts)


def test_a_token_carries_its_filters_expiry_limits_and_parent():
    claims = read(token(max_size=20, rate_limit="5/second", label="acme"))
    assert claims.parent_prefix == PARENT.prefix
    assert claims.filters == ("customer:acme",)
    assert claims.expires_at == int(NOW) + 3_600
    assert (claims.max_size, claims.rate_limit, claims.label) == (20, "5/second", "acme")


def test_without_a_label_the_filters_name_the_tenant():
    assert read(token(filters=["customer:acme", "year:2020..2024"])).label == "customer:acme,year:2020..2024"
    # Too long for a label: two tenants whose filters begin alike still get two labels (and two rate limits).
    start = "customer:" + "x" * 60
    first, second = read(token(filters=[start + "a"])).label, read(token(filters=[start + "b"])).label
    assert first != second
    assert len(first) == len(second) == 64


def test_an_expiry_past_any_time_is_refused_not_a_crash():
    forged = jwt.encode(
        {"filter": ["customer:acme"], "exp": 10**400}, signing_key(PARENT.key), headers={"kid": PARENT.prefix}
    )
    with pytest.raises(TokenInvalid, match="exp"):
        read_token(forged, PARENT.key_hash, RULES, now=NOW)


def test_it_is_a_plain_hs256_jwt_any_library_makes():
    made_elsewhere = jwt.encode(
        {"filter": ["customer:acme"], "exp": int(NOW) + 60},
        signing_key(PARENT.key),
        algorithm="HS256",
        headers={"kid": PARENT.prefix},
    )
    assert read(made_elsewhere).filters == ("customer:acme",)
    assert signing_key(PARENT.key) == bytes.fromhex(hash_key(PARENT.key))  # what the service stores


def test_an_expired_token_is_refused_as_expired():
    text = token(ttl=60)
    assert read(text, now=NOW + 59).filters == ("customer:acme",)
    with pytest.raises(TokenExpired):
        read(text, now=NOW + 60)


def test_another_keys_signature_is_refused():
    with pytest.raises(TokenInvalid):
        read(token(), parent_hash=generate_key().key_hash)


def test_every_byte_of_the_payload_and_the_signature_matters():
    header, payload, signature = segments(token())
    for part, body in ((1, payload), (2, signature)):
        for i in range(len(body)):
            altered = bytearray(body)
            altered[i] ^= 0x01
            parts = [header, payload, signature]
            parts[part] = bytes(altered)
            with pytest.raises(TokenInvalid):
                read(joined(parts))


def test_a_payload_rewritten_to_widen_it_is_refused():
    header, payload, signature = segments(token())
    widened = json.loads(payload) | {"filter": ["customer:other"]}
    with pytest.raises(TokenInvalid):
        read(joined([header, json.dumps(widened).encode(), signature]))


def test_an_unsigned_token_is_refused():
    unsigned = jwt.encode({"filter": ["customer:acme"], "exp": int(NOW) + 60}, "", algorithm="none")
    header, payload, _ = segments(unsigned)
    with_kid = json.dumps(json.loads(header) | {"kid": PARENT.prefix}).encode()
    assert token_parent(joined([with_kid, payload, b"x" * 32])) == PARENT.prefix  # it gets as far as the signature
    with pytest.raises(TokenInvalid, match="signature"):
        read(joined([with_kid, payload, b"x" * 32]))


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"ttl": 86_401}, "TENANT_TOKEN_MAX_TTL"),
        ({"filters": []}, "one or more"),
        ({"filters": ["secret:1"]}, "cannot filter on 'secret'"),
        ({"filters": ["customer"]}, "not field:value"),
        ({"filters": ["customer:a"] * 5}, "at most 4"),
        ({"max_size": 101}, "max_size"),
        ({"max_size": 0}, "max_size"),
        ({"rate_limit": "lots"}, "rate_limit"),
        ({"label": "x" * 65}, "tenant"),
    ],
)
def test_what_the_rules_refuse_is_not_made_and_not_read(overrides, says):
    with pytest.raises(ValueError, match=says):
        token(**overrides)
    claims = {"filter": ["customer:acme"], "exp": int(NOW) + 60}
    claims |= {"filter": overrides["filters"]} if "filters" in overrides else {}
    claims |= {"exp": int(NOW) + overrides["ttl"]} if "ttl" in overrides else {}
    claims |= {"max_size": overrides["max_size"]} if "max_size" in overrides else {}
    claims |= {"rate_limit": overrides["rate_limit"]} if "rate_limit" in overrides else {}
    claims |= {"tenant": overrides["label"]} if "label" in overrides else {}
    signed = jwt.encode(claims, signing_key(PARENT.key), algorithm="HS256", headers={"kid": PARENT.prefix})
    with pytest.raises(TokenInvalid, match=says):
        read(signed, now=NOW)


def test_unknown_claims_and_a_missing_expiry_are_refused():
    for claims in ({"filter": ["customer:acme"], "exp": int(NOW) + 60, "admin": True}, {"filter": ["customer:acme"]}):
        signed = jwt.encode(claims, signing_key(PARENT.key), algorithm="HS256", headers={"kid": PARENT.prefix})
        with pytest.raises(TokenInvalid):
            read(signed)


def test_the_parent_must_be_a_key_of_this_service():
    with pytest.raises(ValueError, match="ssk_"):
        make_token("not-a-key", filters=["customer:acme"], ttl=60, rules=RULES)


@given(st.text(max_size=200))
def test_anything_else_names_no_parent_and_is_refused(text):
    assert token_parent(text) is None or text.count(".") == 2
    with pytest.raises(TokenInvalid):
        read(text)


def test_an_oversized_token_is_not_decoded():
    assert token_parent("a" * MAX_TOKEN_LENGTH + ".b.c") is None
