"""Tenant tokens as requests present them: read against their parent key (found through keys/store.py, so that a
revoked parent ends its tokens within API_KEY_CACHE_SECONDS) and remembered, so that a token seen before costs a
dictionary lookup and a clock read rather than a signature check (~80 µs, a tenth of a search's CPU).

A remembered token is served only while its parent's hash is the one it was verified with and its `exp` is ahead;
tokens that fail are not remembered (each costs a check, and is charged to the caller's address first: the rate
limit middleware does that for any credential the cache does not know).
"""

import time

from search_service.keys.store import ParentKey, VerifiedKey
from search_service.per_worker import PerConfigAndLoop
from search_service.settings import ServiceSettings
from search_service.tenants.token import TenantClaims, TokenExpired, TokenRules, read_token, token_parent

# Tokens remembered per worker; past it the expired ones go, and if none has, all of them (a flood of valid
# tokens costs a check each, as before they were remembered).
CAPACITY = 10_000
TOKEN_SCOPES = frozenset({"search"})  # what a token may do, whatever its parent may: never `admin`


def token_rules(config: ServiceSettings) -> TokenRules:
    return TokenRules(
        filter_fields=config.search_filter_fields,
        max_filters=config.search_max_filters,
        max_ttl=config.tenant_token_max_ttl,
        max_page_size=config.search_max_size,
    )


class VerifiedTokens:
    def __init__(self, rules: TokenRules, capacity: int = CAPACITY) -> None:
        self.rules = rules
        self.capacity = capacity
        self._known: dict[str, tuple[str, TenantClaims]] = {}  # token -> (the parent's hash it was read with, claims)

    def parent_of(self, token: str) -> str | None:
        """The prefix of the parent key a token names (None: not a token): from its claims if it was read before,
        since decoding its header again costs ~15 µs, most of what a remembered token costs otherwise."""
        found = self._known.get(token)
        return found[1].parent_prefix if found is not None else token_parent(token)

    def known(self, token: str, parent: ParentKey) -> bool:
        """Whether the token would be served without a signature check (for the rate limit's accounting)."""
        found = self._known.get(token)
        return found is not None and found[0] == parent.key_hash

    def claims(self, token: str, parent: ParentKey, *, now: float | None = None) -> TenantClaims:
        """The token's claims; TokenExpired or TokenInvalid (tenants/token.py) as read_token."""
        at = time.time() if now is None else now
        found = self._known.get(token)
        if found is not None and found[0] == parent.key_hash:
            if found[1].expires_at <= at:
                raise TokenExpired("the tenant token has expired")
            return found[1]
        claims = read_token(token, parent.key_hash, self.rules, now=at)
        if len(self._known) >= self.capacity:
            self._known = {known: entry for known, entry in self._known.items() if entry[1].expires_at > at}
        if len(self._known) >= self.capacity:
            self._known.clear()
        self._known[token] = (parent.key_hash, claims)
        return claims


def tenant_key(parent: ParentKey, claims: TenantClaims) -> VerifiedKey:
    """The request's key when it came with a token: the parent's identity and rate limit, searches only, bound
    to the token's claims."""
    key = parent.key
    return VerifiedKey(
        id=key.id, prefix=key.prefix, scopes=key.scopes & TOKEN_SCOPES, rate_limit=key.rate_limit, tenant=claims
    )


verified_tokens_for = PerConfigAndLoop(lambda config: VerifiedTokens(token_rules(config)))
