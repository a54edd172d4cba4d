"""The per-client rate limit counts an API key wherever it calls from, with the key's own budget when it has one."""

import asyncio
import math
import time

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


async def start_of_a_window() -> None:
    """Wait for the next whole second. The sliding window counts in whole seconds of the clock: requests that
    straddled two of them would find part of the first ones forgotten already, and room one too early (these tests
    failed about 2 runs in 10 with a 1-second budget)."""
    await asyncio.sleep(math.ceil(time.time()) - time.time())


async def statuses(api, key: str, count: int) -> list[int]:
    return [
        (await api.get("/suggest", params={"prefix": "js"}, headers={"X-API-Key": key})).status_code
        for _ in range(count)
    ]


async def test_a_key_over_its_own_budget_gets_429_with_retry_after_then_recovers(api, configure_service, make_key):
    configure_service(search_rate_limit="100/second", api_key_cache_seconds=30)  # the addresses' limit: not reached
    key = await make_key(rate_limit="3/second")
    await start_of_a_window()
    assert await statuses(api, key, 3) == [200, 200, 200]
    refused = await api.get("/suggest", params={"prefix": "js"}, headers={"X-API-Key": key})
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert "API key" in refused.json()["detail"]
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 2
    # Another key from the same address has its own budget; so has the address without a key.
    assert await statuses(api, await make_key(rate_limit="3/second"), 3) == [200, 200, 200]
    assert (await api.get("/suggest", params={"prefix": "js"})).status_code == 200
    # A client that waits Retry-After, as it is told, finds room: the sliding window has freed the budget by then.
    # (Waiting longer on a loaded machine only frees more.)
    await asyncio.sleep(retry_after)
    assert (await api.get("/suggest", params={"prefix": "js"}, headers={"X-API-Key": key})).status_code == 200


async def test_a_key_without_a_budget_of_its_own_has_the_default_limit(api, configure_service, make_key):
    configure_service(search_rate_limit="2/second", api_key_cache_seconds=30)
    key = await make_key()
    await start_of_a_window()
    # The first request of a key not yet cached is charged to the address too (it costs a query).
    assert await statuses(api, key, 3) == [200, 200, 429]
    assert (await api.get("/suggest", params={"prefix": "js"})).status_code == 200  # the address has 1 left


async def test_a_key_with_an_empty_budget_is_not_limited(api, configure_service, make_key):
    configure_service(search_rate_limit="2/second", api_key_cache_seconds=30)
    assert await statuses(api, await make_key(rate_limit=""), 10) == [200] * 10


async def test_made_up_keys_are_charged_to_the_address(api, configure_service):
    configure_service(search_rate_limit="3/second", search_require_api_key=True, api_key_cache_seconds=30)
    await start_of_a_window()
    answers = [
        (await api.get("/suggest", params={"prefix": "js"}, headers={"X-API-Key": f"ssk_{n:012x}_{'A' * 43}"}))
        for n in range(4)
    ]
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
