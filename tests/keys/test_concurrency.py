"""Many requests with keys at once: the async ORM from the event loop, one database connection, one query per key."""

import asyncio

import pytest
from django.db.backends.signals import connection_created

from search_service.keys.store import KeyStore

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connections_opened():
    opened: list[str] = []

    def count(sender, connection, **kwargs):
        opened.append(connection.alias)

    connection_created.connect(count)
    yield opened
    connection_created.disconnect(count)


@pytest.fixture
def lookups(monkeypatch):
    """How many times the key store went to the database."""
    calls: list[str] = []
    original = KeyStore._look_up

    async def counted(self, prefix):
        calls.append(prefix)
        return await original(self, prefix)

    monkeypatch.setattr(KeyStore, "_look_up", counted)
    return calls


async def test_a_thousand_concurrent_requests_with_50_keys_and_no_cache(
    api, configure_service, make_key, connections_opened, lookups
):
    """Every request looks its key up (cache off), from the event loop: no SynchronousOnlyOperation (it would be a
    500), and the ORM's async interface runs in asgiref's one thread, so no connection is opened per request."""
    configure_service(search_require_api_key=True, api_key_cache_seconds=0)
    keys = [await make_key(f"client {n}") for n in range(50)]
    connections_opened.clear()
    answers = await asyncio.gather(
        *(api.get("/suggest", params={"prefix": "js"}, headers={"X-API-Key": keys[n % 50]}) for n in range(1_000))
    )
    assert [answer.status_code for answer in answers] == [200] * 1_000
    assert len(connections_opened) <= 1
    # Concurrent requests with one key share a lookup; none is made twice at once.
    assert 50 <= len(lookups) <= 1_000


async def test_with_the_cache_a_thousand_requests_with_one_key_cost_one_query(
    api, configure_service, make_key, connections_opened, lookups
):
    configure_service(search_require_api_key=True, api_key_cache_seconds=30)
    key = await make_key()
    answers = await asyncio.gather(
        *(api.get("/suggest", params={"prefix": "js"}, headers={"X-API-Key": key}) for _ in range(1_000))
    )
    assert {answer.status_code for answer in answers} == {200}
    assert len(lookups) == 1
    assert len(connections_opened) <= 1
