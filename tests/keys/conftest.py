"""Keys made with the service's own function, in the real database (the tests' SQLite)."""

from collections.abc import Awaitable, Callable

import pytest
from asgiref.sync import sync_to_async

from search_service.keys.services import api_key_create


@pytest.fixture
def make_key() -> Callable[..., Awaitable[str]]:
    """Create a key (as `manage.py create_api_key` does) and return it whole."""

    async def make(name: str = "test", scopes: tuple[str, ...] = ("search",), rate_limit: str | None = None) -> str:
        created = await sync_to_async(api_key_create)(name=name, scopes=list(scopes), rate_limit=rate_limit)
        return created.key

    return make
