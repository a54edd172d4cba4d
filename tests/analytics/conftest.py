"""The database tests' own cleanup: the ORM's async interface keeps a connection open in asgiref's thread for sync
code, which must close before the test database is dropped (PostgreSQL refuses to drop one in use)."""

from collections.abc import AsyncIterator

import pytest
from asgiref.sync import sync_to_async
from django.db import connections


@pytest.fixture(autouse=True)
async def close_the_orm_threads_connections() -> AsyncIterator[None]:
    yield
    await sync_to_async(connections.close_all)()
