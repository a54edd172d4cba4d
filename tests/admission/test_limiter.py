"""The adaptive limit on work in flight: it holds while latency holds, falls when latency rises. No server."""

import math

import pytest

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


def test_the_window_turns_at_exactly_its_length_not_before():
    turned = AdaptiveLimit(floor=8, ceiling=2000)
    feed(turned, 0.001, samples=1)
    feed(turned, 0.004, samples=1, now=WINDOW_SECONDS)
    feed(turned, 0.004, samples=1, now=2 * WINDOW_SECONDS)
    assert turned.unloaded == 0.004

    not_yet = AdaptiveLimit(floor=8, ceiling=2000)
    feed(not_yet, 0.001, samples=1)
    feed(not_yet, 0.004, samples=1, now=WINDOW_SECONDS - 0.001)
    feed(not_yet, 0.004, samples=1, now=2 * WINDOW_SECONDS - 0.002)
    assert not_yet.unloaded == 0.001


def test_an_answer_without_a_latency_says_nothing():
    limit = AdaptiveLimit(floor=8, ceiling=2000, limit=100)
    for seconds in (0.0, -1.0):
        limit.sample(seconds, in_flight=100, now=0)
    assert limit.limit == 100
    assert limit.unloaded == math.inf
    feed(limit, 0.001, samples=1)  # and the first real answer is read as the first
    assert limit.unloaded == 0.001


def test_at_steady_latency_the_limit_grows_by_a_fifth_of_its_root_per_answer():
    # Gradient 1 (never more, however fast the answer): 100 proposes 100 + sqrt(100) = 110, and a fifth of the way
    # is taken.
    limit = AdaptiveLimit(floor=8, ceiling=2000, limit=100)
    feed(limit, 0.001, samples=1, in_flight=100)
    assert limit.limit == pytest.approx(102)


def test_it_grows_from_half_the_limit_in_flight_but_not_below():
    at_half = AdaptiveLimit(floor=8, ceiling=2000, limit=100)
    feed(at_half, 0.001, samples=1, in_flight=50)
    assert at_half.limit == pytest.approx(102)

    below = AdaptiveLimit(floor=8, ceiling=2000, limit=100)
    feed(below, 0.001, samples=1, in_flight=49.9)
    assert below.limit == 100


def test_the_latest_latency_is_an_average_of_about_ten_answers():
    # 1 ms, then 10 ms: the average moves a tenth of the way (1.9 ms), the gradient is 1.5 x 1 / 1.9, and the
    # limit takes a fifth of the way to 2,000 x 0.79 + sqrt(2,000).
    limit = AdaptiveLimit(floor=8, ceiling=2000)
    feed(limit, 0.001, samples=1)
    assert limit.limit == 2000  # held at the ceiling
    feed(limit, 0.010, samples=1, now=1)
    assert limit.limit == pytest.approx(1924.73, abs=0.01)


def test_one_very_slow_answer_at_most_halves_the_proposal():
    # 1 ms, then 1 s: the gradient stops at MIN_GRADIENT, 2,000 x 0.5 + sqrt(2,000), a fifth of the way taken.
    limit = AdaptiveLimit(floor=8, ceiling=2000)
    feed(limit, 0.001, samples=1)
    feed(limit, 1.0, samples=1, now=1)
    assert limit.limit == pytest.approx(1808.94, abs=0.01)


def test_the_limit_stays_between_its_floor_and_its_ceiling():
    limit = AdaptiveLimit(floor=8, ceiling=20, limit=8)
    feed(limit, 0.001, samples=1000)
    assert limit.limit == 20
    feed(limit, 1.0, samples=1000, now=1)
    assert limit.limit == 8
