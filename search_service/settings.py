"""The service's configuration: one typed object read from the environment, validated once at startup."""

import re
from pathlib import Path
from typing import Annotated

from django.core.exceptions import ImproperlyConfigured
from elastic_transport.client_utils import parse_cloud_id
from limits import parse_many
from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# A field name as query_string accepts it, optionally boosted: `title`, `title^3`, `meta.*^0.5`.
_SEARCH_FIELD = re.compile(r"^[A-Za-z0-9_@.*-]+(\^\d+(\.\d+)?)?$")
_FIELD_PATTERN = re.compile(r"^[A-Za-z0-9_@.*-]+$")
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_@][A-Za-z0-9_@.-]*$")
_DEFAULT_HOSTS = [AnyHttpUrl("http://localhost:9200")]
# An origin as browsers send it in `Origin`: scheme, host and optional port, nothing after.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class ServiceSettings(BaseSettings):
    """Every environment variable the service reads. Field `x` is variable `X`."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    # Each field has a `description` (docs/configuration.md is generated from them by `make docs`) and a place in
    # SETTINGS_GROUPS below; tests/test_configuration_reference.py fails for a field without either.

    # The Elasticsearch connection (elastic.py).
    elasticsearch_hosts: Annotated[list[AnyHttpUrl], NoDecode] = Field(
        default=_DEFAULT_HOSTS,
        min_length=1,
        description="The Elasticsearch nodes' URLs, comma-separated (`https://es1:9200,https://es2:9200`). List "
        "every node: a request whose connection fails is retried on the next one "
        "([failure behaviour](operations.md#failure-behaviour)). Set this or `ELASTICSEARCH_CLOUD_ID`, not both.",
    )
    elasticsearch_cloud_id: str | None = Field(
        default=None,
        description="An Elastic Cloud deployment's Cloud ID (`name:base64…`, shown on the deployment's page in the "
        "console), instead of `ELASTICSEARCH_HOSTS`: the client decodes it to the deployment's HTTPS endpoint on "
        "port 443. Setting it with `ELASTICSEARCH_HOSTS` other than the default stops startup. Read at startup by the "
        "client's own parser, so a malformed id stops startup naming this variable.",
    )
    elasticsearch_index: str = Field(
        default="documents",
        min_length=1,
        description="The index or alias the service searches. `manage.py index` loads each new version of an "
        "index behind this name as an alias ([README](../README.md#your-own-index-in-five-minutes)). While it does "
        "not exist, the service runs and `/ready` answers 503 `index_unavailable`.",
    )
    elasticsearch_api_key: SecretStr | None = Field(
        default=None,
        description="An Elasticsearch API key for the service (the base64 `encoded` value Elasticsearch returns); "
        "give it `read` and `view_index_metadata` on the index and `monitor` on the cluster "
        "([how](operations.md#against-an-existing-cluster-elastic-cloud-or-your-own)). Excludes "
        "`ELASTICSEARCH_USERNAME`/`ELASTICSEARCH_PASSWORD`.",
    )
    elasticsearch_username: str | None = Field(
        default=None,
        description="Basic-auth user, set together with `ELASTICSEARCH_PASSWORD`; excludes `ELASTICSEARCH_API_KEY`.",
    )
    elasticsearch_password: SecretStr | None = Field(
        default=None, description="Basic-auth password, set together with `ELASTICSEARCH_USERNAME`."
    )
    elasticsearch_ca_certs: Path | None = Field(
        default=None,
        description="A CA bundle (PEM file) for nodes whose HTTPS certificates a private CA signed; the file must "
        "exist.",
    )
    elasticsearch_verify_certs: bool = Field(default=True, description="Verify the nodes' TLS certificates.")
    # A timeout is not retried (see elastic.py), so this is also the worst case a caller waits.
    elasticsearch_request_timeout: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="Seconds one attempt to reach Elasticsearch may take, kept to the millisecond; then 504 "
        "`elasticsearch_timeout`. A timeout is not retried, so this is also the longest a caller waits on "
        "Elasticsearch. Must be above `SEARCH_TIMEOUT`.",
    )
    elasticsearch_max_retries: int = Field(
        default=1,
        ge=0,
        le=10,
        description="Retries of a request after a connection error, on another node when there is one; never "
        "because of an answer's status, never after a timeout. A refused connection fails in microseconds, so a "
        "retry is cheap.",
    )
    # aiohttp's timeout includes the wait for a pooled connection, so this must cover a worker's concurrency.
    elasticsearch_connections_per_node: int = Field(
        default=128,
        ge=1,
        le=10_000,
        description="Connections to each node, per worker process. Set it to at least the number of searches one "
        "worker must carry at once: a search waiting for a free connection spends its timeout waiting "
        "([why](operations.md#timeouts-retries-and-the-connection-pool)).",
    )

    # Fields of the index, and what a request may ask for (query/). The defaults suit the demo index.
    search_fields: Annotated[list[str], NoDecode] = Field(
        default=["qualname^3", "name^3", "summary^2", "signature", "docstring"],
        min_length=1,
        description="The fields `q` searches, comma-separated, each with an optional `^boost` (`title^3,body`); "
        "patterns allowed (`meta.*^0.5`). **Mapping type: `text`**; a `keyword` field is allowed but matches only "
        "its whole value, case-sensitively (startup warns about it). Every name without `*` must be in the mapping.",
    )
    search_query_fields: Annotated[list[str], NoDecode] = Field(
        default=["module", "kind", "qualname", "name", "summary", "signature", "docstring"],
        min_length=1,
        description="The fields a query may name (`field:value`, `_exists_:field`), comma-separated; patterns "
        "allowed (`meta.*`), `*` allows any. Any other field, `_id`, a sub-field (`title.raw`) or a metadata field "
        "in `q` is refused with 400 `field_not_allowed`. **Mapping type: `text`**; `keyword` is allowed (matched "
        "whole and case-sensitively; startup warns about it).",
    )
    search_source_fields: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="The `_source` fields a hit and `/documents/{id}` return, comma-separated (patterns allowed: "
        "`meta.*`); empty returns the whole document. Set it so that internal fields never leave the service. "
        "**Mapping: each must be a field present in the mapping.**",
    )
    search_max_size: int = Field(
        default=100, ge=1, le=10_000, description="The largest `size` (hits per page) a search may ask for."
    )
    search_filter_fields: Annotated[list[str], NoDecode] = Field(
        default=["module", "kind", "popularity"],
        description="The fields `filter=` may name, comma-separated exact names (no patterns); empty turns "
        "filtering off. A filter's value is checked by the field's type ([filters](api.md#filters)). **Mapping "
        "type: `keyword`, a numeric type, `date`, `boolean` or `ip`.**",
    )
    search_facet_fields: Annotated[list[str], NoDecode] = Field(
        default=["module", "kind"],
        description="The fields `facets=` (and `stats=`) may name, comma-separated exact names; empty turns facets "
        "off. **Mapping type: aggregatable: `keyword`, a numeric type, `date` or `boolean`** (not `text`).",
    )
    search_sort_fields: Annotated[list[str], NoDecode] = Field(
        default=["module", "kind", "popularity", "qualname.raw"],
        description="The fields `sort=` may name besides `score`, comma-separated exact names; empty leaves only "
        "relevance. **Mapping type: sortable: `keyword`, a numeric type, `date` or `boolean`.**",
    )
    search_rank_field: str = Field(
        default="popularity",
        description="The numeric field [custom ranking](api.md#custom-ranking) mixes into relevance; `-field` "
        "when lower is better (a rank position); empty turns custom ranking off. **Mapping type: numeric.**",
    )
    search_suggest_field: str = Field(
        default="qualname.raw",
        description="The field [`/suggest`](api.md#suggestions) completes; empty turns `/suggest` off "
        "(404 `suggest_disabled`). **Mapping type: `keyword` (or `text`)**; no `completion` mapping is needed.",
    )
    search_max_filters: int = Field(
        default=16, ge=1, le=64, description="How many `filter` parameters one search may send."
    )
    search_max_facet_size: int = Field(
        default=100, ge=1, le=1_000, description="The largest `facet_size` (values per facet) a search may ask for."
    )
    search_suggest_max_size: int = Field(
        default=20, ge=1, le=100, description="The largest `size` a `/suggest` request may ask for."
    )
    search_track_total_hits: int = Field(
        default=10_000,
        ge=0,
        le=1_000_000,
        description="Totals are counted exactly up to this many hits, then reported as a lower bound "
        "(`total.relation` `gte`): counting costs time on large result sets.",
    )
    search_cursor_keep_alive: int = Field(
        default=120,
        ge=10,
        le=3_600,
        description="Seconds a `next` cursor stays valid after its page: the point in time it reads is kept open "
        "that long in Elasticsearch ([deep paging](api.md#deep-paging)).",
    )
    search_did_you_mean_below: int = Field(
        default=3,
        ge=-1,
        le=1_000,
        description='"Did you mean" suggestions when a first page finds at most this many hits, at the cost of '
        "one more request to Elasticsearch ([did you mean](api.md#did-you-mean)); `-1` turns them off.",
    )

    # The cost policy (query/policy.py): what one query may ask of Elasticsearch.
    search_allow_regex: bool = Field(
        default=False,
        description="Allow regular expressions (`/.../`) in `q`; off, they are refused with 400 `regex_not_allowed`.",
    )
    search_max_clauses: int = Field(
        default=32,
        ge=1,
        le=1_024,
        description="The most terms, phrases and ranges one query may hold (400 `too_many_clauses`).",
    )
    search_max_depth: int = Field(
        default=6, ge=1, le=50, description="The deepest nesting of parentheses in a query (400 `query_too_deep`)."
    )
    search_max_wildcard_terms: int = Field(
        default=3,
        ge=0,
        le=50,
        description="The most `*`/`?` terms (regular expressions included) in one query (400 `too_many_wildcards`).",
    )
    search_min_wildcard_prefix: int = Field(
        default=2,
        ge=1,
        le=50,
        description="The characters a wildcard term needs before its first `*` or `?` (400 "
        "`wildcard_prefix_too_short`): a short prefix walks most of the term dictionary.",
    )
    search_max_fuzzy_terms: int = Field(
        default=3, ge=0, le=50, description="The most fuzzy terms (`jsn~`) in one query (400 `too_many_fuzzy_terms`)."
    )
    search_max_fuzzy_edits: int = Field(
        default=2,
        ge=0,
        le=2,  # Elasticsearch allows no more than 2
        description="The largest edit distance of a fuzzy term (`jsn~2`), and what a bare `jsn~` means (400 "
        "`fuzzy_distance_too_large`). Elasticsearch allows no more than 2.",
    )
    search_max_phrase_slop: int = Field(
        default=10,
        ge=0,
        le=1_000,
        description='The largest slop of a phrase (`"a b"~10`) (400 `phrase_slop_too_large`).',
    )
    search_timeout: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="Seconds after which Elasticsearch stops collecting hits and answers with what it has (200 "
        "with `timed_out: true`). Must be below `ELASTICSEARCH_REQUEST_TIMEOUT`, so that a slow search answers with "
        "partial results instead of failing.",
    )
    search_highlight_max_chars: int = Field(
        default=10_000,
        ge=100,
        le=1_000_000,
        description="How many characters of each field highlighting may analyse per hit "
        "(`max_analyzed_offset`): highlighting is most of what a costly query costs.",
    )

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

    # The search page (page.py).
    search_page: bool = Field(
        default=True,
        description="The search page at `/`, for trying the service; `false` where only the API should answer "
        "(`/` is then a 404; the page's static files stay, they reveal nothing).",
    )

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
    api_key_last_used_interval: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        description="A key's `last_used` is written at most once per this many seconds per worker, off the "
        "request path.",
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

    # Web: CORS (django-cors-headers), allowed hosts and the secret key (config/settings.py).
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Browser origins (`https://app.example.com`), comma-separated, whose pages may call the API "
        "([CORS](security.md#browsers-cors-and-security-headers)); empty: none.",
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

    django_secret_key: SecretStr = Field(
        default=SecretStr("insecure-development-key-change-me"),
        description="Django's secret key; it signs the `next` cursors, so every replica needs the same one. **Set "
        "a random one in production.**",
    )
    django_debug: bool = Field(default=False, description="Django's debug mode; never on in production.")
    django_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=["localhost", "127.0.0.1", "[::1]"],
        description="The host names the service answers for, comma-separated (`Host` header; others get 400 "
        "`invalid_host`, except `/health` and `/ready`). Must not be empty unless `DJANGO_DEBUG` is on.",
    )

    _split_lists = field_validator(
        "elasticsearch_hosts",
        "search_fields",
        "search_query_fields",
        "search_source_fields",
        "search_filter_fields",
        "search_facet_fields",
        "search_sort_fields",
        "django_allowed_hosts",
        "cors_allowed_origins",
        mode="before",
    )(_split_commas)

    @field_validator("database_url", "analytics_token", "metrics_token", "metrics_port", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # Compose passes `${ANALYTICS_TOKEN:-}` through as an empty string when the operator set nothing.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("search_fields")
    @classmethod
    def _check_search_fields(cls, fields: list[str]) -> list[str]:
        for field in fields:
            if not _SEARCH_FIELD.match(field):
                raise ValueError(f"{field!r} is not a field name with an optional ^boost, e.g. 'title^3'")
        return fields

    @field_validator("search_query_fields", "search_source_fields")
    @classmethod
    def _check_field_patterns(cls, fields: list[str]) -> list[str]:
        for field in fields:
            if not _FIELD_PATTERN.match(field):
                raise ValueError(f"{field!r} is not a field name or pattern, e.g. 'title' or 'meta.*'")
        return fields

    @field_validator("search_filter_fields", "search_facet_fields", "search_sort_fields")
    @classmethod
    def _check_exact_fields(cls, fields: list[str]) -> list[str]:
        for field in fields:
            if not _FIELD_NAME.match(field):
                raise ValueError(f"{field!r} is not a field name, e.g. 'category' or 'meta.year' (no patterns)")
        return fields

    @field_validator("search_rank_field", "search_suggest_field")
    @classmethod
    def _check_optional_field(cls, field: str, info: ValidationInfo) -> str:
        field = field.strip()
        name = field.removeprefix("-") if info.field_name == "search_rank_field" else field
        if field and not _FIELD_NAME.match(name):
            raise ValueError(f"{field!r} is not a field name, e.g. 'popularity' (or '-rank' when lower is better)")
        return field

    @field_validator("search_rate_limit", "search_expensive_rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        if value.strip():
            try:
                parse_many(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a rate limit such as '20/second;600/minute'") from None
        return value.strip()

    @field_validator("cors_allowed_origins")
    @classmethod
    def _check_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if not _ORIGIN.match(origin):
                raise ValueError(f"{origin!r} is not an origin: scheme and host, e.g. 'https://app.example.com'")
        return origins

    @field_validator("elasticsearch_cloud_id")
    @classmethod
    def _check_cloud_id(cls, cloud_id: str | None) -> str | None:
        if cloud_id is None:
            return None
        # The client's own parser, so that what passes here is what the client accepts at the first request.
        try:
            address = parse_cloud_id(cloud_id.strip()).es_address
        except ValueError:
            raise ValueError(
                "not an Elastic Cloud ID: copy the deployment's `name:base64` id from its console"
            ) from None
        if address is None:
            raise ValueError("this Elastic Cloud ID names no Elasticsearch address")
        return cloud_id.strip()

    @field_validator("elasticsearch_ca_certs")
    @classmethod
    def _check_ca_certs_exist(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"no such file: {path}")
        return path

    @model_validator(mode="after")
    def _check_one_way_to_authenticate(self) -> "ServiceSettings":
        if self.elasticsearch_cloud_id is not None and self.elasticsearch_hosts != _DEFAULT_HOSTS:
            raise ValueError("set ELASTICSEARCH_CLOUD_ID or ELASTICSEARCH_HOSTS, not both")
        if (self.elasticsearch_username is None) != (self.elasticsearch_password is None):
            raise ValueError("ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD must be set together")
        if self.elasticsearch_api_key is not None and self.elasticsearch_username is not None:
            raise ValueError("set ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/PASSWORD, not both")
        if not self.django_debug and not self.django_allowed_hosts:
            raise ValueError(
                "DJANGO_ALLOWED_HOSTS must name the host names the service answers for (DJANGO_DEBUG is off)"
            )
        if self.search_timeout >= self.elasticsearch_request_timeout:
            raise ValueError(
                "SEARCH_TIMEOUT must be below ELASTICSEARCH_REQUEST_TIMEOUT, so that a slow search answers "
                "with partial results instead of failing"
            )
        return self


# The sections of docs/configuration.md, in order, each with its fields in order. Every field of ServiceSettings is
# in exactly one (tests/test_configuration_reference.py), so a new setting must be placed here.
SETTINGS_GROUPS: dict[str, tuple[str, ...]] = {
    "Elasticsearch connection": (
        "elasticsearch_hosts",
        "elasticsearch_cloud_id",
        "elasticsearch_index",
        "elasticsearch_api_key",
        "elasticsearch_username",
        "elasticsearch_password",
        "elasticsearch_ca_certs",
        "elasticsearch_verify_certs",
        "elasticsearch_request_timeout",
        "elasticsearch_max_retries",
        "elasticsearch_connections_per_node",
    ),
    "Fields of the index": (
        "search_fields",
        "search_query_fields",
        "search_source_fields",
        "search_filter_fields",
        "search_facet_fields",
        "search_sort_fields",
        "search_rank_field",
        "search_suggest_field",
    ),
    "Search features": (
        "search_max_size",
        "search_max_filters",
        "search_max_facet_size",
        "search_suggest_max_size",
        "search_track_total_hits",
        "search_cursor_keep_alive",
        "search_did_you_mean_below",
    ),
    "Query cost policy": (
        "search_allow_regex",
        "search_max_clauses",
        "search_max_depth",
        "search_max_wildcard_terms",
        "search_min_wildcard_prefix",
        "search_max_fuzzy_terms",
        "search_max_fuzzy_edits",
        "search_max_phrase_slop",
        "search_timeout",
        "search_highlight_max_chars",
    ),
    "Admission and rate limits": (
        "search_expensive_concurrency",
        "search_expensive_queue",
        "search_expensive_wait",
        "search_rate_limit",
        "search_expensive_rate_limit",
        "search_refusal_delay",
    ),
    "HTTP connections": ("header_read_timeout", "max_header_bytes", "max_connections"),
    "Search page": ("search_page",),
    "Database and analytics": (
        "database_url",
        "data_dir",
        "search_analytics",
        "search_analytics_query_text",
        "analytics_token",
        "search_analytics_buffer",
        "search_analytics_batch",
        "search_analytics_flush_interval",
        "search_analytics_retention_days",
    ),
    "API keys": (
        "search_require_api_key",
        "api_key_cache_seconds",
        "api_key_last_used_interval",
        "ready_requires_api_key",
        "docs_require_api_key",
    ),
    "Web: CORS, hosts and secret key": (
        "cors_allowed_origins",
        "django_secret_key",
        "django_debug",
        "django_allowed_hosts",
    ),
    "Logs": ("search_access_log", "search_access_log_query_text"),
    "Metrics": ("search_metrics", "metrics_token", "metrics_port"),
}


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, each naming the environment variable, never echoing the value (it may be secret)."""
    lines = []
    for problem in error.errors():
        if problem["loc"]:
            lines.append(f"{str(problem['loc'][0]).upper()}: {problem['msg']}")
        else:  # a check across variables; its message names them
            lines.append(problem["msg"].removeprefix("Value error, "))
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings() -> ServiceSettings:
    """Read the environment once; a bad value stops startup with a message naming the variable."""
    try:
        return ServiceSettings()
    except ValidationError as error:
        raise ImproperlyConfigured(describe_validation_error(error)) from None
