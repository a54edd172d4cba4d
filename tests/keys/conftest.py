"""Keys made with the service's own function, in the real database (the tests' SQLite)."""

from collections.abc import Awaitable, Callable

import pytest
from asgiref.sync import sync_to_async

from search_service.database_threads import close_connections
from search_service.keys.last_used import stop_last_used
from search_service.keys.services import api_key_create


@pytest.fixture
def make_key() -> Callable[..., Awaitable[str]]:
    """Create a key (as `manage.py create_api_key` does) and return it whole."""

    async def make(name: str = "test", scopes: tuple[str, ...] = ("search",), rate_limit: str | None = None) -> str:
        created = await sync_to_async(api_key_create)(name=name, scopes=list(scopes), rate_limit=rate_limit)
        return created.key

    return make


@pytest.fixture(autouse=True)
async def write_last_uses():
    """Write the uses a test noted while its database is there, as a worker's shutdown does; left pending, they
    would be written by the next test's lifespan, into a database that no longer has the keys."""
    yield
    await stop_last_used()
    await close_connections()  # the database threads', before the test database is dropped
