"""Who a caller is and the rate limits, on their own: no server. The cost, the limit and the fair queue have
tests of their own (tests/admission/)."""

import pytest

from search_service.admission import RateLimit, Refused, client_key


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same /64: the same client
        (None, "unknown"),
        ("", "unknown"),
        ("not-an-ip", "not-an-ip"),
    ],
)
def test_clients_are_keyed_by_address_ipv6_by_network(address, key):
    assert client_key(address) == key


async def test_rate_limit_refuses_past_the_budget_with_a_retry_after():
    limit = RateLimit("3/minute", code="rate_limited", what="requests")
    for _ in range(3):
        await limit.hit("a")

    with pytest.raises(Refused) as raised:
        await limit.hit("a")

    assert raised.value.code == "rate_limited"
    assert 1 <= raised.value.retry_after <= 60
    assert "more than 3 requests in 1 minute(s)" in raised.value.detail
    await limit.hit("b")  # another client has its own budget


async def test_an_empty_rate_limit_never_refuses():
    limit = RateLimit("", code="rate_limited", what="requests")
    for _ in range(1000):
        await limit.hit("a")
