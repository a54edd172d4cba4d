"""Settings of what one caller and one connection may take: admission and rate limits (admission.py), and the
HTTP connection limits (protocol.py). Per worker process."""

from limits import parse_many
from pydantic import BaseModel, Field, field_validator, model_validator

# What RATE_LIMIT_STORAGE_URL may start with (admission/storage.py): memory, or a Redis reached by the `redis` client.
RATE_LIMIT_STORAGE_SCHEMES = ("memory://", "redis://", "rediss://")


class LimitSettings(BaseModel):
    # Fair admission (admission/), per worker process.
    search_admission: bool = Field(
        default=True,
        description="Fair admission: work in flight to Elasticsearch is limited by its latency, and callers "
        "(an API key, else an address) wait in queues served in turn, weighted by each request's estimated cost. "
        "A caller alone may use all the capacity. `false` sends every ordinary search at once (the expensive "
        "lane stays). [How it works](security.md#3-isolation-between-callers).",
    )
    # The floor keeps Elasticsearch's threads busy when latency is noisy; the ceiling lets the seed's burst of
    # 1,000 slow searches through at once (the limit starts there and falls only when latency rises).
    search_concurrency_min: float = Field(
        default=8,
        ge=1,
        le=100_000,
        description="The least work in flight to Elasticsearch the adaptive limit falls to, per worker process, in "
        "units of an ordinary search (a costly one counts for more).",
    )
    search_concurrency_max: float = Field(
        default=2_000,
        ge=1,
        le=100_000,
        description="The most work in flight to Elasticsearch, per worker process, in units of an ordinary search; "
        "where the adaptive limit starts. The connection pool (`ELASTICSEARCH_CONNECTIONS_PER_NODE` per node) "
        "bounds it too.",
    )
    search_queue_per_caller: int = Field(
        default=1_000,
        ge=0,
        le=100_000,
        description="Requests of one caller that may wait for a turn, per worker process; beyond, 429 "
        "`overloaded` with `Retry-After`.",
    )
    search_queue_wait: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="Seconds a request may wait for its turn before it is refused with 429 `overloaded`.",
    )
    # The expensive lane, per worker process: a cost of 8 ordinary searches or more (admission/cost.py) runs at
    # most this many at a time, the rest wait up to SEARCH_EXPENSIVE_WAIT seconds, SEARCH_EXPENSIVE_QUEUE a caller.
    search_expensive_concurrency: int = Field(
        default=1,
        ge=1,
        le=1_000,
        description="Expensive queries (a wildcard, fuzzy, regex or range term, a runtime field, opening a cursor, "
        "or many clauses, hits, facets and depth at once: [which](security.md#3-isolation-between-callers)) "
        "running at once, per worker process, served in turn between callers. Keep "
        "workers × this below Elasticsearch's search thread pool (`int(cores × 3 / 2) + 1` per node).",
    )
    search_expensive_queue: int = Field(
        default=32,
        ge=0,
        le=10_000,
        description="Expensive queries of one caller that may wait for a turn, per worker process; beyond, 429 "
        "`too_many_expensive_queries`.",
    )
    search_expensive_wait: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="Seconds an expensive query waits for a turn before it is refused with 429 "
        "`too_many_expensive_queries`.",
    )
    # Rate limits are policy, not protection (fair admission protects): off by default, as in Algolia, Typesense
    # and Meilisearch, because a fixed rate refuses a backend's honest burst while Elasticsearch sits idle.
    search_rate_limit: str = Field(
        default="",
        description="Requests per client, per worker process, in [limits](https://limits.readthedocs.io/) "
        "notation (`20/second;600/minute`), on every path but `/health` and `/ready`; over it, 429 `rate_limited` "
        "with `Retry-After`. A client is its API key (whose own `--rate-limit` applies instead), else its address "
        "(an IPv6 client is its /64). Empty (the default): no limit. Set it to cap what an anonymous caller may "
        "take even when capacity is free (a public endpoint billed per search).",
    )
    search_expensive_rate_limit: str = Field(
        default="",
        description="Expensive queries per client, per worker process, in the same notation (429 "
        "`rate_limited`). Empty (the default): no limit beyond the expensive lane's turns.",
    )
    # Abandoned points in time live out their keep-alive and Elasticsearch 8 has no cap on them (issue 19), so
    # openings per keep-alive are, near enough, the points in time a caller holds open on each worker. 500 is a
    # backend walking four new searches a second for all its users from one address; Elasticsearch's own default
    # for scroll contexts (search.max_open_scroll_context) is 500 per node.
    search_cursor_max_open: int = Field(
        default=500,
        ge=1,
        le=100_000,
        description="Points in time one caller may open per `SEARCH_CURSOR_KEEP_ALIVE`, per worker process (each "
        "first step of a [cursor walk](api.md#deep-paging) opens one; replays of one cursor share it); beyond, 429 "
        "`too_many_cursors` with `Retry-After`.",
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

    @model_validator(mode="after")
    def _check_concurrency_bounds(self) -> "LimitSettings":
        if self.search_concurrency_min > self.search_concurrency_max:
            raise ValueError(
                f"SEARCH_CONCURRENCY_MIN ({self.search_concurrency_min:g}) is above SEARCH_CONCURRENCY_MAX "
                f"({self.search_concurrency_max:g})"
            )
        return self

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _check_rate_limit_storage_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(RATE_LIMIT_STORAGE_SCHEMES):
            # Never the value itself: it may hold a password.
            raise ValueError("must be empty, memory://, or a Redis URL: redis://host:port/db, or rediss:// for TLS")
        return value
