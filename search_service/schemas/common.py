"""Shapes every endpoint shares: the error answer and the error statuses the OpenAPI document lists."""

from ninja import Field, Schema
from pydantic.json_schema import SkipJsonSchema


# errors.error_response renders every error answer and leaves out `position` and `hint` when they are None, so
# the document lists them as optional but never null (SkipJsonSchema keeps the None out of it).
class ErrorResponse(Schema):
    """An error. `position` and `hint` are there only when known (a `q` that cannot be parsed)."""

    error: str = Field(description="Stable machine-readable code")
    detail: str = Field(description="What was wrong, for a human")
    position: int | SkipJsonSchema[None] = Field(
        None,
        json_schema_extra={"minimum": 0},
        description=(
            "Where in `q` the problem is: the 0-based offset, in characters, of the character at fault, counted"
            " without the whitespace around `q` (the length of `q` when it ended too early). Absent when unknown."
        ),
    )
    hint: str | SkipJsonSchema[None] = Field(
        None,
        description="Another way to ask that will work, e.g. the same `q` with `mode=simple`. Absent when none.",
    )


# The error statuses every endpoint that reaches Elasticsearch may answer, for the OpenAPI document: 401 and 403
# are the API key's (keys/auth.py; 401 also when keys are optional and a wrong one is sent).
ERRORS = {code: ErrorResponse for code in (400, 401, 403, 422, 429, 500, 502, 503, 504)}
