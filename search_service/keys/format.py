"""What an API key looks like, how it is made and hashed, and where a request carries it. Pure.

A key is `ssk_<prefix>_<secret>`: `prefix` is 12 hex digits, stored in clear so that a key is found with one
index lookup and can be named in lists, logs and analytics; `secret` is 32 random bytes (256 bits, URL-safe
base64). With that much entropy a plain SHA-256 is the right hash: a slow password hash protects guessable
secrets, and would cost milliseconds on every cache miss for nothing.
"""

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from limits import parse_many

LABEL = "ssk_"  # "search service key": recognisable in a leaked file or a secret scanner's rules
PREFIX_LENGTH = 12
SECRET_BYTES = 32
SCOPES = ("search", "admin")  # search: /search, /suggest, /documents; admin: /analytics/*, /metrics
_KEY = re.compile(rf"^{LABEL}(?P<prefix>[0-9a-f]{{{PREFIX_LENGTH}}})_[A-Za-z0-9_-]{{43}}$")
_PREFIX = re.compile(rf"^(?:{LABEL})?(?P<prefix>[0-9a-f]{{{PREFIX_LENGTH}}})$")
# A tenant token (tenants/token.py) is a JWT: three base64url parts. Bounded before anything reads it.
MAX_TOKEN_LENGTH = 4_096
_JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
ALGOLIA_KEY_PARAMETER = "x-algolia-api-key"  # a query parameter on the InstantSearch paths
_ZERO_PERIOD = re.compile(r"/\s*0+\s*[A-Za-z]")
AUTHORIZATION_SCHEME = "apikey"  # `Authorization: ApiKey <key>`, compared case-insensitively as HTTP schemes are


@dataclass(frozen=True, slots=True)
class NewKey:
    key: str  # shown once, to whoever creates it; never stored
    prefix: str
    key_hash: str


def generate_key() -> NewKey:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    key = f"{LABEL}{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    return NewKey(key=key, prefix=prefix, key_hash=hash_key(key))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    """The prefix of a well-formed key; None for anything else, which then needs no database lookup."""
    found = _KEY.match(key)
    return found["prefix"] if found else None


def parse_prefix(text: str) -> str | None:
    """A prefix as a person types it: `ssk_0123456789ab` or `0123456789ab`."""
    found = _PREFIX.match(text.strip().lower())
    return found["prefix"] if found else None


def presented_key(headers: Mapping[str, str], query: Mapping[str, str] | None = None) -> str | None:
    """The key a request carries: `X-API-Key: <key>`, `X-Algolia-API-Key: <key>` (InstantSearch's clients), or
    `Authorization: ApiKey <key>`; in `query`, the `x-algolia-api-key` parameter those clients send from a browser
    (the InstantSearch paths only pass it). A tenant token goes wherever a key goes. None when there is none
    (another Authorization scheme, such as the analytics token's Bearer, is not a key)."""
    key = headers.get("X-API-Key")
    if key is not None:
        return key.strip()
    scheme, _, credential = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == AUTHORIZATION_SCHEME:
        return credential.strip()
    # Algolia's clients must be given a key: one that is not a key of ours (empty, `unused`) is a placeholder, no
    # key, so that a front end of a service without keys works; one that looks like ours is checked as any other.
    key = (headers.get("X-Algolia-API-Key") or (query or {}).get(ALGOLIA_KEY_PARAMETER) or "").strip()
    return key if key.startswith(LABEL) or looks_like_token(key) else None


def looks_like_token(credential: str) -> bool:
    """Whether a credential has a tenant token's shape (a JWT), rather than a key's."""
    return len(credential) <= MAX_TOKEN_LENGTH and bool(_JWT_SHAPE.match(credential))


def check_rate_limit(spec: str) -> str:
    """A key's own rate limit, as `limits` notation ('' for none); ValueError names what is wrong."""
    spec = spec.strip()
    if spec:
        try:
            parse_many(spec)
        except ValueError:
            raise ValueError(f"{spec!r} is not a rate limit such as '100/second;3000/minute'") from None
        if _ZERO_PERIOD.search(spec):  # `limits` reads `1/0second` as `1/second`: not what was written
            raise ValueError(f"{spec!r} has a period of 0; write '100/second;3000/minute'")
    return spec
