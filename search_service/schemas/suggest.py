"""/suggest's parameters and answer."""

from typing import Annotated

from django.conf import settings
from ninja import Field, Schema
from pydantic import StringConstraints, field_validator

from search_service.query.suggest import DEFAULT_SIZE, MAX_PREFIX_LENGTH


class SuggestParams(Schema):
    prefix: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PREFIX_LENGTH)] = (
        Field(
            description="What the user has typed so far; literal (`*` and `?` are characters, not wildcards)",
            examples=["json.du"],
        )
    )
    size: int = Field(DEFAULT_SIZE, ge=1, description="Completions to return, at most SEARCH_SUGGEST_MAX_SIZE")

    @field_validator("size")
    @classmethod
    def _size_within_configured_max(cls, size: int) -> int:
        max_size: int = settings.SEARCH.search_suggest_max_size
        if size > max_size:
            raise ValueError(f"must be at most {max_size}")
        return size


class Suggestion(Schema):
    text: str = Field(description="The completed value of SEARCH_SUGGEST_FIELD", examples=["json.dumps"])
    id: str = Field(
        description="The best-ranked document holding it (for GET /documents/{id})", examples=["json.dumps"]
    )


class SuggestResponse(Schema):
    prefix: str = Field(description="The prefix as completed (surrounding whitespace removed)", examples=["json.du"])
    took_ms: int
    suggestions: list[Suggestion] = Field(
        description="Distinct values, best first: the whole value, then values starting with the prefix, then "
        "values whose words do; within each, by SEARCH_RANK_FIELD, then shorter first"
    )
