"""The service's configuration: one typed object read from the environment, validated once at startup.

One object, in groups a reader can find: a module per concern, each a set of fields with their validators, joined
into ServiceSettings here, with the checks that span groups. docs/configuration.md is generated from it
(settings_reference.py).
"""

from django.core.exceptions import ImproperlyConfigured
from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from search_service.settings.cache import CacheSettings
from search_service.settings.connection import DEFAULT_HOSTS, ConnectionSettings
from search_service.settings.limits import LimitSettings
from search_service.settings.operations import OperationsSettings
from search_service.settings.search import SearchSettings
from search_service.settings.web import WebSettings

__all__ = ["SETTINGS_GROUPS", "ServiceSettings", "describe_validation_error", "load_settings"]


class ServiceSettings(
    BaseSettings, ConnectionSettings, SearchSettings, CacheSettings, LimitSettings, WebSettings, OperationsSettings
):
    """Every environment variable the service reads. Field `x` is variable `X`."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    # Each field has a `description` (docs/configuration.md is generated from them by `make docs`) and a place in
    # SETTINGS_GROUPS below; tests/test_configuration_reference.py fails for a field without either.

    @model_validator(mode="after")
    def _check_one_way_to_authenticate(self) -> "ServiceSettings":
        if self.elasticsearch_cloud_id is not None and self.elasticsearch_hosts != DEFAULT_HOSTS:
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
        "search_sort_indices",
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
        "search_did_you_mean_ratio",
        "search_typos",
        "search_typo_min_1",
        "search_typo_min_2",
        "search_typo_threshold",
        "search_prefix",
        "search_default_operator",
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
    "Answer cache": ("search_cache_ttl", "search_cache_max_bytes", "search_cache_url"),
    "Admission and rate limits": (
        "search_admission",
        "search_concurrency_min",
        "search_concurrency_max",
        "search_queue_per_caller",
        "search_queue_wait",
        "search_expensive_concurrency",
        "search_expensive_queue",
        "search_expensive_wait",
        "search_rate_limit",
        "search_expensive_rate_limit",
        "search_cursor_max_open",
        "search_refusal_delay",
        "rate_limit_storage_url",
    ),
    "HTTP connections": ("header_read_timeout", "keep_alive_timeout", "max_header_bytes", "max_connections"),
    "Search page": ("search_page",),
    "Database and analytics": (
        "database_url",
        "data_dir",
        "search_analytics",
        "search_analytics_query_text",
        "analytics_token",
        "analytics_report_timeout",
        "search_analytics_buffer",
        "search_analytics_buffer_bytes",
        "search_analytics_batch",
        "search_analytics_flush_interval",
        "search_analytics_retention_days",
    ),
    "API keys": (
        "search_require_api_key",
        "api_key_cache_seconds",
        "api_key_lookup_timeout",
        "api_key_stale_seconds",
        "api_key_last_used_interval",
        "tenant_token_max_ttl",
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
