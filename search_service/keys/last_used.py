"""`last_used` without a write per request: uses are noted in the worker's memory (a dictionary assignment) and
written by one task every API_KEY_LAST_USED_INTERVAL seconds, one UPDATE per key used in that time, and once more
at shutdown. So a key's `last_used` is at most that interval (plus a batch) behind, and a worker serving
thousands of keyed requests a second writes a handful of rows a minute."""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from search_service.database_threads import WRITES, DatabaseFailed
from search_service.models import ApiKey
from search_service.settings import ServiceSettings

logger = logging.getLogger(__name__)

WRITE_TIMEOUT = 10.0  # seconds; a handful of rows


class LastUsed:
    def __init__(self, *, interval: float) -> None:
        self.interval = interval
        self._uses: dict[int, float] = {}  # key id -> time.time() of its latest use
        self._writer: asyncio.Task[None] | None = None

    def note(self, key_id: int, now: float) -> None:
        self._uses[key_id] = now
        writer = self._writer
        if writer is None or writer.done() or writer.get_loop() is not asyncio.get_running_loop():
            self._writer = asyncio.get_running_loop().create_task(self._write_every_interval(), name="api-key-uses")

    async def write(self) -> None:
        """Write the uses noted so far. A failure is logged and the uses dropped: the next use notes them again."""
        uses, self._uses = self._uses, {}
        if not uses:
            return
        rows = [ApiKey(id=key_id, last_used=datetime.fromtimestamp(at, UTC)) for key_id, at in uses.items()]
        try:
            # The writes' thread (database_threads.py), bounded: at shutdown a frozen database must not hold the
            # process.
            await WRITES.run(lambda: ApiKey.objects.bulk_update(rows, ["last_used"]), within=WRITE_TIMEOUT)
        except (DatabaseFailed, TimeoutError) as error:
            logger.warning("API keys: could not write last_used of %d keys: %s", len(rows), error)

    async def stop(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None and writer.get_loop() is asyncio.get_running_loop():
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        await self.write()

    async def _write_every_interval(self) -> None:
        """Ends after an interval with no use (note() starts it again), so an idle worker keeps no timer."""
        while True:
            await asyncio.sleep(self.interval)
            if not self._uses:
                return
            await self.write()


_current: tuple[ServiceSettings, LastUsed] | None = None


def last_used_for(config: ServiceSettings) -> LastUsed:
    """The worker's notes for `config`; made anew when the configuration object changes (tests do that)."""
    global _current
    if _current is None or _current[0] is not config:
        _current = (config, LastUsed(interval=config.api_key_last_used_interval))
    return _current[1]


async def stop_last_used() -> None:
    """Write the uses still noted (the ASGI lifespan's shutdown)."""
    if _current is not None:
        await _current[1].stop()
