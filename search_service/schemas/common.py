"""Shapes every endpoint shares: the error answer and the error statuses the OpenAPI document lists."""

from ninja import Field, Schema


class ErrorResponse(Schema):
    error: str = Field(description="Stable machine-readable code")
    detail: str = Field(description="What was wrong, for a human")


# The error statuses every endpoint that reaches Elasticsearch may answer, for the OpenAPI document.
ERRORS = {code: ErrorResponse for code in (400, 422, 429, 500, 502, 503, 504)}
