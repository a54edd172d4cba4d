"""/search's parameters and answer."""

from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import StringConstraints, ValidationInfo, field_validator

from search_service.query.body import MAX_QUERY_LENGTH, MAX_RESULT_WINDOW


class SearchParams(Schema):
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY_LENGTH)] = Field(
        description='Query in Lucene query-string syntax: terms, AND/OR/NOT, "phrases", field:value, wild*'
    )
    # `size` is declared before `page` so that page's check can see the validated size.
    size: int = Field(10, ge=1, description="Hits per page, at most SEARCH_MAX_SIZE")
    page: int = Field(1, ge=1, description=f"Page number from 1; page * size may not pass {MAX_RESULT_WINDOW}")

    @field_validator("size")
    @classmethod
    def _size_within_configured_max(cls, size: int) -> int:
        max_size: int = settings.SEARCH.search_max_size
        if size > max_size:
            raise ValueError(f"must be at most {max_size}")
        return size

    @field_validator("page")
    @classmethod
    def _page_within_result_window(cls, page: int, info: ValidationInfo) -> int:
        size = info.data.get("size")
        if size is not None and page * size > MAX_RESULT_WINDOW:
            raise ValueError(
                f"page * size must be at most {MAX_RESULT_WINDOW}; with size={size} the last page is "
                f"{MAX_RESULT_WINDOW // size}"
            )
        return page


class Total(Schema):
    value: int
    relation: Literal["eq", "gte"] = Field(description="`gte`: at least `value` documents match")


class Hit(Schema):
    id: str
    index: str
    score: float | None
    source: dict[str, Any]
    highlight: dict[str, list[str]] = Field(
        default_factory=dict, description="Per field, HTML-escaped snippets with matches in <mark>"
    )


class Shards(Schema):
    total: int
    successful: int
    skipped: int
    failed: int


class SearchResponse(Schema):
    query: str
    total: Total
    took_ms: int
    timed_out: bool = Field(
        description="Elasticsearch stopped collecting at SEARCH_TIMEOUT: the hits are what it found until then"
    )
    shards: Shards = Field(description="`failed` > 0: some shards did not answer and their hits are missing")
    shard_failures: list[str] = Field(description="The kinds of shard failure, e.g. `timeout_exception`")
    page: int
    size: int
    hits: list[Hit]
