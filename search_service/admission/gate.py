"""Who gets in, and when: a per-client rate limit, and a bounded lane for expensive queries.

The lane is per worker process. So are the rate limits, unless RATE_LIMIT_STORAGE_URL names a Redis (storage.py):
then they count across every worker and replica.
"""

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from search_service.admission.callers import Refused, delay_refusal
from search_service.admission.rate_limits import RateLimit
from search_service.query.policy import QueryCost
from search_service.settings import ServiceSettings

# Besides term-expanding clauses (wildcard, fuzzy, regex, ranges), these make a query expensive: many clauses
# (each one runs over every search field), many hits (each one fetched and highlighted), and deep pages (every
# shard collects and sorts `from + size` hits).
EXPENSIVE_CLAUSES = 12
EXPENSIVE_SIZE = 50
EXPENSIVE_DEPTH = 1_000
# Facet buckets asked for in all (each facet is an aggregation over every matching document).
EXPENSIVE_FACET_BUCKETS = 50


def is_expensive(
    cost: QueryCost,
    *,
    page: int,
    size: int,
    facet_buckets: int = 0,
    opens_point_in_time: bool = False,
    runs_scripts: bool = False,
) -> bool:
    """Whether a search takes the expensive lane. Opening a point in time (the first step of a cursor walk) is
    counted too: it holds index segments open for SEARCH_CURSOR_KEEP_ALIVE, so its rate is what must be bounded.
    So is a search that sorts, counts or filters on a runtime field (`runs_scripts`): a script per document it
    touches (a hostile test measured a runtime sort at 40 times a plain search)."""
    return (
        cost.expands_terms
        or cost.clauses > EXPENSIVE_CLAUSES
        or size > EXPENSIVE_SIZE
        or page * size > EXPENSIVE_DEPTH
        or facet_buckets > EXPENSIVE_FACET_BUCKETS
        or opens_point_in_time
        or runs_scripts
    )


@asynccontextmanager
async def admit(config: ServiceSettings, client: str, *, expensive: bool) -> AsyncIterator[None]:
    """Run the block at once if the request is cheap; if expensive, after the client's expensive-query rate limit
    and a turn in the lane, or answer 429 (held back SEARCH_REFUSAL_DELAY) when neither is to be had. `client` is
    what the limits count (keys/auth.py, caller_identity): an API key, or else an address."""
    if not expensive:
        yield
        return
    admission = admission_for(config)
    async with AsyncExitStack() as turn:
        try:
            await admission.expensive_requests.hit(client)
            await turn.enter_async_context(admission.lane.enter())
        except Refused as refused:
            await delay_refusal(refused, config.search_refusal_delay)
            raise
        yield


@dataclass
class ExpensiveLane:
    """At most `concurrency` expensive searches in flight per worker; up to `queue` more wait up to `wait`
    seconds for a turn; the rest are refused at once. Ordinary searches never enter it, so they keep
    flowing while it is full."""

    concurrency: int
    queue: int
    wait: float
    _waiting: int = 0
    _semaphores: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = field(default_factory=dict)

    def _semaphore(self) -> asyncio.Semaphore:
        # A semaphore belongs to the event loop it first waits in; tests run one loop per test.
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = asyncio.Semaphore(self.concurrency)
            self._semaphores = {loop: semaphore}
        return semaphore

    def _refuse(self, why: str) -> Refused:
        return Refused(
            "too_many_expensive_queries",
            f"{why}; expensive queries (wildcards, fuzzy terms, many clauses, large pages) run "
            f"{self.concurrency} at a time. Retry later, or make the query cheaper",
            max(1, math.ceil(self.wait)),
        )

    @asynccontextmanager
    async def enter(self) -> AsyncIterator[None]:
        semaphore = self._semaphore()
        if semaphore.locked():
            if self._waiting >= self.queue:
                raise self._refuse("the queue for expensive queries is full")
            self._waiting += 1
            try:
                async with asyncio.timeout(self.wait):
                    await semaphore.acquire()
            except TimeoutError:
                raise self._refuse(f"no turn for an expensive query within {self.wait:g} s") from None
            finally:
                self._waiting -= 1
        else:
            await semaphore.acquire()
        try:
            yield
        finally:
            semaphore.release()


@dataclass
class Admission:
    requests: RateLimit
    expensive_requests: RateLimit
    lane: ExpensiveLane


_current: tuple[ServiceSettings, Admission] | None = None


def admission_for(config: ServiceSettings) -> Admission:
    """The worker's limits for `config`; made anew when the configuration object changes (tests do that)."""
    global _current
    if _current is None or _current[0] is not config:
        admission = Admission(
            requests=RateLimit(
                config.search_rate_limit,
                code="rate_limited",
                what="requests",
                storage_url=config.rate_limit_storage_url,
            ),
            expensive_requests=RateLimit(
                config.search_expensive_rate_limit,
                code="rate_limited",
                what="expensive queries",
                storage_url=config.rate_limit_storage_url,
            ),
            lane=ExpensiveLane(
                concurrency=config.search_expensive_concurrency,
                queue=config.search_expensive_queue,
                wait=config.search_expensive_wait,
            ),
        )
        _current = (config, admission)
    return _current[1]
