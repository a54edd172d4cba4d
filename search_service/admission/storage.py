"""Where the rate limits count (RATE_LIMIT_STORAGE_URL): each worker's memory, or one Redis for the whole fleet.

A Redis that fails or stalls must not fail or stall searches: the limits are policy, the searches are the service.
So every call to it is bounded in time (STORAGE_TIMEOUT), and a check it cannot answer lets the request through
uncounted (fails open), counted in `search_rate_limit_storage_errors_total` and logged at most once a minute.
"""

import asyncio
import logging
import time
from collections.abc import Callable

from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from search_service.metrics.series import RATE_LIMIT_STORAGE_ERRORS

logger = logging.getLogger(__name__)

# A check costs a Lua script on Redis, well under a millisecond on a nearby one; 0.25 s is a Redis in trouble, or
# an event loop so busy that waiting longer would only make it worse. Connecting is bounded by the same.
STORAGE_TIMEOUT = 0.25
# After a failure, checks let through without asking for this long: a stalled Redis then costs one request a
# second per worker STORAGE_TIMEOUT, not every request.
STORAGE_REST = 1.0
WARNING_INTERVAL = 60.0
# Redis keys start with this, so that the service's counts are told apart from anything else in that Redis.
KEY_PREFIX = "search_service"

Limiter = SlidingWindowCounterRateLimiter


def is_shared(url: str) -> bool:
    """Whether `url` names a storage that every worker shares (a Redis) rather than the worker's memory."""
    return bool(url) and not url.startswith("memory://")


def limiter_source(url: str) -> Callable[[], Limiter]:
    """What a RateLimit asks for its limiter on each check: its own in memory, or the worker's one on `url`'s Redis
    (one connection pool for all the limits)."""
    if not is_shared(url):
        limiter = Limiter(MemoryStorage())
        return lambda: limiter
    return lambda: _redis_limiter(url)


# url -> (the event loop its connections belong to, the limiter). A worker has one loop; tests have one per test.
_redis_limiters: dict[str, tuple[asyncio.AbstractEventLoop, Limiter, RedisStorage]] = {}


def _redis_limiter(url: str) -> Limiter:
    loop = asyncio.get_running_loop()
    held = _redis_limiters.get(url)
    if held is None or held[0] is not loop:
        storage = RedisStorage(
            "async+" + url,
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            wrap_exceptions=True,
            socket_timeout=STORAGE_TIMEOUT,
            socket_connect_timeout=STORAGE_TIMEOUT,
            # redis-py retries a failed command 3 times with back-off by default: that is how a Redis that is down
            # would stall a search. A failed check is let through instead.
            retry=Retry(NoBackoff(), 0),  # type: ignore[arg-type]
        )
        held = _redis_limiters[url] = (loop, Limiter(storage), storage)
    return held[1]


async def close_shared_storage() -> None:
    """Close the worker's Redis connections (ASGI shutdown), so that none is left for the garbage collector."""
    held = list(_redis_limiters.values())
    _redis_limiters.clear()
    for loop, _limiter, storage in held:
        if loop is asyncio.get_running_loop():
            await storage.bridge.storage.aclose()  # type: ignore[attr-defined]


class FailOpen:
    """The worker's record of the shared storage's failures: when to ask it again, when to warn again."""

    def __init__(self) -> None:
        self._rest_until = 0.0
        self._next_warning = 0.0

    def resting(self) -> bool:
        """Whether a recent failure says to let checks through without asking; such a check is counted."""
        if time.monotonic() < self._rest_until:
            RATE_LIMIT_STORAGE_ERRORS.inc()
            return True
        return False

    def failed(self, error: BaseException) -> None:
        now = time.monotonic()
        self._rest_until = now + STORAGE_REST
        RATE_LIMIT_STORAGE_ERRORS.inc()
        if now >= self._next_warning:
            self._next_warning = now + WARNING_INTERVAL
            logger.warning(
                "the rate limits' storage (RATE_LIMIT_STORAGE_URL) failed (%s); requests are let through uncounted "
                "until it answers (this warning at most once a minute; search_rate_limit_storage_errors_total "
                "counts them)",
                describe(error),
            )

    def forget(self) -> None:
        """Back to a healthy storage (tests)."""
        self._rest_until = self._next_warning = 0.0


def describe(error: BaseException) -> str:
    """The error's kind and, under limits' StorageError, the client's own error; never the URL (it may hold a
    password, and redis-py's messages name host and port only)."""
    cause = getattr(error, "storage_error", None) or error
    if isinstance(cause, TimeoutError):
        return f"no answer within {STORAGE_TIMEOUT:g} s"
    return f"{type(cause).__name__}: {cause}"


fail_open = FailOpen()
