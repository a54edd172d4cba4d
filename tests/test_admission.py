"""Who a caller is, how a refusal is held back, and the rate limits, on their own: no server (a shared storage is
played by a stand-in, or by a closed port). The cost, the limit, the fair queue and the gate have tests of their
own (tests/admission/)."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from limits import RateLimitItem
from limits.aio.storage import MemoryStorage
from limits.errors import StorageError
from limits.util import WindowStats

from search_service.admission import KEY_IDENTITY, RateLimit, Refused, client_key, delay_refusal, parse_rate_limit
from search_service.admission import callers as callers_module
from search_service.admission.storage import STORAGE_TIMEOUT, Limiter, close_shared_storage, fail_open
from tests.admission.turns import bounded
from tests.conftest import free_port


@pytest.fixture(autouse=True)
async def healthy_storage() -> AsyncIterator[None]:
    """The record of the shared storage's failures is process-wide: each test starts with one that has not failed."""
    fail_open.forget()
    yield
    fail_open.forget()
    await close_shared_storage()


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same /64: the same client
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),  # the next /64: another client
        (None, "unknown"),
        ("", "unknown"),
        ("not-an-ip", "not-an-ip"),
    ],
)
def test_clients_are_keyed_by_address_ipv6_by_network(address, key):
    assert client_key(address) == key


def test_a_refusal_says_what_and_when():
    refused = Refused("overloaded", "the service is at capacity", 7)
    assert (refused.code, refused.detail, refused.retry_after) == ("overloaded", "the service is at capacity", 7)
    assert str(refused) == "the service is at capacity"


@pytest.mark.parametrize(
    ("delay", "retry_after", "slept"),
    [
        (0, 5, []),  # 0 answers at once, without even yielding
        (0.01, 5, [0.01]),
        (1.5, 5, [1.5]),
        (5, 2, [2]),  # never longer than the client is told to wait anyway
    ],
)
async def test_a_refusal_is_held_back_the_delay_at_most_its_retry_after(monkeypatch, delay, retry_after, slept):
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(callers_module, "asyncio", SimpleNamespace(sleep=sleep))
    await delay_refusal(Refused("rate_limited", "no", retry_after), delay)
    assert sleeps == slept


async def refused(limit: RateLimit, client: str, items=None) -> Refused:
    with pytest.raises(Refused) as raised:
        await limit.hit(client, items)
    return raised.value


@pytest.mark.parametrize("budget", [1, 3])
async def test_rate_limit_allows_its_budget_exactly_and_refuses_one_past_it(budget):
    limit = RateLimit(f"{budget}/minute", code="rate_limited", what="requests")
    for _ in range(budget):
        await limit.hit("a")

    refusal = await refused(limit, "a")

    assert refusal.code == "rate_limited"
    assert 1 <= refusal.retry_after <= 60
    assert f"more than {budget} requests in 1 minute(s) from this client; retry after" in refusal.detail
    await limit.hit("b")  # another client has its own budget


async def test_a_refusal_names_an_api_key_as_such():
    limit = RateLimit("1/minute", code="rate_limited", what="requests")
    await limit.hit(f"{KEY_IDENTITY}abc")
    assert "from this API key;" in (await refused(limit, f"{KEY_IDENTITY}abc")).detail


async def test_a_one_second_window_says_retry_after_one_second():
    limit = RateLimit("1/second", code="rate_limited", what="requests")
    await limit.hit("a")
    refusal = await refused(limit, "a")
    assert refusal.retry_after == 1
    assert refusal.detail.endswith("retry after 1 s")


async def test_every_window_of_a_limit_must_have_room():
    limit = RateLimit("5/minute;2/hour", code="rate_limited", what="requests")
    await limit.hit("a")
    await limit.hit("a")
    assert "more than 2 requests in 1 hour(s)" in (await refused(limit, "a")).detail


async def test_a_keys_own_budget_replaces_the_limits():
    limit = RateLimit("1/minute", code="rate_limited", what="requests")
    own = parse_rate_limit("3/minute")
    for _ in range(3):
        await limit.hit("key:abc", own)  # three, where the limit's own budget is one

    assert "more than 3 requests" in (await refused(limit, "key:abc", own)).detail
    for _ in range(5):
        await limit.hit("key:unlimited", ())  # an empty budget of its own: no limit, not the default


