"""What a cached key costs a request: the rate limit's lookup and the endpoint's auth, timed in process.

`uv run pytest tests/keys/test_cost.py -s` prints the figures (docs/security.md, "API keys")."""

import time

import pytest
from django.test import RequestFactory

from search_service.keys.auth import SEARCH_AUTH
from search_service.middleware import _count_request

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 20_000


async def per_request(config, headers: dict[str, str]) -> float:
    """CPU seconds per request of what a key adds: the rate limit's count and the endpoint's auth."""
    factory = RequestFactory()
    requests = [factory.get("/search", {"q": "json"}, headers=headers) for _ in range(ROUNDS)]
    began = time.process_time()
    for request in requests:
        await _count_request(request, config)
        await SEARCH_AUTH(request)
    return (time.process_time() - began) / ROUNDS


async def test_a_cached_key_costs_microseconds(configure_service, settings, make_key):
    configure_service(search_require_api_key=False, search_rate_limit="1000000/second")
    key = await make_key(rate_limit="1000000/second")
    await per_request(settings.SEARCH, {"X-API-Key": key})  # the first request looks it up and caches it
    anonymous = await per_request(settings.SEARCH, {})
    keyed = await per_request(settings.SEARCH, {"X-API-Key": key})
    print(f"\nper request: without a key {anonymous * 1e6:.1f} µs, with a cached key {keyed * 1e6:.1f} µs")
    assert keyed - anonymous < 100e-6  # generous: a shared machine; measured ~10 µs
