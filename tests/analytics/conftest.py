"""The database tests' own cleanup: the database threads (search_service/database_threads.py) and asgiref's thread
for sync code keep connections open, which must close before the test database is dropped (PostgreSQL refuses to
drop one in use)."""

from collections.abc import AsyncIterator

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from search_service.database_threads import close_connections
from search_service.keys.last_used import stop_last_used


@pytest.fixture(autouse=True)
async def close_the_orm_threads_connections() -> AsyncIterator[None]:
    yield
    await stop_last_used()  # a test's keys' uses, written while its database is there
    await close_connections()
    await sync_to_async(connections.close_all)()
