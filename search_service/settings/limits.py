"""Settings of what one caller and one connection may take: admission and rate limits (admission.py), and the
HTTP connection limits (protocol.py). Per worker process."""

from limits import parse_many
from pydantic import BaseModel, Field, field_validator

# What RATE_LIMIT_STORAGE_URL may start with (admission/storage.py): memory, or a Redis reached by the `redis` client.
RATE_LIMIT_STORAGE_SCHEMES = ("memory://", "redis://", "rediss://")


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
    # Above the 1,000-connection burst one worker carries in the benchmarks; kept below the file-descriptor limit.
    max_connections: int = Field(
        default=2_000,
        ge=1,
        le=1_000_000,
        description="Open connections per worker process; beyond, 503 `too_many_connections`. Lowered, with a "
        "warning, to the open-file limit minus the Elasticsearch pool minus 128.",
    )
    # Empty: every worker counts alone, in memory. A Redis: one count for the whole fleet (admission/storage.py).
    rate_limit_storage_url: str = Field(
        default="",
        description="Where the rate limits (`SEARCH_RATE_LIMIT`, `SEARCH_EXPENSIVE_RATE_LIMIT`, the API keys' "
        "own) count. Empty (or `memory://`): in each worker's memory, so each worker and replica counts alone. "
        "`redis://[:password@]host[:port][/db]` (or `rediss://` for TLS): one count across every worker and "
        "replica. If Redis fails or answers slower than 0.25 s, requests are let through uncounted "
        "(`search_rate_limit_storage_errors_total`, a warning a minute at most): "
        "[fleet-wide rate limits](security.md#fleet-wide-rate-limits).",
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

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _check_rate_limit_storage_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(RATE_LIMIT_STORAGE_SCHEMES):
            # Never the value itself: it may hold a password.
            raise ValueError("must be empty, memory://, or a Redis URL: redis://host:port/db, or rediss:// for TLS")
        return value
