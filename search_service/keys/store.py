"""Finding the key a request presents: in the worker's cache, else with one query in the database thread for key
lookups (database_threads.py), within API_KEY_LOOKUP_TIMEOUT.

What the database says of a prefix (the key with its SHA-256, or nothing: unknown or revoked) is cached for
API_KEY_CACHE_SECONDS: a request with a cached key costs a hash, a dictionary lookup and a constant-time compare, no
database query and no thread hop. The price is that a revocation takes effect within that time. A tenant token
(tenants/) finds its parent key by the prefix it names, in the same cache, so revoking the parent ends its tokens
within that time too. Concurrent requests with a prefix not in the cache share one query, so a burst of 1,000
costs one round trip, not 1,000.

When the database fails or does not answer in time, what the cache knew is served past its expiry (for up to
API_KEY_STALE_SECONDS), at once and with no wait while the database stays unavailable, and looked up again behind
the request; a key the cache does not know is refused with KeysUnavailable (503). So a stalled or lost database
stops no caller the worker has seen lately, and no request waits on it longer than the lookup timeout (issue 20).
"""

import asyncio
import hmac
import logging
import time
from dataclasses import dataclass

from search_service.credentials import KeysUnavailable
from search_service.database_health import DATABASE_HEALTH
from search_service.database_threads import KEY_LOOKUPS, DatabaseFailed
from search_service.keys.format import hash_key, key_prefix
from search_service.metrics.series import API_KEY_LOOKUPS
from search_service.models import ApiKey
from search_service.settings import ServiceSettings
from search_service.tenants.token import TenantClaims

logger = logging.getLogger(__name__)

# Entries kept per worker; past it the ones too old to serve even stale go, then the expired ones, and if none has
# expired, all of them. Unknown keys are cached too (a client retrying a wrong key costs one query per TTL), so a
# flood of random keys could fill it; each miss is charged to the caller's address rate limit first
# (middleware.py), which bounds that flood.
CACHE_CAPACITY = 10_000
# Lookups of different keys waiting for the database at once, past which an unknown key is refused at once: a
# stalled database must not let a flood of made-up keys pile up work (and memory) behind it. A burst of 1,000
# requests with 50 keys and no cache makes 50.
MAX_LOOKUPS_WAITING = 256


@dataclass(frozen=True, slots=True)
class VerifiedKey:
    """What a request needs to know of its key, with nothing secret in it (it may be logged). With `tenant`, the
    request came with a tenant token of this key (tenants/): its claims bind every search it makes."""

    id: int
    prefix: str
    scopes: frozenset[str]
    rate_limit: str | None  # `limits` notation; None: SEARCH_RATE_LIMIT; '': no limit
    tenant: TenantClaims | None = None


@dataclass(frozen=True, slots=True)
class ParentKey:
    """A key as its tenant tokens need it: the key, and its SHA-256, which signs them (tenants/token.py)."""

    key: VerifiedKey
    key_hash: str


