"""The fleet's cache (SEARCH_CACHE_URL): answers in one Redis, behind each worker's own memory.

Redis is an optimisation here, never a dependency: every call is bounded by TIMEOUT, and one that fails or is late
is a miss (counted in `search_cache_shared_errors_total`, a warning at most once a minute); after a failure the
worker leaves Redis alone for REST seconds, so a Redis that is down costs a search nothing but the miss.
"""

import asyncio
import logging
import time

import orjson
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from search_service.answer_cache.entry import Entry
from search_service.metrics.series import CACHE_SHARED_ERRORS

logger = logging.getLogger(__name__)

TIMEOUT = 0.25
REST = 1.0
WARNING_INTERVAL = 60.0
KEY_PREFIX = b"search_service:answer:"
SEPARATOR = b"\n"  # after the entry's metadata (JSON, one line), its body


def encode(entry: Entry) -> bytes:
    meta = orjson.dumps([entry.etag, entry.total_hits, entry.took_ms, entry.expires_at])
    return meta + SEPARATOR + entry.body


def decode(value: bytes) -> Entry | None:
    """The entry, or None for a value that is not one of ours (another version, another program)."""
    meta, _, body = value.partition(SEPARATOR)
    try:
        etag, total_hits, took_ms, expires_at = orjson.loads(meta)
        return Entry(body=body, etag=str(etag), total_hits=int(total_hits), took_ms=took_ms, expires_at=expires_at)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return None


class SharedStore:
    def __init__(self, url: str) -> None:
        self._url = url
        self._redis: Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rest_until = 0.0
        self._next_warning = 0.0
        self._writes: set[asyncio.Task[None]] = set()

    def _client(self) -> Redis:
        loop = asyncio.get_running_loop()
        if self._redis is None or self._loop is not loop:
            self._redis = Redis.from_url(
                self._url,
                socket_timeout=TIMEOUT,
                socket_connect_timeout=TIMEOUT,
                retry=Retry(NoBackoff(), 0),  # a failed call is a miss, not three more tries
            )
            self._loop = loop
        return self._redis

    async def get(self, key: bytes) -> Entry | None:
        if time.monotonic() < self._rest_until:
            return None
        try:
            async with asyncio.timeout(TIMEOUT):
                value = await self._client().get(KEY_PREFIX + key)
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)
            return None
        entry = None if value is None else decode(value)
        return entry if entry is not None and entry.expires_at > time.time() else None

    def put(self, key: bytes, entry: Entry) -> None:
        """Stored in the background: a search does not wait for Redis to take its answer."""
        if time.monotonic() < self._rest_until:
            return
        milliseconds = int((entry.expires_at - time.time()) * 1000)
        if milliseconds <= 0:
            return
        task = asyncio.ensure_future(self._set(key, encode(entry), milliseconds))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _set(self, key: bytes, value: bytes, milliseconds: int) -> None:
        try:
            async with asyncio.timeout(TIMEOUT):
                await self._client().set(KEY_PREFIX + key, value, px=milliseconds)
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)

    async def close(self) -> None:
        for task in list(self._writes):
            task.cancel()
        if self._redis is not None and self._loop is asyncio.get_running_loop():
            await self._redis.aclose()
        self._redis = None

    def _failed(self, error: BaseException) -> None:
        now = time.monotonic()
        self._rest_until = now + REST
        CACHE_SHARED_ERRORS.inc()
        if now >= self._next_warning:
            self._next_warning = now + WARNING_INTERVAL
            reason = f"no answer within {TIMEOUT:g} s" if isinstance(error, TimeoutError) else type(error).__name__
            logger.warning(
                "the shared answer cache (SEARCH_CACHE_URL) failed (%s); searches are answered as misses until it "
                "answers (this warning at most once a minute; search_cache_shared_errors_total counts them)",
                reason,
            )
