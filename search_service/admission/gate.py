"""Who gets Elasticsearch's capacity, and when (per worker process).

Every call a caller's request makes to Elasticsearch on the search path (a search, a cursor page, a suggestion,
a document, the did-you-mean call) passes through `admit` with its estimated cost (cost.py):
- ordinary work through a fair scheduler whose capacity follows Elasticsearch's latency (limiter.py): a caller
  alone may use all of it; callers that compete get equal shares of cost (fair_queue.py);
- expensive work (a cost of EXPENSIVE_UNITS or more: term-expanding clauses, scripts, opening a point in time, or
  every knob near its limit at once) through a lane of SEARCH_EXPENSIVE_CONCURRENCY turns, also served fairly,
  and within SEARCH_EXPENSIVE_RATE_LIMIT if one is set. Ordinary work never waits for that lane.
A caller is an API key when one was verified, else an address (callers.py). Refusals are 429 `overloaded` or
`too_many_expensive_queries` with a Retry-After, held back SEARCH_REFUSAL_DELAY.

The scheduler is per worker process. So are the rate limits, unless RATE_LIMIT_STORAGE_URL names a Redis
(storage.py): then they count across every worker and replica.
"""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from search_service.admission.callers import Refused, delay_refusal
from search_service.admission.cost import Cost
from search_service.admission.fair_queue import NEWCOMER_HEADROOM, FairScheduler, FixedLimit, Ticket
from search_service.admission.limiter import AdaptiveLimit
from search_service.admission.rate_limits import RateLimit
from search_service.metrics.series import observe_admission, observe_refusal
from search_service.per_worker import PerConfigAndLoop
from search_service.settings import ServiceSettings


@dataclass
class Admission:
    requests: RateLimit
    expensive_requests: RateLimit
    ordinary: FairScheduler
    expensive: FairScheduler
    door: FairScheduler  # door.py's: one unit a search request, before Django parses it
    enabled: bool


def _made_for(config: ServiceSettings) -> Admission:
    return Admission(
        requests=RateLimit(
            config.search_rate_limit, code="rate_limited", what="requests", storage_url=config.rate_limit_storage_url
        ),
        expensive_requests=RateLimit(
            config.search_expensive_rate_limit,
            code="rate_limited",
            what="expensive queries",
            storage_url=config.rate_limit_storage_url,
        ),
        ordinary=FairScheduler(
            AdaptiveLimit(floor=config.search_concurrency_min, ceiling=config.search_concurrency_max),
            queue_per_caller=config.search_queue_per_caller,
            wait=config.search_queue_wait,
            overcommit=NEWCOMER_HEADROOM,
        ),
        expensive=FairScheduler(
            FixedLimit(config.search_expensive_concurrency),
            queue_per_caller=config.search_expensive_queue,
            wait=config.search_expensive_wait,
            name="expensive queries",
            code="too_many_expensive_queries",
        ),
        door=FairScheduler(
            AdaptiveLimit(floor=config.search_concurrency_min, ceiling=config.search_concurrency_max),
            queue_per_caller=config.search_queue_per_caller,
            wait=config.search_queue_wait,
            overcommit=NEWCOMER_HEADROOM,
        ),
        enabled=config.search_admission,
    )


# The worker's admission for a configuration; made anew when the configuration object or the event loop changes (a
# waiter belongs to the loop it waits in).
admission_for: PerConfigAndLoop[Admission] = PerConfigAndLoop(_made_for)


def _lanes(admission: Admission) -> dict[str, FairScheduler]:
    return {"door": admission.door, "ordinary": admission.ordinary, "expensive": admission.expensive}


def _lane(admission: Admission, cost: Cost) -> tuple[FairScheduler, float]:
    # In the lane every expensive search is one turn: its cost already put it there. Searches sent together take
    # theirs at once (batch_cost), so that two calls never each hold some of the turns they wait for.
    turns = float(max(1, cost.expensive_searches))
    return (admission.expensive, turns) if cost.expensive else (admission.ordinary, cost.units)


@asynccontextmanager
async def admit(config: ServiceSettings, caller: str, cost: Cost) -> AsyncIterator[Ticket]:
    """Run the block when it is `caller`'s turn for work of `cost`; Refused (429) when it cannot have one."""
    admission = admission_for(config)
    if not admission.enabled and not cost.expensive:
        now = time.monotonic()
        yield Ticket(caller, cost.units, now, 0.0, 0.0)
        return
    scheduler, units = _lane(admission, cost)
    try:
        if cost.expensive:
            for _ in range(max(1, cost.expensive_searches)):
                await admission.expensive_requests.hit(caller)
        ticket = await scheduler.acquire(caller, units)
    except Refused as refused:
        observe_refusal(refused.code)
        await delay_refusal(refused, config.search_refusal_delay)
        raise
    observe_admission(_lanes(admission), ticket.waited)
    ok = False
    try:
        yield ticket
        ok = True
    finally:
        scheduler.release(ticket, ok=ok)
        observe_admission(_lanes(admission), None)


@asynccontextmanager
async def admit_if_free(config: ServiceSettings, caller: str, cost: Cost) -> AsyncIterator[bool]:
    """Run the block with True if there is room for `cost` now, else with False at once: for an extra (the
    did-you-mean call) that is better skipped than waited for, so that asking for it cannot make a caller's
    hits later, nor be a way to make Elasticsearch work for nothing."""
    admission = admission_for(config)
    if not admission.enabled and not cost.expensive:
        yield True
        return
    scheduler, units = _lane(admission, cost)
    ticket = scheduler.try_acquire(caller, units)
    if ticket is None:
        observe_refusal("extra_skipped")
        yield False
        return
    ok = False
    try:
        yield True
        ok = True
    finally:
        scheduler.release(ticket, ok=ok)
