"""Tenant tokens (issue 24): a search key's holder hands each of its customers' users a token that searches only
what the token's filters allow, made offline, without a call to the service. Pure: no I/O, no Django.

A token is a JWT (RFC 7519) signed with HS256, so that any language's JWT library makes one:

- header: `{"alg": "HS256", "typ": "JWT", "kid": "<the parent key's prefix>"}`
- claims: `filter` (the service's filters, `field:value` or `field:low..high`, on SEARCH_FILTER_FIELDS; ANDed into
  every search made with the token), `exp` (required; at most TENANT_TOKEN_MAX_TTL ahead), and optionally
  `max_size` (a page's largest size), `rate_limit` (`limits` notation, on top of the parent key's) and `tenant`
  (a label for the logs and analytics; the filters when absent).

The signing key is the SHA-256 of the parent API key: what the service stores of a key, so that it verifies a token
without the key in clear, and what its holder computes in one line. The price: whoever reads the service's database
can make tokens (never use a key: the hash does not authenticate as one); revoking the parent ends them all.
"""

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt
import orjson

from search_service.keys.format import PREFIX_LENGTH, check_rate_limit, key_prefix, looks_like_token
from search_service.query.filters import parse_filter

ALGORITHM = "HS256"
MAX_LABEL_LENGTH = 64
LATEST_EXPIRY = 2**53  # seconds since the epoch: beyond it, not a time (and not exact as a float)
_PREFIX = re.compile(rf"^[0-9a-f]{{{PREFIX_LENGTH}}}$")
_CLAIMS = frozenset({"filter", "exp", "max_size", "rate_limit", "tenant", "iat"})


class TokenInvalid(ValueError):
    """Not a token this service made possible: malformed, altered, signed with another key, or asking too much."""


class TokenExpired(TokenInvalid):
    pass


@dataclass(frozen=True, slots=True)
class TenantClaims:
    parent_prefix: str
    filters: tuple[str, ...]  # as written in the token, each checked by parse_filter
    expires_at: int  # seconds since the epoch
    max_size: int | None
    rate_limit: str | None
    label: str


@dataclass(frozen=True, slots=True)
class TokenRules:
    """What the service's settings allow a token to carry."""

    filter_fields: Sequence[str]
    max_filters: int
    max_ttl: float  # seconds
    max_page_size: int


def signing_key(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode()).digest()


def make_token(
    api_key: str,
    *,
    filters: Sequence[str],
    ttl: float,
    rules: TokenRules,
    now: float | None = None,
    max_size: int | None = None,
    rate_limit: str | None = None,
    label: str | None = None,
) -> str:
    """A token of `api_key` (which is not looked up: whether it exists and has the `search` scope is the service's
    to say when the token is used). ValueError says what the rules refuse."""
    prefix = key_prefix(api_key)
    if prefix is None:
        raise ValueError("the parent must be an API key of this service (ssk_...)")
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"filter": list(filters), "exp": issued + int(ttl), "iat": issued}
    if max_size is not None:
        claims["max_size"] = max_size
    if rate_limit is not None:
        claims["rate_limit"] = rate_limit
    if label is not None:
        claims["tenant"] = label
    _checked(claims, prefix, rules, now=issued)  # a token the service would refuse is not made
    return jwt.encode(claims, signing_key(api_key), algorithm=ALGORITHM, headers={"kid": prefix})


def token_parent(token: str) -> str | None:
    """The parent key's prefix a token names (unverified: what to look up); None for anything else."""
    if not looks_like_token(token):
        return None
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return None
    kid = header.get("kid")
    return kid if isinstance(kid, str) and _PREFIX.match(kid) else None


def read_token(token: str, parent_hash: str, rules: TokenRules, *, now: float | None = None) -> TenantClaims:
    """The claims of a token signed with the key whose SHA-256 (hex, as stored) is `parent_hash`. TokenExpired past
    its `exp`; TokenInvalid for any other fault, in words fit for the caller."""
    prefix = token_parent(token)
    if prefix is None:
        raise TokenInvalid("not a tenant token")
    at = time.time() if now is None else now
    try:
        claims = jwt.decode(
            token,
            bytes.fromhex(parent_hash),
            algorithms=[ALGORITHM],
            options={"require": ["exp"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise TokenInvalid("the tenant token's signature does not match its parent key") from None
    return _checked(claims, prefix, rules, now=at)


def _checked(claims: dict[str, Any], prefix: str, rules: TokenRules, *, now: float) -> TenantClaims:
    unknown = set(claims) - _CLAIMS
    if unknown:
        raise TokenInvalid(f"unknown claims: {', '.join(sorted(unknown))[:120]}")
    expires = claims.get("exp")
    # Bounded before any arithmetic: an integer past a float's range (10**400) made the comparison below raise.
    if not isinstance(expires, int) or isinstance(expires, bool) or not 0 < expires < LATEST_EXPIRY:
        raise TokenInvalid("`exp` must be a whole number of seconds since the epoch")
    if expires <= now:
        raise TokenExpired("the tenant token has expired")
    if expires - now > rules.max_ttl:
        raise TokenInvalid(f"`exp` is more than TENANT_TOKEN_MAX_TTL ({rules.max_ttl:g} s) ahead")
    filters = claims.get("filter")
    if not isinstance(filters, list) or not filters or not all(isinstance(item, str) for item in filters):
        raise TokenInvalid('`filter` must be a list of one or more filters, such as ["customer:acme"]')
    if len(filters) > rules.max_filters:
        raise TokenInvalid(f"at most {rules.max_filters} filters, got {len(filters)}")
    for item in filters:
        try:
            parse_filter(item, rules.filter_fields)
        except ValueError as error:
            raise TokenInvalid(f"`filter`: {error}") from None
    max_size = claims.get("max_size")
    if max_size is not None and (
        not isinstance(max_size, int) or isinstance(max_size, bool) or not 1 <= max_size <= rules.max_page_size
    ):
        raise TokenInvalid(f"`max_size` must be a whole number from 1 to {rules.max_page_size}")
    rate_limit = claims.get("rate_limit")
    if rate_limit is not None:
        if not isinstance(rate_limit, str):
            raise TokenInvalid("`rate_limit` must be text such as '10/second'")
        try:
            rate_limit = check_rate_limit(rate_limit) or None
        except ValueError as error:
            raise TokenInvalid(f"`rate_limit`: {error}") from None
    label = claims.get("tenant")
    if label is not None and (not isinstance(label, str) or not 0 < len(label) <= MAX_LABEL_LENGTH):
        raise TokenInvalid(f"`tenant` must be a label of 1 to {MAX_LABEL_LENGTH} characters")
    written = tuple(filters)
    return TenantClaims(
        parent_prefix=prefix,
        filters=written,
        expires_at=expires,
        max_size=max_size,
        rate_limit=rate_limit,
        label=label if label is not None else default_label(written),
    )


def default_label(filters: Sequence[str]) -> str:
    """A token's label when it names none: its filters, or when they are too long for a label, their start and a
    digest of the whole, so that two tenants whose filters begin alike are never one label."""
    joined = ",".join(filters)
    if len(joined) <= MAX_LABEL_LENGTH:
        return joined
    digest = hashlib.blake2b(orjson.dumps(list(filters)), digest_size=8).hexdigest()
    return f"{joined[: MAX_LABEL_LENGTH - len(digest) - 1]}~{digest}"
