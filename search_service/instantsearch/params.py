"""One Algolia search request's parameters, as algoliasearch v4 (a URL-encoded `params` string) and v5 (an object,
or its fields flattened into the request) send them, read into one checked object. Pure.

Bounded before anything else reads them: every string and list has a length here, and the settings bound the
counts (hits, facet values) in `check_bounds`. A parameter this service does not read is refused (400), except
those InstantSearch sends by default and that mean nothing here (`IGNORED`): a front end must not break because it
asked for click analytics.
"""

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from search_service.instantsearch.errors import AlgoliaRequestError
from search_service.query.body import MAX_QUERY_LENGTH

# The InstantSearch endpoints are POSTs: their body is read whole, so it is bounded before it is (asgi.py). A
# page's call holds a request per refined facet, each well under 2 KB.
BODY_PATHS = "/1/indexes/"
MAX_BODY_BYTES = 64 * 1024
MAX_LIST_ITEMS = 64
MAX_NAME_LENGTH = 256
MAX_FILTER_TEXT_LENGTH = 4_096  # `filters`: Algolia's own limit is about this
MAX_TAG_LENGTH = 64  # highlight tags
MAX_FACET_QUERY_LENGTH = 100
MAX_PARAMS_FIELDS = 100  # a `params` string with more fields than any client sends is refused
DEFAULT_HITS_PER_PAGE = 20  # Algolia's
# Algolia's default is 100 values a facet; InstantSearch always says how many its widgets show. Without one, the
# service's own default (`facet_size` on /search): 100 values over four facets would cost an expensive query.
DEFAULT_VALUES_PER_FACET = 10
DEFAULT_FACET_HITS = 10
MAX_FACET_HITS = 100  # Algolia's

Name = Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH)]
FilterText = Annotated[str, StringConstraints(max_length=2 * MAX_NAME_LENGTH)]
# facetFilters / numericFilters / tagFilters: one filter, or a list whose items are filters or lists of filters
# (OR inside a list, AND across the outer one).
NestedFilters = FilterText | list[FilterText | list[FilterText]]


def _list_from_text(value: Any) -> Any:
    """`facets=["a","b"]` (JSON, as v4 writes arrays into `params`) or `facets=a,b` (as people write them)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return _json(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def _filters_from_text(value: Any) -> Any:
    """A JSON array as v4 writes it into `params`; any other text is one filter."""
    if isinstance(value, str) and value.strip().startswith("["):
        return _json(value.strip())
    return value


def _json(text: str) -> Any:
    try:
        return orjson.loads(text)  # orjson: a nesting too deep for it is an error, not a RecursionError
    except orjson.JSONDecodeError:
        raise ValueError("is not a JSON array") from None


class AlgoliaParams(BaseModel):
    """The parameters this service reads (docs/instantsearch.md has the table against Algolia's)."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True)

    query: Annotated[str, StringConstraints(max_length=MAX_QUERY_LENGTH)] = ""
    page: int = Field(0, ge=0)
    hits_per_page: int = Field(DEFAULT_HITS_PER_PAGE, ge=0)
    facets: list[Name] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    max_values_per_facet: int = Field(DEFAULT_VALUES_PER_FACET, ge=1)
    facet_filters: NestedFilters | None = None
    numeric_filters: NestedFilters | None = None
    filters: Annotated[str, StringConstraints(max_length=MAX_FILTER_TEXT_LENGTH)] = ""
    facet_query: Annotated[str, StringConstraints(max_length=MAX_FACET_QUERY_LENGTH)] = ""
    max_facet_hits: int = Field(DEFAULT_FACET_HITS, ge=1, le=MAX_FACET_HITS)
    highlight_pre_tag: Annotated[str, StringConstraints(max_length=MAX_TAG_LENGTH)] = "<em>"
    highlight_post_tag: Annotated[str, StringConstraints(max_length=MAX_TAG_LENGTH)] = "</em>"
    attributes_to_highlight: list[Name] | None = Field(None, max_length=MAX_LIST_ITEMS)
    attributes_to_snippet: list[Name] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    attributes_to_retrieve: list[Name] | None = Field(None, max_length=MAX_LIST_ITEMS)
    snippet_ellipsis_text: Annotated[str, StringConstraints(max_length=MAX_TAG_LENGTH)] = "…"
    # Accepted and ignored (IGNORED): Algolia's analytics and personalisation, which InstantSearch sends by default.
    analytics: bool = True
    click_analytics: bool = False
    get_ranking_info: bool = False
    enable_personalization: bool = False
    user_token: Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH)] | None = None
    analytics_tags: list[Name] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    tag_filters: NestedFilters | None = None

    _lists = field_validator(
        "facets",
        "attributes_to_highlight",
        "attributes_to_snippet",
        "attributes_to_retrieve",
        "analytics_tags",
        mode="before",
    )(_list_from_text)
    _nested = field_validator("facet_filters", "numeric_filters", "tag_filters", mode="before")(_filters_from_text)

    @field_validator("tag_filters")
    @classmethod
    def _no_tags(cls, value: Any) -> Any:
        # InstantSearch sends `tagFilters=""`; this service has no `_tags` attribute to filter on.
        if value not in (None, "", []):
            raise ValueError("tag filters are not supported; filter on a field with facetFilters or filters")
        return value


IGNORED = ("analytics", "clickAnalytics", "getRankingInfo", "enablePersonalization", "userToken", "analyticsTags")


def read_params(request: Mapping[str, Any], *, skip: frozenset[str]) -> AlgoliaParams:
    """The parameters of one request of a `queries` call or of a `query` body: its `params` (a URL-encoded string
    or an object) merged with its other fields but those in `skip` (`indexName`, `type`, `facet`)."""
    fields: dict[str, Any] = {}
    params = request.get("params")
    if isinstance(params, str):
        try:
            pairs = parse_qsl(params, keep_blank_values=True, max_num_fields=MAX_PARAMS_FIELDS)
        except ValueError:
            raise AlgoliaRequestError(f"params has more than {MAX_PARAMS_FIELDS} fields") from None
        fields.update(pairs)
    elif isinstance(params, Mapping):
        fields.update(params)
    elif params is not None:
        raise AlgoliaRequestError("params must be a URL-encoded string or an object")
    fields.update((name, value) for name, value in request.items() if name != "params" and name not in skip)
    try:
        return AlgoliaParams.model_validate(fields)
    except ValidationError as error:
        raise AlgoliaRequestError(describe_errors(error)) from None


def describe_errors(error: ValidationError) -> str:
    """`hitsPerPage: Input should be greater than or equal to 0` — the parameter first, as the client wrote it."""
    parts = []
    for problem in error.errors(include_url=False, include_input=False)[:5]:
        location = ".".join(str(part) for part in problem.get("loc", ()))
        message = str(problem.get("msg", "is invalid")).removeprefix("Value error, ")
        if problem.get("type") == "extra_forbidden":
            message = "is not a parameter this service reads (docs/instantsearch.md lists them)"
        parts.append(f"{location[:60] or 'params'}: {message}")
    return "; ".join(parts)
