"""The index generation: which concrete indices the configured name resolves to now, and their UUIDs.

An answer is cached under the generation it was made from, so that swapping the alias (`manage.py index`) or
re-creating the index retires every answer of the old one. Reading it costs a call to Elasticsearch (index
settings, from the cluster state: no shard is searched), so each worker reads it in the background, one read at a
time, once half of CHECK_SECONDS has passed since the last; a generation read more than CHECK_SECONDS ago is not
used. A search never waits for a read longer than READ_WAIT (a slow Elasticsearch must not add its latency to a
search): without a generation it is made afresh and not cached. So a swap is seen within CHECK_SECONDS and a read's
time. A name Elasticsearch cannot resolve, or an account not allowed to read index settings, has no generation
(a warning says why, once a minute at most).
"""

import asyncio
import logging
import math
import time
from collections.abc import Callable

from elasticsearch import ApiError, AsyncElasticsearch, TransportError

logger = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
READ_WAIT = 0.05
WARNING_INTERVAL = 60.0


def generation_of(settings_answer: object) -> str | None:
    """`index-a/uuid,index-b/uuid` from a GET /<name>/_settings/index.uuid answer; None if it names none."""
    if not isinstance(settings_answer, dict) or not settings_answer:
        return None
    parts = []
    for name, value in sorted(settings_answer.items()):
        try:
            parts.append(f"{name}/{value['settings']['index']['uuid']}")
        except (KeyError, TypeError):
            return None
    return ",".join(parts)


class IndexGeneration:
    def __init__(self, on_change: Callable[[], object]) -> None:
        self.value: str | None = None
        self._on_change = on_change  # called when a read finds another generation than the last one found
        self._known: str | None = None  # the last generation found (value is None after a failed read)
        self._read_at = -math.inf  # time.monotonic() when the last read ended
        self._reading: asyncio.Future[str | None] | None = None
        self._next_warning = 0.0

    def fresh(self) -> str | None:
        """The generation if it was read within CHECK_SECONDS, else None; never waits, never reads."""
        if time.monotonic() - self._read_at < CHECK_SECONDS:
            return self.value
        return None

    def read_when_due(self, client: AsyncElasticsearch, index: str) -> None:
        """Start a read in the background if half of CHECK_SECONDS has passed since the last, and none is under way."""
        if time.monotonic() - self._read_at >= CHECK_SECONDS / 2 and (self._reading is None or self._reading.done()):
            self._reading = asyncio.ensure_future(self._read(client, index))

    async def current(self, client: AsyncElasticsearch, index: str) -> str | None:
        """The generation, read again in the background when due; None when none was read within CHECK_SECONDS and
        the read under way does not end within READ_WAIT."""
        self.read_when_due(client, index)
        if time.monotonic() - self._read_at < CHECK_SECONDS:
            return self.value
        assert self._reading is not None
        try:
            async with asyncio.timeout(READ_WAIT):
                return await asyncio.shield(self._reading)
        except TimeoutError:
            return None

    async def _read(self, client: AsyncElasticsearch, index: str) -> str | None:
        try:
            answer = await client.indices.get_settings(
                index=index, name="index.uuid", filter_path="*.settings.index.uuid"
            )
            value = generation_of(answer.body)
        except (ApiError, TransportError) as error:
            value = None
            status = getattr(error, "status_code", None)
            self._warn(f"{type(error).__name__}, {status or 'no answer'}", missing_privilege=status == 403)
        if value is not None:
            if self._known is not None and value != self._known:
                self._on_change()
            self._known = value
        self.value, self._read_at = value, time.monotonic()
        return value

    def _warn(self, reason: str, *, missing_privilege: bool) -> None:
        now = time.monotonic()
        if now >= self._next_warning:
            self._next_warning = now + WARNING_INTERVAL
            logger.warning(
                "answers are not cached now: the index's generation could not be read (%s)%s (this warning at most "
                "once a minute)",
                reason,
                "; the service's account needs the `view_index_metadata` privilege on the index"
                if missing_privilege
                else "",
            )
