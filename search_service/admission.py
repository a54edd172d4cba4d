"""Who gets in, and when: a per-client rate limit, and a bounded lane for expensive queries.

Both are per worker process, held in memory (the `limits` library's in-memory storage: microseconds, no I/O,
so it is called straight from the event loop). With WEB_CONCURRENCY workers a client may reach the rate limit
once per worker, and each worker runs its own lane; scale the settings to the workers and replicas you run.
"""

import asyncio
import ipaddress
import math
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

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
# IPv6 clients get a whole /64 each from their provider, so one address per /64 is one client.
IPV6_CLIENT_PREFIX = 64
# What the limits count for a request with a verified API key: `key:<prefix>`, whatever address it comes from.
KEY_IDENTITY = "key:"


class Refused(Exception):
    """A request turned away with 429; `retry_after` in whole seconds."""

    def __init__(self, code: str, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after


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
            admission.expensive_requests.hit(client)
            await turn.enter_async_context(admission.lane.enter())
        except Refused as refused:
            await delay_refusal(refused, config.search_refusal_delay)
            raise
        yield


async def delay_refusal(refused: Refused, delay: float) -> None:
    """Hold a refusal back `delay` seconds (at most its Retry-After) before it is answered.

    Refusing is cheap but not free: a client that retries at once on 50 connections got ~1,900 refusals a
    second and a whole core of the worker (make bench, attack scenario), slowing everyone else. Waiting costs
    nothing but an open connection, and a well-behaved client waits Retry-After anyway."""
    if delay > 0:
        await asyncio.sleep(min(delay, refused.retry_after))


def client_key(address: str | None) -> str:
    """The identity a rate limit counts: the client's address (already taken from X-Forwarded-For by uvicorn
    when the peer is a trusted proxy), IPv6 addresses grouped by /64."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(parsed)


@lru_cache(maxsize=256)
def parse_rate_limit(spec: str) -> tuple[RateLimitItem, ...]:
    """`limits` notation (`20/second;600/minute`) parsed once; '' is no limit. Keys carry their own (keys/)."""
    return tuple(parse_many(spec)) if spec else ()


class RateLimit:
    """`limits` notation (`20/second;600/minute`): every window must have room for the request."""

    def __init__(self, spec: str, *, code: str, what: str) -> None:
        self.items: Sequence[RateLimitItem] = parse_rate_limit(spec)
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.code = code
        self.what = what

    def hit(self, client: str, items: Sequence[RateLimitItem] | None = None) -> None:
        """Count a request of `client` against `items` (an API key's own budget), or else this limit's."""
        for item in self.items if items is None else items:
            if not self.limiter.hit(item, client):
                reset_at = self.limiter.get_window_stats(item, client).reset_time
                retry_after = max(1, math.ceil(reset_at - time.time()))
                raise Refused(
                    self.code,
                    f"more than {item.amount} {self.what} in {item.multiples} {item.GRANULARITY.name}(s) "
                    f"from this {'API key' if client.startswith(KEY_IDENTITY) else 'client'}; "
                    f"retry after {retry_after} s",
                    retry_after,
                )


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
            requests=RateLimit(config.search_rate_limit, code="rate_limited", what="requests"),
            expensive_requests=RateLimit(
                config.search_expensive_rate_limit, code="rate_limited", what="expensive queries"
            ),
            lane=ExpensiveLane(
                concurrency=config.search_expensive_concurrency,
                queue=config.search_expensive_queue,
                wait=config.search_expensive_wait,
            ),
        )
        _current = (config, admission)
    return _current[1]