class KeyStore:
    def __init__(self, *, ttl: float, lookup_timeout: float, stale_for: float, capacity: int = CACHE_CAPACITY) -> None:
        self.ttl = ttl
        self.lookup_timeout = lookup_timeout
        self.stale_for = stale_for
        self.capacity = capacity
        self._cache: dict[str, tuple[float, ParentKey | None]] = {}  # prefix -> (expiry, its key or None)
        self._lookups: dict[str, asyncio.Task[ParentKey | None]] = {}

    def cached(self, key: str) -> tuple[bool, VerifiedKey | None]:
        """(True, the key or None if unknown) when the cache answers without a query; (False, None) when it
        must be looked up."""
        prefix = key_prefix(key)
        entry = None if prefix is None else self._cache.get(prefix)
        if entry is not None and self._servable(entry[0], time.monotonic(), stale=not DATABASE_HEALTH.available):
            return True, _matching(entry[1], key)
        return False, None

    def cached_parent(self, prefix: str) -> tuple[bool, ParentKey | None]:
        """As cached(), for a tenant token's parent."""
        entry = self._cache.get(prefix)
        if entry is not None and self._servable(entry[0], time.monotonic(), stale=not DATABASE_HEALTH.available):
            return True, entry[1]
        return False, None

    async def find(self, key: str) -> VerifiedKey | None:
        """The key if it exists and is not revoked, else None. KeysUnavailable if the database cannot say in time
        and the cache does not know the key."""
        prefix = key_prefix(key)
        if prefix is None:
            return None  # not even the shape of a key: no query
        return _matching(await self.find_parent(prefix), key)

    async def find_parent(self, prefix: str) -> ParentKey | None:
        """The key whose prefix this is, with its hash, if it exists and is not revoked, else None (a tenant
        token's parent: tenants/). KeysUnavailable as find()."""
        entry = self._cache.get(prefix)
        now = time.monotonic()
        if entry is not None and entry[0] > now:
            return entry[1]
        stale = entry is not None and self._servable(entry[0], now, stale=True)
        if entry is not None and stale and not DATABASE_HEALTH.available:
            self._lookup(prefix)  # looked up again behind the request, to learn of a revocation
            API_KEY_LOOKUPS.labels("stale").inc()
            return entry[1]
        if not stale and len(self._lookups) >= MAX_LOOKUPS_WAITING and prefix not in self._lookups:
            API_KEY_LOOKUPS.labels("refused").inc()
            raise KeysUnavailable
        try:
            # Shielded: a caller that goes away must not cancel the lookup others wait for.
            return await asyncio.shield(self._lookup(prefix))
        except (TimeoutError, KeysUnavailable) as failed:
            if isinstance(failed, TimeoutError):
                API_KEY_LOOKUPS.labels("timed_out").inc()
                DATABASE_HEALTH.note_failure("key_lookup", "no answer within API_KEY_LOOKUP_TIMEOUT")
            if stale and entry is not None:
                API_KEY_LOOKUPS.labels("stale").inc()
                return entry[1]
            raise KeysUnavailable from None

    def _servable(self, expiry: float, now: float, *, stale: bool) -> bool:
        return expiry > now or (stale and expiry + self.stale_for > now)

    def _lookup(self, prefix: str) -> asyncio.Task[ParentKey | None]:
        """The lookup of this prefix in flight, started if there is none."""
        loop = asyncio.get_running_loop()
        lookup = self._lookups.get(prefix)
        if lookup is None or lookup.get_loop() is not loop:  # tests run one event loop per test
            lookup = loop.create_task(self._look_up(prefix))
            self._lookups[prefix] = lookup
            lookup.add_done_callback(lambda done: self._forget_lookup(prefix, done))
        return lookup

    def _forget_lookup(self, prefix: str, done: asyncio.Task[ParentKey | None]) -> None:
        if self._lookups.get(prefix) is done:
            del self._lookups[prefix]
        if not done.cancelled():
            done.exception()  # retrieved, even when every caller went away before it ended

    async def _look_up(self, prefix: str) -> ParentKey | None:
        """The database's answer. KeysUnavailable if the database fails, TimeoutError if it is stuck."""
        try:
            # TimeoutError once the thread has been on one query for the lookup timeout: the database is stuck.
            row = await KEY_LOOKUPS.run(lambda: _key_row(prefix), within=self.lookup_timeout)
        except DatabaseFailed as failed:
            API_KEY_LOOKUPS.labels("failed").inc()
            DATABASE_HEALTH.note_failure("key_lookup", failed.reason)
            raise KeysUnavailable from None
        DATABASE_HEALTH.note_success()
        found = ParentKey(verified_key(row), row.key_hash) if row is not None and row.revoked is None else None
        API_KEY_LOOKUPS.labels("unknown" if found is None else "found").inc()
        self._remember(prefix, found)
        return found

    def _remember(self, prefix: str, found: ParentKey | None) -> None:
        if self.ttl <= 0:
            return
        now = time.monotonic()
        if len(self._cache) >= self.capacity:
            self._cache = {known: entry for known, entry in self._cache.items() if entry[0] + self.stale_for > now}
        if len(self._cache) >= self.capacity:
            self._cache = {known: entry for known, entry in self._cache.items() if entry[0] > now}
        if len(self._cache) >= self.capacity:
            self._cache.clear()
        self._cache[prefix] = (now + self.ttl, found)


def _matching(parent: ParentKey | None, key: str) -> VerifiedKey | None:
    """The prefix only found the row; the whole key must match, compared in constant time."""
    if parent is None or not hmac.compare_digest(parent.key_hash, hash_key(key)):
        return None
    return parent.key


def _key_row(prefix: str) -> ApiKey | None:
    """In the key lookups' thread."""
    columns = ("id", "prefix", "key_hash", "scopes", "rate_limit", "revoked")
    return ApiKey.objects.only(*columns).filter(prefix=prefix).first()


def verified_key(row: ApiKey) -> VerifiedKey:
    return VerifiedKey(id=row.id, prefix=row.prefix, scopes=frozenset(row.scopes), rate_limit=row.rate_limit)


_current: tuple[ServiceSettings, KeyStore] | None = None


def key_store_for(config: ServiceSettings) -> KeyStore:
    """The worker's store for `config`; made anew when the configuration object changes (tests do that)."""
    global _current
    if _current is None or _current[0] is not config:
        _current = (
            config,
            KeyStore(
                ttl=config.api_key_cache_seconds,
                lookup_timeout=config.api_key_lookup_timeout,
                stale_for=config.api_key_stale_seconds,
            ),
        )
    return _current[1]
