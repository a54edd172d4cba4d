"""Settings of what the service keeps and tells: the database, search analytics, API keys, the access log and the
metrics."""

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator

from search_service.settings.values import empty_is_unset


class OperationsSettings(BaseModel):
    # The database (database.py) holds search analytics (analytics/) and API keys (keys/).
    database_url: SecretStr | None = Field(
        default=None,
        description="The database of search analytics and API keys: any Django database as a URL "
        "([dj-database-url](https://github.com/jazzband/dj-database-url): `postgres://user:pass@host/db`, "
        "`sqlite:///path`); unset, SQLite in `DATA_DIR`. The analytics reports need SQLite or PostgreSQL.",
    )
    data_dir: Path = Field(
        default=Path("data"),
        description="Where the SQLite file `search-service.sqlite3` lives when `DATABASE_URL` is unset; a relative "
        "path is under the project's root (`/app/data` in the image).",
    )
    search_analytics: bool = Field(
        default=True,
        description="Record every search ([search analytics](operations.md#search-analytics)), in batches off "
        "the request path; `false` writes nothing.",
    )
    search_analytics_query_text: bool = Field(
        default=True,
        description="Store each search's query text; `false` stores none (privacy): counts, latency, hits and "
        "filters only.",
    )
    analytics_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="The bearer token for `/analytics/*` (e.g. `openssl rand -hex 24`); unset, those endpoints "
        "answer 404 (an `admin` API key still reads them).",
    )
    search_analytics_buffer: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="Rows waiting for the database, per worker process; past this, new rows are dropped and "
        "counted (a search never waits).",
    )
    search_analytics_buffer_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=64 * 1024,
        le=1024 * 1024 * 1024,
        description="The same buffer's bound in bytes of memory (an estimate per row: ~1 KB and its text): while "
        "the database is slow, full or unavailable, a worker holds at most this much for it.",
    )
    search_analytics_batch: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="The rows are written once this many wait, or after `SEARCH_ANALYTICS_FLUSH_INTERVAL`.",
    )
    search_analytics_flush_interval: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="Seconds after which waiting rows are written, however few.",
    )
    analytics_report_timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="The database stops an `/analytics/*` report after this many seconds (504 `report_timeout`): "
        "reports run in a database thread of their own, so a long one delays no search and no key check.",
    )
    search_analytics_retention_days: int = Field(
        default=30,
        ge=1,
        le=3_650,
        description="Days of analytics `manage.py prune_analytics` keeps (its `--days` overrides this).",
    )

    # API keys (keys/).
    search_require_api_key: bool = Field(
        default=False,
        description="Every search, suggestion and document needs an [API key](security.md#api-keys). Off, a "
        "request without a key is served, and one with a key still has it checked (a wrong key is 401) and "
        "counted against the key's own rate limit. **On in the image** (Dockerfile); off elsewhere.",
    )
    api_key_cache_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3_600,
        description="How long a worker remembers a key it has checked (or found unknown): no database query for "
        "it meanwhile, and **a revocation takes effect within this time**. `0` looks up every request's key.",
    )
    api_key_lookup_timeout: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How long a request waits for the database to look up a key the worker has not cached. Past it "
        "(or if the database fails), a key seen lately is served from the cache (`API_KEY_STALE_SECONDS`) and an "
        "unknown one is answered 503 `api_keys_unavailable` with `Retry-After`: a stalled database never holds a "
        "request longer than this.",
    )
    api_key_stale_seconds: float = Field(
        default=3_600.0,
        ge=0,
        le=86_400,
        description="While the database is unavailable, how long past its `API_KEY_CACHE_SECONDS` a cached key "
        "still works (and a cached unknown key is still refused): callers seen lately keep searching through an "
        "outage. A revocation made during the outage takes effect when the database answers again.",
    )
    api_key_last_used_interval: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        description="A key's `last_used` is written at most once per this many seconds per worker, off the "
        "request path.",
    )
    tenant_token_max_ttl: float = Field(
        default=86_400.0,
        gt=0,
        le=31 * 86_400,
        description="The longest a tenant token may live (docs/tenant-tokens.md): a token whose `exp` is further "
        "ahead is refused, so that a leaked one stops working within this time even if its parent key is not "
        "revoked.",
    )
    # Off by default: probes send no key, and the document describes only what is public anyway.
    ready_requires_api_key: bool = Field(
        default=False, description="With `SEARCH_REQUIRE_API_KEY` on, `/ready` needs a key too (any valid key)."
    )
    docs_require_api_key: bool = Field(
        default=False,
        description="With `SEARCH_REQUIRE_API_KEY` on, the OpenAPI document (`/docs`, `/openapi.json`) needs a "
        "key too (any valid key).",
    )

    # The access log (access_log.py).
    search_access_log: bool = Field(
        default=True,
        description="One JSON line per request on stdout, and `X-Request-ID` ([logs](operations.md#logs)).",
    )
    search_access_log_query_text: bool = Field(
        default=False,
        description="Put the query text (`q` of `/search`, `prefix` of `/suggest`) in the access log; off by "
        "default because queries can be personal.",
    )

    # Prometheus metrics (metrics/).
    search_metrics: bool = Field(
        default=True, description="The Prometheus series and `/metrics` ([metrics](operations.md#metrics))."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="The bearer token for `/metrics`; an `admin` API key works too; neither: 404.",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65_535,
        description="Serve the metrics on this port instead, without credentials (by `scripts/serve`); `/metrics` "
        "on the API's port is then a 404. Keep that port on an internal network.",
    )

    _empty_is_unset = field_validator(
        "database_url", "analytics_token", "metrics_token", "metrics_port", mode="before"
    )(empty_is_unset)
