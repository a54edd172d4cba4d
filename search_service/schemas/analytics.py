"""The analytics endpoints' parameters and answers."""

from datetime import UTC, datetime, timedelta

from ninja import Field, Schema
from pydantic import model_validator

DEFAULT_WINDOW = timedelta(days=7)
MAX_WINDOW = timedelta(days=366)
MAX_LIMIT = 1_000


class WindowParams(Schema):
    since: datetime | None = Field(
        None, description="Start of the window (ISO 8601; UTC when no offset). Default: 7 days before `until`."
    )
    until: datetime | None = Field(None, description="End of the window, excluded (ISO 8601). Default: now.")
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description="How many queries to list")

    @model_validator(mode="after")
    def _check_window(self) -> "WindowParams":
        until = _aware(self.until) if self.until else datetime.now(UTC)
        since = _aware(self.since) if self.since else until - DEFAULT_WINDOW
        if since >= until:
            raise ValueError("since must be before until")
        if until - since > MAX_WINDOW:
            raise ValueError(f"the window may span at most {MAX_WINDOW.days} days")
        self.since, self.until = since, until
        return self


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class QueryStats(Schema):
    query: str | None = Field(description="The query as recorded: lower-cased, spaces collapsed; null if not kept")
    searches: int = Field(description="Searches in the window")
    days: int = Field(description="Distinct days (UTC) with at least one")
    zero_result_searches: int = Field(description="Of those, how many answered with no hit")
    median_latency_ms: float | None = Field(description="Median time in the service, in milliseconds")
    median_took_ms: float | None = Field(description="Median of Elasticsearch's own `took`; null if none answered")


class ReportResponse(Schema):
    since: datetime
    until: datetime
    queries: list[QueryStats] = Field(
        examples=[
            [
                {
                    "query": "json",
                    "searches": 412,
                    "days": 7,
                    "zero_result_searches": 0,
                    "median_latency_ms": 4.1,
                    "median_took_ms": 2.0,
                }
            ]
        ]
    )


class RecorderResponse(Schema):
    enabled: bool = Field(description="SEARCH_ANALYTICS")
    buffered: int = Field(description="Rows waiting to be written, in this worker")
    buffered_bytes: int = Field(description="Their estimated memory, bounded by SEARCH_ANALYTICS_BUFFER_BYTES")
    written: int = Field(description="Rows written since this worker started")
    dropped: int = Field(description="Rows not written, whatever the reason")
    dropped_by_reason: dict[str, int] = Field(
        description="`buffer_full` (the database slower than the searches, or unavailable), `refused` (the "
        "database took the rest of the batch, not this row), `database_unusable` (it could not be written when "
        "checked), `shutdown` (still buffered when the stop's time ran out)"
    )
    failed_writes: int = Field(description="Batches the database could not take (their rows wait for the next try)")
    database_writable: bool = Field(
        description="False while the database could not be written when checked (rows are dropped, and it is "
        "checked again); the log says why"
    )
