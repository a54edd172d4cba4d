"""What /health and /ready answer."""

from typing import Literal

from ninja import Field, Schema


class HealthResponse(Schema):
    status: Literal["ok"]


class ReadyResponse(Schema):
    status: Literal["ready"]
    cluster_status: str
    elasticsearch_version: str | None = Field(
        None, description="The version of the Elasticsearch node that answered; absent if it did not say"
    )
