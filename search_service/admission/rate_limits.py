"""Rate limits: policy, off by default (SEARCH_RATE_LIMIT, SEARCH_EXPENSIVE_RATE_LIMIT, an API key's own).

Counted by the `limits` library in the worker's memory: microseconds, no I/O, so it is awaited straight from
the event loop. Fair sharing of Elasticsearch's capacity is not their job (gate.py does that); they say how
much one caller may have, even when nothing is scarce.
"""

import math
import time
from collections.abc import Sequence
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from search_service.admission.callers import KEY_IDENTITY, Refused


@lru_cache(maxsize=256)
def parse_rate_limit(spec: str) -> tuple[RateLimitItem, ...]:
    """`limits` notation (`20/second;600/minute`) parsed once; '' is no limit. Keys carry their own (keys/)."""
    return tuple(parse_many(spec)) if spec else ()


class RateLimit:
    """`limits` notation (`20/second;600/minute`): every window must have room for the request."""

    def __init__(self, spec: str, *, code: str, what: str) -> None:
        self.items: Sequence[RateLimitItem] = parse_rate_limit(spec)
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.code = code
        self.what = what

    async def hit(self, client: str, items: Sequence[RateLimitItem] | None = None) -> None:
        """Count a request of `client` against `items` (an API key's own budget), or else this limit's."""
        for item in self.items if items is None else items:
            if not await self.limiter.hit(item, client):
                reset_at = (await self.limiter.get_window_stats(item, client)).reset_time
                retry_after = max(1, math.ceil(reset_at - time.time()))
                raise Refused(
                    self.code,
                    f"more than {item.amount} {self.what} in {item.multiples} {item.GRANULARITY.name}(s) "
                    f"from this {'API key' if client.startswith(KEY_IDENTITY) else 'client'}; "
                    f"retry after {retry_after} s",
                    retry_after,
                )
