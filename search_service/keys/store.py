"""Finding the key a request presents: in the worker's cache, else with one query through the async ORM.

A verified key (or an unknown one) is cached for API_KEY_CACHE_SECONDS, by the key's SHA-256, which is also what
the database stores: a request with a cached key costs a hash and a dictionary lookup, no database query and no
thread hop. The price is that a revocation takes effect within that time. Concurrent requests with a key not in
the cache share one query, so a burst of 1,000 costs one round trip, not 1,000.
"""

import asyncio
import hmac
import logging
import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections

from search_service.credentials import KeysUnavailable
from search_service.keys.format import hash_key, key_prefix
from search_service.models import ApiKey
from search_service.settings import ServiceSettings

logger = logging.getLogger(__name__)

# Entries kept per worker; past it the expired ones go, and if none has expired, all of them. Unknown keys are
# cached too (a client retrying a wrong key costs one query per TTL), so a flood of random keys could fill it;
# each miss is charged to the caller's address rate limit first (middleware.py), which bounds that flood.
CACHE_CAPACITY = 10_000


@dataclass(frozen=True, slots=True)
class VerifiedKey:
    """What a request needs to know of its key, with nothing secret in it (it may be logged)."""

    id: int
    prefix: str
    scopes: frozenset[str]
    rate_limit: str | None  # `limits` notation; None: SEARCH_RATE_LIMIT; '': no limit


class KeyStore:
    def __init__(self, *, ttl: float, capacity: int = CACHE_CAPACITY) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._cache: dict[str, tuple[float, VerifiedKey | None]] = {}
        self._lookups: dict[str, asyncio.Task[VerifiedKey | None]] = {}

    def cached(self, key: str) -> tuple[bool, VerifiedKey | None]:
        """(True, the key or None if unknown) when the cache knows it; (False, None) when it must be looked up."""
        entry = self._cache.get(hash_key(key))
        if entry is not None and entry[0] > time.monotonic():
            return True, entry[1]
        return False, None

    async def find(self, key: str) -> VerifiedKey | None:
        """The key if it exists and is not revoked, else None. KeysUnavailable if the database fails."""
        prefix = key_prefix(key)
        if prefix is None:
            return None  # not even the shape of a key: no query
        key_hash = hash_key(key)
        entry = self._cache.get(key_hash)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        loop = asyncio.get_running_loop()
        lookup = self._lookups.get(key_hash)
        if lookup is None or lookup.get_loop() is not loop:  # tests run one event loop per test
            lookup = loop.create_task(self._look_up(prefix, key_hash))
            self._lookups[key_hash] = lookup
            lookup.add_done_callback(lambda done: self._forget_lookup(key_hash, done))
        # Shielded: a caller that goes away (its client disconnected) must not cancel the others' lookup.
        return await asyncio.shield(lookup)

    def _forget_lookup(self, key_hash: str, done: asyncio.Task[VerifiedKey | None]) -> None:
        if self._lookups.get(key_hash) is done:
            del self._lookups[key_hash]
        if not done.cancelled():
            done.exception()  # retrieved, even when every caller went away before it ended

    async def _look_up(self, prefix: str, key_hash: str) -> VerifiedKey | None:
        try:
            await sync_to_async(close_old_connections)()  # one that outlived CONN_MAX_AGE, or broke, is replaced
            row = await ApiKey.objects.only("id", "prefix", "key_hash", "scopes", "rate_limit", "revoked").aget(
                prefix=prefix
            )
        except ApiKey.DoesNotExist:
            found = None
        except DatabaseError as error:
            logger.error("API keys: the database failed, keys cannot be checked: %s", error)
            raise KeysUnavailable from None
        else:
            # The prefix only found the row; the whole key must match, compared in constant time.
            matches = hmac.compare_digest(row.key_hash, key_hash)
            found = verified_key(row) if matches and row.revoked is None else None
        self._remember(key_hash, found)
        return found

    def _remember(self, key_hash: str, found: VerifiedKey | None) -> None:
        if self.ttl <= 0:
            return
        now = time.monotonic()
        if len(self._cache) >= self.capacity:
            self._cache = {cached: entry for cached, entry in self._cache.items() if entry[0] > now}
            if len(self._cache) >= self.capacity:
                self._cache.clear()
        self._cache[key_hash] = (now + self.ttl, found)


def verified_key(row: ApiKey) -> VerifiedKey:
    return VerifiedKey(id=row.id, prefix=row.prefix, scopes=frozenset(row.scopes), rate_limit=row.rate_limit)


_current: tuple[ServiceSettings, KeyStore] | None = None


def key_store_for(config: ServiceSettings) -> KeyStore:
    """The worker's store for `config`; made anew when the configuration object changes (tests do that)."""
    global _current
    if _current is None or _current[0] is not config:
        _current = (config, KeyStore(ttl=config.api_key_cache_seconds))
    return _current[1]
