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

    elasticsearch_hosts: Annotated[list[AnyHttpUrl], NoDecode] = Field(default=_DEFAULT_HOSTS, min_length=1)
    # An Elastic Cloud deployment's id (`name:base64`), instead of ELASTICSEARCH_HOSTS; the client decodes it.
    elasticsearch_cloud_id: str | None = None
    elasticsearch_index: str = Field(default="documents", min_length=1)
    elasticsearch_api_key: SecretStr | None = None
    elasticsearch_username: str | None = None
    elasticsearch_password: SecretStr | None = None
    elasticsearch_ca_certs: Path | None = None
    elasticsearch_verify_certs: bool = True
    # Per attempt. A timeout is not retried (see elastic.py), so this is also the worst case a caller waits.
    elasticsearch_request_timeout: float = Field(default=5.0, gt=0, le=300)
    # Retries only on connection errors; a refused connection fails in microseconds, so retrying is cheap.
    elasticsearch_max_retries: int = Field(default=1, ge=0, le=10)
    # aiohttp's timeout includes the wait for a pooled connection, so this must cover a worker's concurrency.
    elasticsearch_connections_per_node: int = Field(default=128, ge=1, le=10_000)

    search_fields: Annotated[list[str], NoDecode] = Field(
        default=["qualname^3", "name^3", "summary^2", "signature", "docstring"], min_length=1
    )
    # Fields a query may name (`field:value`, `_exists_:field`); `*` allows any.
    search_query_fields: Annotated[list[str], NoDecode] = Field(
        default=["module", "kind", "qualname", "name", "summary", "signature", "docstring"], min_length=1
    )
    # Which `_source` fields a hit returns; empty returns the whole document.
    search_source_fields: Annotated[list[str], NoDecode] = []
    search_max_size: int = Field(default=100, ge=1, le=10_000)

    # What a request may filter, facet and sort on (exact field names; keyword, numeric or date fields), the
    # numeric field custom ranking mixes into relevance (`-field` when lower is better) and the field /suggest
    # completes. Empty turns the feature off. Defaults suit the demo index. README, "Search parameters".
    search_filter_fields: Annotated[list[str], NoDecode] = ["module", "kind", "popularity"]
    search_facet_fields: Annotated[list[str], NoDecode] = ["module", "kind"]
    search_sort_fields: Annotated[list[str], NoDecode] = ["module", "kind", "popularity", "qualname.raw"]
    search_rank_field: str = "popularity"
    search_suggest_field: str = "qualname.raw"
    search_max_filters: int = Field(default=16, ge=1, le=64)
    search_max_facet_size: int = Field(default=100, ge=1, le=1_000)
    search_suggest_max_size: int = Field(default=20, ge=1, le=100)
    # Totals are counted exactly up to this many hits, then reported as `gte` (counting costs time).
    search_track_total_hits: int = Field(default=10_000, ge=0, le=1_000_000)
    # How long, in seconds, a `next` cursor stays valid after its page (the point in time it reads is kept open).
    search_cursor_keep_alive: int = Field(default=120, ge=10, le=3_600)
    # "Did you mean": suggestions when a search finds at most this many hits; -1 turns them off.
    search_did_you_mean_below: int = Field(default=3, ge=-1, le=1_000)

    # The cost policy (query/policy.py): what one query may ask of Elasticsearch. README, "Hostile input".
    search_allow_regex: bool = False
    search_max_clauses: int = Field(default=32, ge=1, le=1_024)
    search_max_depth: int = Field(default=6, ge=1, le=50)
    search_max_wildcard_terms: int = Field(default=3, ge=0, le=50)
    search_min_wildcard_prefix: int = Field(default=2, ge=1, le=50)
    search_max_fuzzy_terms: int = Field(default=3, ge=0, le=50)
    search_max_fuzzy_edits: int = Field(default=2, ge=0, le=2)  # Elasticsearch allows no more than 2
    search_max_phrase_slop: int = Field(default=10, ge=0, le=1_000)
    # Elasticsearch stops collecting hits after this long and answers with what it has (`timed_out`).
    search_timeout: float = Field(default=2.0, gt=0, le=300)
    # How many characters of a field highlighting may analyse per hit.
    search_highlight_max_chars: int = Field(default=10_000, ge=100, le=1_000_000)

    # Isolation (admission.py), per worker process: term-expanding or large queries run at most this many
    # at a time, the rest wait up to SEARCH_EXPENSIVE_WAIT seconds in a queue of SEARCH_EXPENSIVE_QUEUE.
    search_expensive_concurrency: int = Field(default=1, ge=1, le=1_000)
    search_expensive_queue: int = Field(default=32, ge=0, le=10_000)
    search_expensive_wait: float = Field(default=2.0, ge=0, le=60)
    # Per client address (or network for IPv6), per worker process; `limits` notation, empty turns it off.
    search_rate_limit: str = "20/second;600/minute"
    search_expensive_rate_limit: str = "2/second;60/minute"
    # A 429 is answered after this many seconds (at most its Retry-After): a client that ignores Retry-After
    # and retries at once then costs the worker an idle connection instead of a core's worth of refusals.
    search_refusal_delay: float = Field(default=1.0, ge=0, le=30)

    # Connection limits, enforced by search_service.protocol (per worker process).
    # A client sends its request head in one packet; 5 s leaves room for two lost packets (TCP retries at 1 s, 2 s).
    header_read_timeout: float = Field(default=5.0, gt=0, le=300)
    # The longest valid URL is ~12 KB (1,000 4-byte characters of `q`, percent-encoded); the rest is for headers.
    max_header_bytes: int = Field(default=32_768, ge=1_024, le=1_048_576)
    # Above the 1,000-connection burst one worker carries in the benchmarks; kept below the file-descriptor limit.
    max_connections: int = Field(default=2_000, ge=1, le=1_000_000)

    # The search page at `/` (search_service/page.py): on for trying the service, off where only the API
    # should answer (then `/` is a 404; the page's static files stay, they reveal nothing).
    search_page: bool = True

    # The database (search analytics): any Django database as a URL (dj-database-url: postgres://..., sqlite:///...);
    # unset, SQLite in DATA_DIR (a relative DATA_DIR is under the project's root).
    database_url: SecretStr | None = None
    data_dir: Path = Path("data")
    # Search analytics (analytics/): every search recorded, in batches off the request path. README, "Analytics".
    search_analytics: bool = True
    search_analytics_query_text: bool = True  # false: no query text is stored (privacy)
    # The bearer token for /analytics/*; unset, those endpoints answer 404.
    analytics_token: SecretStr | None = Field(default=None, min_length=16)
    # Rows waiting for the database, per worker; past this, new rows are dropped and counted (a search never waits).
    search_analytics_buffer: int = Field(default=10_000, ge=1, le=1_000_000)
    search_analytics_batch: int = Field(default=500, ge=1, le=10_000)  # written once this many wait ...
    search_analytics_flush_interval: float = Field(default=1.0, gt=0, le=60)  # ... or after this many seconds
    search_analytics_retention_days: int = Field(default=30, ge=1, le=3_650)  # manage.py prune_analytics

    # API keys (keys/), README "API keys". Off: a request without a key is served, one with a key has it checked
    # (and counted against the key's own rate limit). The image turns it on (Dockerfile).
    search_require_api_key: bool = False
    # A verified (or unknown) key is remembered this long per worker: no database query for it meanwhile, and a
    # revocation takes effect within this time. 0: every request with a key is looked up.
    api_key_cache_seconds: float = Field(default=30.0, ge=0, le=3_600)
    # A key's `last_used` is written at most once per this many seconds per worker, off the request path.
    api_key_last_used_interval: float = Field(default=60.0, gt=0, le=86_400)
    # With SEARCH_REQUIRE_API_KEY on, whether /ready and the OpenAPI document (/docs, /openapi.json) need a key too
    # (any valid key). Off by default: probes send no key, and the document describes only what is public anyway.
    ready_requires_api_key: bool = False
    docs_require_api_key: bool = False

    # Browser origins (`https://app.example.com`) allowed to call the API from their pages (CORS); empty: none.
    cors_allowed_origins: Annotated[list[str], NoDecode] = []

    # One JSON line per request on stdout (access_log.py), README "Logs". The query text (`q`, `prefix`) goes in
    # only when SEARCH_ACCESS_LOG_QUERY_TEXT says so: queries can be personal.
    search_access_log: bool = True
    search_access_log_query_text: bool = False

    # Prometheus metrics (metrics/), README "Metrics". /metrics answers `Authorization: Bearer <METRICS_TOKEN>` or
    # an admin API key; with METRICS_PORT set, it is served on that port instead, without credentials (scripts/serve).
    search_metrics: bool = True
    metrics_token: SecretStr | None = Field(default=None, min_length=16)
    metrics_port: int | None = Field(default=None, ge=1, le=65_535)

    django_secret_key: SecretStr = SecretStr("insecure-development-key-change-me")
    django_debug: bool = False
    django_allowed_hosts: Annotated[list[str], NoDecode] = ["localhost", "127.0.0.1", "[::1]"]

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
