"""How much work may be in flight to Elasticsearch at once, found from its latency (per worker). Pure.

A gradient limit, after Netflix's concurrency-limits (Gradient2) and Envoy's adaptive concurrency filter: while
Elasticsearch answers about as fast as it does unloaded, more work in flight only adds throughput, so the limit
grows; once the answers slow down, the extra work is only queueing inside Elasticsearch, where nobody can
order it fairly, so the limit shrinks and the queue forms here instead (fair_queue.py serves it fairly).

Latency is read per unit of estimated cost (cost.py), so that a costly search is not taken for congestion. The
unloaded latency is the lowest seen over the last two windows (a window is WINDOW_SECONDS): it follows a change
of the index or the cluster within a minute, and no slow period can raise it for long.

It starts at the ceiling: a burst that arrives at an idle worker (the seed's 1,000 concurrent searches of 3 s
each) is all sent at once, as it would be without admission; the limit only falls when latency says so.
"""

import math
from dataclasses import dataclass, field

# Answers may take this many times the unloaded latency before the limit shrinks: the queueing delay one
# accepts inside Elasticsearch, in exchange for keeping all its threads busy.
TOLERANCE = 1.5
# How far one sample may move the limit (exponential smoothing) and its lowest gradient: no single slow
# answer halves the limit.
SMOOTHING = 0.2
MIN_GRADIENT = 0.5
# The latest samples' latency is an average over about this many answers.
SHORT_SAMPLES = 10
WINDOW_SECONDS = 30.0


@dataclass
class AdaptiveLimit:
    floor: float
    ceiling: float
    limit: float = 0.0
    _short: float = 0.0
    _min_this_window: float = math.inf
    _min_last_window: float = math.inf
    _window_started: float = field(default=-math.inf)

    def __post_init__(self) -> None:
        self.limit = self.limit or self.ceiling

    @property
    def unloaded(self) -> float:
        return min(self._min_this_window, self._min_last_window)

    def sample(self, seconds_per_unit: float, *, in_flight: float, now: float) -> None:
        """One answer's latency per unit of cost; `in_flight` is the work in flight when it was sent."""
        if seconds_per_unit <= 0:
            return
        if now - self._window_started >= WINDOW_SECONDS:
            self._min_last_window, self._min_this_window = self._min_this_window, math.inf
            self._window_started = now
        self._min_this_window = min(self._min_this_window, seconds_per_unit)
        self._short = (
            seconds_per_unit if not self._short else self._short + (seconds_per_unit - self._short) / SHORT_SAMPLES
        )
        gradient = max(MIN_GRADIENT, min(1.0, TOLERANCE * self.unloaded / self._short))
        proposed = self.limit * gradient + math.sqrt(self.limit)
        if proposed > self.limit and in_flight < self.limit / 2:
            return  # not limited by the limit: growing it would say nothing about Elasticsearch
        smoothed = self.limit + (proposed - self.limit) * SMOOTHING
        self.limit = min(self.ceiling, max(self.floor, smoothed))
