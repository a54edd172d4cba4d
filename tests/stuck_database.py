"""A database thread (search_service/database_threads.py) held busy until the block ends, as a frozen disk or a hung
server holds it: the tests of what waits on it and what does not."""

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator

from search_service.database_threads import DatabaseThread


@contextlib.asynccontextmanager
async def held(thread: DatabaseThread) -> AsyncIterator[None]:
    release = threading.Event()
    stuck = asyncio.ensure_future(thread.run(lambda: release.wait(60), check=False))
    try:
        yield
    finally:
        release.set()
        await stuck
