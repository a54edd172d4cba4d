"""Key lookups when the database does not answer: the key lookups' thread held busy (as a frozen disk or a hung
server holds it), in process; tests/test_database_outage.py freezes a real PostgreSQL under the served service."""

import asyncio

import pytest
from django.conf import settings

from search_service.database_threads import KEY_LOOKUPS
from search_service.keys.store import MAX_LOOKUPS_WAITING, key_store_for
from tests.stuck_database import held
from tests.test_metrics import AUTH as METRICS_AUTH
from tests.test_metrics import TOKEN as METRICS_TOKEN
from tests.test_metrics import samples, value

pytestmark = pytest.mark.django_db(transaction=True)

MADE_UP_KEY = "ssk_" + "0" * 12 + "_" + "A" * 43  # well formed, in no database
LOOKUP_TIMEOUT = 0.3


@pytest.fixture
def stall_settings(configure_service):
    configure_service(
        search_require_api_key=True,
        api_key_cache_seconds=0.05,
        api_key_lookup_timeout=LOOKUP_TIMEOUT,
        metrics_token=METRICS_TOKEN,
    )


async def suggest(api, key: str):
    return await api.get("/suggest", params={"prefix": "js"}, headers={"X-API-Key": key})


async def test_a_key_seen_lately_works_through_a_stall_and_an_unknown_one_is_503(api, stall_settings, make_key):
    seen, unseen = await make_key("seen"), await make_key("unseen")
    assert (await suggest(api, seen)).status_code == 200
    await asyncio.sleep(0.1)  # past API_KEY_CACHE_SECONDS: the entry has expired
    async with held(KEY_LOOKUPS):
        first = await suggest(api, seen)  # waits the lookup timeout once, then learns the database is stuck
        assert first.status_code == 200
        answers = await asyncio.gather(*(suggest(api, seen) for _ in range(50)))
        assert {answer.status_code for answer in answers} == {200}
        for key in (MADE_UP_KEY, unseen):
            refused = await suggest(api, key)
            assert refused.status_code == 503
            assert refused.json()["error"] == "api_keys_unavailable"
            assert refused.headers["Retry-After"]
        ready = await api.get("/ready")
        assert ready.json()["database"] == "unavailable"
        scraped = samples((await api.get("/metrics", headers=METRICS_AUTH)).text)
        assert value(scraped, "search_api_key_lookups_total", outcome="timed_out") >= 3
        assert value(scraped, "search_api_key_lookups_total", outcome="stale") >= 51
        assert value(scraped, "search_database_available") == 0
    # The stall ends: the lookups behind it complete, and the next ones answer from the database again.
    for _ in range(100):
        if (await suggest(api, unseen)).status_code == 200:
            break
        await asyncio.sleep(0.05)
    assert (await suggest(api, unseen)).status_code == 200
    assert (await suggest(api, MADE_UP_KEY)).status_code == 401
    assert (await api.get("/ready")).json()["database"] == "available"


async def test_past_the_lookups_that_may_wait_an_unknown_key_is_refused_at_once(api, configure_service):
    """Each made-up key is a lookup of its own; a flood of them cannot pile work up behind a slow database. The
    thread is held for less than the lookup timeout, as by a slow query: the lookups wait rather than time out."""
    configure_service(search_require_api_key=True, api_key_lookup_timeout=60, metrics_token=METRICS_TOKEN)
    keys = [f"ssk_{n:012x}_" + "A" * 43 for n in range(MAX_LOOKUPS_WAITING + 1)]
    async with held(KEY_LOOKUPS):
        waiting = [asyncio.ensure_future(suggest(api, key)) for key in keys[:MAX_LOOKUPS_WAITING]]
        for _ in range(1_000):  # until every one of them waits for its lookup
            if len(key_store_for(settings.SEARCH)._lookups) == MAX_LOOKUPS_WAITING:
                break
            await asyncio.sleep(0.01)
        before = samples((await api.get("/metrics", headers=METRICS_AUTH)).text)
        one_past = await suggest(api, keys[-1])
        after = samples((await api.get("/metrics", headers=METRICS_AUTH)).text)
    assert one_past.status_code == 503
    assert (
        value(after, "search_api_key_lookups_total", outcome="refused")
        - value(before, "search_api_key_lookups_total", outcome="refused")
        == 1
    )
    answers = await asyncio.gather(*waiting)
    assert {answer.status_code for answer in answers} == {401}  # looked up once the thread moved on: unknown
