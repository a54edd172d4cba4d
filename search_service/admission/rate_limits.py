"""Rate limits: policy, off by default (SEARCH_RATE_LIMIT, SEARCH_EXPENSIVE_RATE_LIMIT, an API key's own).

Counted by the `limits` library, in the worker's memory (microseconds, no I/O) or, with RATE_LIMIT_STORAGE_URL, in
a Redis every worker and replica shares (storage.py: bounded in time, and failing open). Fair sharing of
Elasticsearch's capacity is not their job (gate.py does that); they say how much one caller may have, even when
nothing is scarce.
"""

import asyncio
import math
import time
from collections.abc import Sequence
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.errors import StorageError

from search_service.admission.callers import KEY_IDENTITY, Refused
from search_service.admission.storage import STORAGE_TIMEOUT, Limiter, fail_open, is_shared, limiter_source


@lru_cache(maxsize=256)
def parse_rate_limit(spec: str) -> tuple[RateLimitItem, ...]:
    """`limits` notation (`20/second;600/minute`) parsed once; '' is no limit. Keys carry their own (keys/)."""
    return tuple(parse_many(spec)) if spec else ()


class RateLimit:
    """`limits` notation (`20/second;600/minute`): every window must have room for the request."""

    def __init__(self, spec: str, *, code: str, what: str, storage_url: str = "") -> None:
        self.items: Sequence[RateLimitItem] = parse_rate_limit(spec)
        self.code = code
        self.what = what
        self.shared = is_shared(storage_url)
        self._limiter = limiter_source(storage_url)

    async def hit(self, client: str, items: Sequence[RateLimitItem] | None = None) -> None:
        """Count a request of `client` against `items` (an API key's own budget), or else this limit's."""
        for item in self.items if items is None else items:
            if self.shared:
                if fail_open.resting():
                    return
                try:
                    # The whole check, however many round trips, within the bound: a stalled Redis stalls no search.
                    async with asyncio.timeout(STORAGE_TIMEOUT):
                        reset_at = await self._count(self._limiter(), item, client)
                except (StorageError, OSError) as error:  # TimeoutError is an OSError
                    fail_open.failed(error)
                    return
            else:
                reset_at = await self._count(self._limiter(), item, client)
            if reset_at is not None:
                retry_after = max(1, math.ceil(reset_at - time.time()))
                raise Refused(
                    self.code,
                    f"more than {item.amount} {self.what} in {item.multiples} {item.GRANULARITY.name}(s) "
                    f"from this {'API key' if client.startswith(KEY_IDENTITY) else 'client'}; "
                    f"retry after {retry_after} s",
                    retry_after,
                )

    async def _count(self, limiter: Limiter, item: RateLimitItem, client: str) -> float | None:
        """None if the window had room (and now holds the request), else when it has room again (epoch seconds).
        The limit's name is part of the key: in a shared Redis, two limits with the same window must not add up."""
        if await limiter.hit(item, self.what, client):
            return None
        return (await limiter.get_window_stats(item, self.what, client)).reset_time
