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
    database: Literal["available", "unavailable", "unused"] = Field(
        description="The database of API keys and analytics, as this worker last found it (no query is made for "
        "the probe). `unavailable`: keys it has cached still work, unknown keys are answered 503, analytics rows "
        "wait in a bounded buffer or are dropped and counted; searches go on. `unused`: no analytics, keys or "
        "analytics token configured."
    )
    analytics: Literal["on", "off", "dropping"] = Field(
        description="Search analytics: `dropping` while the database cannot be written (rows are counted, not kept)"
    )
