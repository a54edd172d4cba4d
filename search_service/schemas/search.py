"""/search's parameters and answer."""

from functools import cached_property
from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import StringConstraints, ValidationInfo, field_validator

from search_service.query.body import MAX_QUERY_LENGTH, MAX_RESULT_WINDOW, Mode
from search_service.query.cursor import MAX_CURSOR_LENGTH
from search_service.query.facets import parse_facets
from search_service.query.filters import MAX_FILTER_VALUE_LENGTH, Filter, parse_filters
from search_service.query.sorting import SortKey, parse_sort
from search_service.query.stats import parse_stats
from search_service.query.tolerance import Typos

# Bounds on the list parameters before any is parsed (the settings bound them further): a URL stays short.
MAX_LIST_ITEMS = 64
MAX_FILTER_LENGTH = 2 * MAX_FILTER_VALUE_LENGTH


def _split_commas(values: Any) -> Any:
    """`facets=a,b` and `facets=a&facets=b` alike."""
    if isinstance(values, str):
        values = [values]
    if isinstance(values, list):
        return [part for value in values if isinstance(value, str) for part in value.split(",") if part.strip()]
    return values


class SearchParams(Schema):
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_QUERY_LENGTH)] = Field(
        "",
        description='The query. `mode=query_string` (default): Lucene syntax, terms, AND/OR/NOT, "phrases", '
        "field:value, wild*. `mode=simple`: a search box's syntax, where stray quotes and parentheses are text. "
        "Absent or empty: every document (browse), with filters, facets, stats and sort applied, ranked by "
        "SEARCH_RANK_FIELD when set",
        examples=["json dumps"],
    )
    mode: Mode = Field(
        "query_string",
        description="`query_string`: Lucene syntax, refused with a 400 when malformed. `simple`: "
        '`simple_query_string` (+, |, -, "phrases", parentheses), which never refuses its input',
    )
    typos: Typos | None = Field(
        None,
        description="`mode=simple`: the most typos a word may have in the tolerant pass, which runs when the query "
        "as written finds fewer than SEARCH_TYPO_THRESHOLD hits. `auto`: 1 from SEARCH_TYPO_MIN_1 letters, 2 from "
        "SEARCH_TYPO_MIN_2; never on the first letter nor in a word with a digit. Default SEARCH_TYPOS",
    )
    prefix: bool | None = Field(
        None,
        description="`mode=simple`: in the tolerant pass, also match the last word as the start of a longer one "
        "(search as you type). Default SEARCH_PREFIX",
    )
    filter: list[Annotated[str, StringConstraints(max_length=MAX_FILTER_LENGTH)]] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Repeatable. `field:value` (exact; quote a value that contains `..`), or `field:low..high`, "
        "`field:low..`, `field:..high` for numbers and dates (inclusive). Values of one field OR together, "
        "different fields AND. Fields: SEARCH_FILTER_FIELDS",
        examples=[["kind:function", "popularity:10.."]],
    )
    facets: list[Annotated[str, StringConstraints(max_length=MAX_FILTER_LENGTH)]] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Comma-separated fields to count the top values of, among SEARCH_FACET_FIELDS. Each facet "
        "counts with the other fields' filters applied but not its own",
        examples=[["module,kind"]],
    )
    facet_size: int = Field(10, ge=1, description="Values per facet, at most SEARCH_MAX_FACET_SIZE")
    sort: list[Annotated[str, StringConstraints(max_length=MAX_FILTER_LENGTH)]] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Comma-separated: `score` (relevance) or a field of SEARCH_SORT_FIELDS, `-` before it for "
        "descending. Default `-score`. Ties keep one order from page to page",
        examples=[["-popularity,qualname.raw"]],
    )
    rank: Literal["custom", "text"] = Field(
        "custom",
        description="`custom`: relevance mixed with SEARCH_RANK_FIELD when it is set. `text`: relevance alone",
    )
    stats: list[Annotated[str, StringConstraints(max_length=MAX_FILTER_LENGTH)]] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Comma-separated numeric or date fields of SEARCH_FILTER_FIELDS: their min, max, avg and "
        "count over the hits, each with the other fields' filters applied but not its own (for a range slider)",
        examples=[["popularity"]],
    )
    # `size` is declared before `page` so that page's check can see the validated size.
    size: int = Field(
        10, ge=0, description="Hits per page, at most SEARCH_MAX_SIZE; 0 answers the total, facets and stats only"
    )
    page: int = Field(1, ge=1, description=f"Page number from 1; page * size may not pass {MAX_RESULT_WINDOW}")
    cursor: str | None = Field(
        None,
        max_length=MAX_CURSOR_LENGTH,
        description="The `next` of the previous page, with the same q, mode, filter, sort and rank: continues "
        "past any depth. Valid for SEARCH_CURSOR_KEEP_ALIVE seconds after its page",
    )

    _split = field_validator("facets", "sort", "stats", mode="before")(_split_commas)

    @field_validator("size")
    @classmethod
    def _size_within_configured_max(cls, size: int) -> int:
        max_size: int = settings.SEARCH.search_max_size
        if size > max_size:
            raise ValueError(f"must be at most {max_size}")
        return size

    @field_validator("facet_size")
    @classmethod
    def _facet_size_within_configured_max(cls, size: int) -> int:
        max_size: int = settings.SEARCH.search_max_facet_size
        if size > max_size:
            raise ValueError(f"must be at most {max_size}")
        return size

    @field_validator("typos", "prefix")
    @classmethod
    def _simple_mode_only(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("mode") != "simple":
            raise ValueError(
                "applies to mode=simple; in mode=query_string write the typos and prefixes into q (`word~1`, `word*`)"
            )
        return value

    @field_validator("page")
    @classmethod
    def _page_within_result_window(cls, page: int, info: ValidationInfo) -> int:
        size = info.data.get("size")
        if size == 0 and page != 1:
            raise ValueError("size=0 answers counts only: there are no pages to ask for")
        if size is not None and page * size > MAX_RESULT_WINDOW:
            raise ValueError(
                f"page * size must be at most {MAX_RESULT_WINDOW}; with size={size} the last page is "
                f"{MAX_RESULT_WINDOW // size}; follow `next` cursors to go further"
            )
        return page

    @field_validator("cursor")
    @classmethod
    def _cursor_or_page(cls, cursor: str | None, info: ValidationInfo) -> str | None:
        if cursor is not None and info.data.get("page", 1) != 1:
            raise ValueError("a cursor says where the page starts: send it without `page`")
        if cursor and info.data.get("size") == 0:
            raise ValueError("a cursor leads to more hits: it cannot be followed with size=0")
        return cursor or None

    # Checked here so that a bad value is a 422 naming the parameter; parsed again below, for the view.
    @field_validator("filter")
    @classmethod
    def _filters_allowed(cls, values: list[str]) -> list[str]:
        parse_filters(values, settings.SEARCH.search_filter_fields, settings.SEARCH.search_max_filters)
        return values

    @field_validator("facets")
    @classmethod
    def _facets_allowed(cls, values: list[str]) -> list[str]:
        return parse_facets(values, settings.SEARCH.search_facet_fields)

    @field_validator("stats")
    @classmethod
    def _stats_allowed(cls, values: list[str]) -> list[str]:
        # Which fields may give stats is the mapping's to say too (numeric or date, with doc values): the view
        # checks them all at once, so that a refusal lists the fields that would work (query.stats).
        return parse_stats(values)

    @field_validator("sort")
    @classmethod
    def _sort_allowed(cls, values: list[str]) -> list[str]:
        parse_sort(values, settings.SEARCH.search_sort_fields)
        return values

    @cached_property
    def filters(self) -> list[Filter]:
        return parse_filters(self.filter, settings.SEARCH.search_filter_fields, settings.SEARCH.search_max_filters)

    @cached_property
    def sort_keys(self) -> list[SortKey]:
        return parse_sort(self.sort, settings.SEARCH.search_sort_fields)


class Total(Schema):
    value: int
    relation: Literal["eq", "gte"] = Field(
        description="`eq`: exactly `value` documents match. `gte`: at least `value` (counting stops at "
        "SEARCH_TRACK_TOTAL_HITS)"
    )


class Hit(Schema):
    id: str
    index: str
    score: float | None = Field(description="Relevance; null when sorted by fields only")
    source: dict[str, Any]
    highlight: dict[str, list[str]] = Field(
        default_factory=dict, description="Per field, HTML-escaped snippets with matches in <mark>"
    )


class Shards(Schema):
    total: int
    successful: int
    skipped: int
    failed: int


class FacetValue(Schema):
    value: str | int | float
    count: int


class FieldStats(Schema):
    min: float | str | None = Field(description="Smallest value; a date as ISO 8601 text. Null without values")
    max: float | str | None = Field(description="Largest value; a date as ISO 8601 text. Null without values")
    avg: float | str | None = Field(description="Mean value; a date as ISO 8601 text. Null without values")
    count: int = Field(description="How many values were counted (a document may hold several, or none)")


class SearchResponse(Schema):
    query: str
    total: Total
    max_score: float | None = Field(description="The best hit's score; null without hits or when sorted by fields")
    took_ms: int
    timed_out: bool = Field(
        description="Elasticsearch stopped collecting at SEARCH_TIMEOUT: the hits are what it found until then"
    )
    shards: Shards = Field(description="`failed` > 0: some shards did not answer and their hits are missing")
    shard_failures: list[str] = Field(description="The kinds of shard failure, e.g. `timeout_exception`")
    page: int | None = Field(description="The page number asked for; null for a page reached by cursor")
    size: int
    next: str | None = Field(description="Cursor for the following page (pass as `cursor`); null on the last page")
    hits: list[Hit]
    facets: dict[str, list[FacetValue]] = Field(
        description="Per field asked in `facets`, its top values with the number of matching documents; a value "
        "ticked in `filter` is always there, with its count, even when it is not among the top `facet_size`"
    )
    stats: dict[str, FieldStats] = Field(
        default_factory=dict, description="Per field asked in `stats`: min, max, avg and count over the hits"
    )
    tolerant: bool = Field(
        default=False,
        description="The hits include close matches (`mode=simple`: the query as written found fewer than "
        "SEARCH_TYPO_THRESHOLD hits, so words were matched with typos and the last one as a prefix too)",
    )
    suggestions: list[str] = Field(
        default_factory=list,
        description="Did you mean: on a first page that found at most SEARCH_DID_YOU_MEAN_BELOW hits, up to 3 "
        "rewrites of `q`, best first, each misspelt word replaced by a close word from the searched fields "
        "that far more documents hold. Empty otherwise",
        examples=[["python"]],
    )
