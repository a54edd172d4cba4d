"""The worker's memory of verified tenant tokens (tenants/verify.py): what it serves without a signature check, and
when it checks again. No server."""

import pytest

from search_service.keys.format import generate_key
from search_service.keys.store import ParentKey, VerifiedKey
from search_service.tenants import verify
from search_service.tenants.token import TokenExpired, TokenInvalid, TokenRules, make_token, read_token
from search_service.tenants.verify import VerifiedTokens, tenant_key

NOW = 1_800_000_000.0
RULES = TokenRules(filter_fields=["customer"], max_filters=4, max_ttl=86_400, max_page_size=100)
KEY = generate_key()
PARENT = ParentKey(VerifiedKey(7, KEY.prefix, frozenset({"search", "admin"}), "50/second"), KEY.key_hash)


def token(ttl: int = 600, customer: str = "acme") -> str:
    return make_token(KEY.key, filters=[f"customer:{customer}"], ttl=ttl, rules=RULES, now=NOW)


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Every signature check made."""
    made: list[str] = []
    original = read_token

    def counted(token, parent_hash, rules, *, now=None):
        made.append(token)
        return original(token, parent_hash, rules, now=now)

    monkeypatch.setattr(verify, "read_token", counted)
    return made


def test_a_token_is_checked_once_then_remembered(reads: list[str]) -> None:
    tokens = VerifiedTokens(RULES)
    made = token()
    assert not tokens.known(made, PARENT)
    first = tokens.claims(made, PARENT, now=NOW)
    again = tokens.claims(made, PARENT, now=NOW + 1)
    assert first == again
    assert first.filters == ("customer:acme",)
    assert reads == [made]
    assert tokens.known(made, PARENT)
    assert tokens.parent_of(made) == KEY.prefix


def test_a_remembered_token_still_expires(reads: list[str]) -> None:
    tokens = VerifiedTokens(RULES)
    made = token(ttl=60)
    tokens.claims(made, PARENT, now=NOW)
    with pytest.raises(TokenExpired):
        tokens.claims(made, PARENT, now=NOW + 60)


def test_a_remembered_token_is_checked_again_against_another_parent_hash(reads: list[str]) -> None:
    tokens = VerifiedTokens(RULES)
    made = token()
    tokens.claims(made, PARENT, now=NOW)
    other = ParentKey(PARENT.key, generate_key().key_hash)
    assert not tokens.known(made, other)
    with pytest.raises(TokenInvalid):
        tokens.claims(made, other, now=NOW)
    assert reads == [made, made]


def test_a_refused_token_is_not_remembered(reads: list[str]) -> None:
    tokens = VerifiedTokens(RULES)
    bad = token()[:-2] + "xx"
    for _ in range(2):
        with pytest.raises(TokenInvalid):
            tokens.claims(bad, PARENT, now=NOW)
    assert reads == [bad, bad]
    assert tokens.parent_of("not a token") is None


def test_past_its_capacity_the_expired_go_first(reads: list[str]) -> None:
    tokens = VerifiedTokens(RULES, capacity=3)
    short, long = token(ttl=10, customer="a"), token(ttl=600, customer="b")
    tokens.claims(short, PARENT, now=NOW)
    tokens.claims(long, PARENT, now=NOW)
    tokens.claims(token(customer="c"), PARENT, now=NOW)
    tokens.claims(token(customer="d"), PARENT, now=NOW + 20)  # full: `short` has expired and goes
    assert not tokens.known(short, PARENT)
    assert tokens.known(long, PARENT)


def test_a_tokens_key_may_only_search_whatever_its_parent_may() -> None:
    key = tenant_key(PARENT, VerifiedTokens(RULES).claims(token(), PARENT, now=NOW))
    assert key.scopes == frozenset({"search"})
    assert (key.id, key.prefix, key.rate_limit) == (7, KEY.prefix, "50/second")
    assert key.tenant is not None
    assert key.tenant.label == "customer:acme"