async def test_an_empty_rate_limit_never_refuses():
    limit = RateLimit("", code="rate_limited", what="requests")
    assert limit.items == ()
    for _ in range(1000):
        await limit.hit("a")


class StandIn:
    """A limiter that says whether there is room, and records what it was asked: the shared storage's place."""

    def __init__(self, *, room: bool = True, reset_in: float = 30.4) -> None:
        self.room = room
        self.reset_in = reset_in
        self.asked: list[tuple[str, RateLimitItem, tuple[str, ...]]] = []

    async def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        self.asked.append(("hit", item, identifiers))
        return self.room

    async def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        self.asked.append(("stats", item, identifiers))
        return WindowStats(time.time() + self.reset_in, 0)


def shared(spec: str, limiter: object, what: str = "requests") -> RateLimit:
    limit = RateLimit(spec, code="rate_limited", what=what, storage_url="redis://127.0.0.1:1")
    limit._limiter = lambda: limiter  # type: ignore[assignment,return-value]
    return limit


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1", "rediss://cache.internal:6380"])
def test_a_redis_url_makes_a_shared_limit(url):
    assert RateLimit("1/minute", code="rate_limited", what="requests", storage_url=url).shared


@pytest.mark.parametrize("url", ["", "memory://"])
def test_memory_is_no_shared_limit(url):
    assert not RateLimit("1/minute", code="rate_limited", what="requests", storage_url=url).shared


@pytest.mark.parametrize("storage_url", ["", "redis://127.0.0.1:1"])
async def test_the_storage_is_asked_about_this_limit_and_this_client(storage_url):
    stand_in = StandIn(room=False)
    limit = RateLimit("5/minute", code="rate_limited", what="requests", storage_url=storage_url)
    limit._limiter = lambda: stand_in  # type: ignore[assignment,return-value]

    refusal = await refused(limit, "203.0.113.9")

    (item,) = limit.items
    assert stand_in.asked == [("hit", item, ("requests", "203.0.113.9")), ("stats", item, ("requests", "203.0.113.9"))]
    assert refusal.retry_after == 31  # when the window has room, rounded up


async def test_two_limits_with_the_same_window_count_apart_in_one_storage():
    storage = Limiter(MemoryStorage())
    requests, expensive = shared("1/minute", storage), shared("1/minute", storage, what="expensive queries")
    await requests.hit("a")
    await expensive.hit("a")  # not the request's count
    assert "expensive queries" in (await refused(expensive, "a")).detail


async def test_a_shared_limit_refuses_past_its_budget():
    limit = shared("2/minute", Limiter(MemoryStorage()))
    await limit.hit("a")
    await limit.hit("a")
    assert "more than 2 requests" in (await refused(limit, "a")).detail


@pytest.mark.parametrize(
    ("error", "named"),
    [
        (StorageError(ConnectionError("refused")), "ConnectionError: refused"),  # the client's own error, not limits'
        (ConnectionRefusedError("refused"), "ConnectionRefusedError: refused"),
    ],
)
async def test_a_failing_storage_lets_the_request_through_and_rests(caplog, error, named):
    class Failing(StandIn):
        async def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
            await super().hit(item, *identifiers)
            raise error

    failing = Failing()
    limit = shared("1/minute", failing)

    with caplog.at_level(logging.WARNING, logger="search_service.admission.storage"):
        for _ in range(3):
            await limit.hit("a")  # let through, uncounted

    assert len(failing.asked) == 1  # then left alone for a while: no request waits on a storage that failed
    (warning,) = caplog.records
    assert f"failed ({named})" in warning.getMessage()


async def test_a_stalled_storage_is_given_up_on_and_the_request_let_through():
    given_up = asyncio.Event()

    class Stalled(StandIn):
        async def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
            try:
                await asyncio.Event().wait()  # never answers
            except asyncio.CancelledError:
                given_up.set()
                raise
            return True

    limit = shared("1/minute", Stalled())

    # Bounded far above STORAGE_TIMEOUT: without its own bound the check would hang here instead of failing.
    await bounded(limit.hit("a"), STORAGE_TIMEOUT * 20)

    assert given_up.is_set()
    assert fail_open.resting()


async def test_an_unreachable_redis_is_a_shared_storage_that_fails_open():
    limit = RateLimit("1/minute", code="rate_limited", what="requests", storage_url=f"redis://127.0.0.1:{free_port()}")
    for _ in range(3):
        await bounded(limit.hit("a"))  # a count in memory would refuse the second
