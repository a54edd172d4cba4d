"""The adaptive limit on work in flight: it holds while latency holds, falls when latency rises. No server."""

from search_service.admission.limiter import WINDOW_SECONDS, AdaptiveLimit


def feed(limit: AdaptiveLimit, seconds: float, *, samples: int, now: float = 0.0, in_flight: float | None = None):
    for i in range(samples):
        limit.sample(seconds, in_flight=limit.limit if in_flight is None else in_flight, now=now + i * 0.001)


def test_it_starts_at_the_ceiling_so_a_burst_at_an_idle_worker_goes_at_once():
    assert AdaptiveLimit(floor=8, ceiling=2000).limit == 2000


def test_a_constant_latency_keeps_the_limit_however_slow():
    # The seed's case: every answer takes 3 s whatever the load (a slow network, not a busy Elasticsearch).
    limit = AdaptiveLimit(floor=8, ceiling=2000)
    feed(limit, 3.0, samples=1000)
    assert limit.limit == 2000


def test_rising_latency_lowers_the_limit_to_the_floor_at_worst():
    limit = AdaptiveLimit(floor=8, ceiling=2000)
    feed(limit, 0.001, samples=50)
    feed(limit, 0.010, samples=200)  # ten times the unloaded latency: queueing inside Elasticsearch
    assert 8 <= limit.limit < 100
    feed(limit, 0.050, samples=500)
    assert limit.limit == 8


def test_the_limit_grows_back_when_latency_recovers():
    limit = AdaptiveLimit(floor=8, ceiling=2000)
    feed(limit, 0.001, samples=50)
    feed(limit, 0.010, samples=300)
    low = limit.limit
    feed(limit, 0.001, samples=300)
    assert limit.limit > low * 2


def test_it_does_not_grow_while_the_work_in_flight_is_far_below_it():
    limit = AdaptiveLimit(floor=8, ceiling=2000)
    feed(limit, 0.001, samples=50)
    feed(limit, 0.010, samples=300)
    low = limit.limit
    feed(limit, 0.001, samples=300, in_flight=1)
    assert limit.limit == low


def test_the_unloaded_latency_is_forgotten_after_two_windows():
    limit = AdaptiveLimit(floor=8, ceiling=2000)
    feed(limit, 0.001, samples=10)
    feed(limit, 0.004, samples=10, now=WINDOW_SECONDS + 1)
    feed(limit, 0.004, samples=10, now=2 * WINDOW_SECONDS + 2)
    assert limit.unloaded == 0.004
