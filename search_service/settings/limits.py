"""Settings of what one caller and one connection may take: admission and rate limits (admission.py), and the
HTTP connection limits (protocol.py). Per worker process."""

from limits import parse_many
from pydantic import BaseModel, Field, field_validator


class LimitSettings(BaseModel):
    # Isolation (admission.py), per worker process: term-expanding or large queries run at most this many
    # at a time, the rest wait up to SEARCH_EXPENSIVE_WAIT seconds in a queue of SEARCH_EXPENSIVE_QUEUE.
    search_expensive_concurrency: int = Field(
        default=1,
        ge=1,
        le=1_000,
        description="Expensive queries (a wildcard, fuzzy, regex or range term, many clauses, a large `size` or "
        "a deep page: [which](security.md#3-isolation-between-callers)) running at once, per worker process. Keep "
        "workers × this below Elasticsearch's search thread pool (`int(cores × 3 / 2) + 1` per node).",
    )
    search_expensive_queue: int = Field(
        default=32,
        ge=0,
        le=10_000,
        description="Expensive queries that may wait for a turn, per worker process; beyond, 429 "
        "`too_many_expensive_queries`.",
    )
    search_expensive_wait: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="Seconds an expensive query waits for a turn before it is refused with 429 "
        "`too_many_expensive_queries`.",
    )
    search_rate_limit: str = Field(
        default="20/second;600/minute",
        description="Requests per client, per worker process, in [limits](https://limits.readthedocs.io/) "
        "notation, on every path but `/health` and `/ready`; over it, 429 `rate_limited` with `Retry-After`. A "
        "client is its API key (whose own `--rate-limit` replaces this), else its address (an IPv6 client is its "
        "/64). Empty turns it off.",
    )
    search_expensive_rate_limit: str = Field(
        default="2/second;60/minute",
        description="Expensive queries per client, per worker process, in the same notation (429 "
        "`rate_limited`). Empty turns it off.",
    )
    search_refusal_delay: float = Field(
        default=1.0,
        ge=0,
        le=30,
        description="Seconds every 429 is held back (at most its `Retry-After`; 0 answers at once), so that a "
        "client retrying at once costs the worker an idle connection instead of a core's worth of refusals.",
    )

    # Connection limits, enforced by search_service.protocol (per worker process).
    # A client sends its request head in one packet; 5 s leaves room for two lost packets (TCP retries at 1 s, 2 s).
    header_read_timeout: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="Seconds a client has to send a complete request head, from when the connection opens or, on "
        "a kept-alive connection, from the next request's first byte; then 408 `request_timeout`. Enforced by "
        "`scripts/serve` (the image), not by `make dev`'s plain uvicorn.",
    )
    # The longest valid URL is ~12 KB (1,000 4-byte characters of `q`, percent-encoded); the rest is for headers.
    max_header_bytes: int = Field(
        default=32_768,
        ge=1_024,
        le=1_048_576,
        description="The largest request head (request line plus headers), in bytes; beyond, 431 "
        "`headers_too_large`. The longest valid URL is about 12 KB.",
    )
    # An idle connection is closed by whichever side's timer ends first; if it is the server's, a client may be
    # reusing the connection at that very moment and lose its request (RFC 9112 section 9.6). Longer than the
    # clients' pools (httpx 5 s, aiohttp 15 s) and the proxies' idle timeouts (nginx upstream and AWS ALB 60 s),
    # so that they close first; nginx's own default. An idle connection costs a descriptor, counted by MAX_CONNECTIONS.
    keep_alive_timeout: float = Field(
        default=75.0,
        gt=0,
        le=3_600,
        description="Seconds an idle kept-alive connection stays open for the client's next request. Keep it above "
        "the idle timeout of the clients' pools and of any proxy or load balancer in front (60 s for nginx and AWS "
        "ALB), so that they close idle connections first: a connection the server closes just as a client reuses "
        "it loses that request unanswered. Enforced by `scripts/serve` (uvicorn's own default is 5 s).",
    )
    # Above the 1,000-connection burst one worker carries in the benchmarks; kept below the file-descriptor limit.
    max_connections: int = Field(
        default=2_000,
        ge=1,
        le=1_000_000,
        description="Open connections per worker process; beyond, 503 `too_many_connections`. Lowered, with a "
        "warning, to the open-file limit minus the Elasticsearch pool minus 128.",
    )

    @field_validator("search_rate_limit", "search_expensive_rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        if value.strip():
            try:
                parse_many(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a rate limit such as '20/second;600/minute'") from None
        return value.strip()
