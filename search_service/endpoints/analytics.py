"""GET /analytics/*: what people search for, what finds nothing, what is slow; and the recorder's own counts.
Only with the analytics token, or an API key with the admin scope (keys/auth.py)."""

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router

from search_service.analytics.recorder import recorder_for
from search_service.analytics.reports import Report, Window, run_report
from search_service.keys.auth import TokenOrAdminKey
from search_service.schemas.analytics import QueryStats, RecorderResponse, ReportResponse, WindowParams
from search_service.schemas.common import ErrorResponse

# Without ANALYTICS_TOKEN the reports answer only admin keys, and to anyone else they do not exist (404): an
# unconfigured service shows nothing of what its users search for.
ANALYTICS_AUTH = TokenOrAdminKey(realm="analytics", token=lambda config: config.analytics_token)
router = Router(tags=["analytics"], auth=ANALYTICS_AUTH)

ANALYTICS_ERRORS = {code: ErrorResponse for code in (401, 403, 404, 422, 429, 500, 503, 504)}


async def _report(report: Report, params: WindowParams) -> ReportResponse:
    assert params.since is not None, "WindowParams fills it in"
    assert params.until is not None, "WindowParams fills it in"
    window = Window(since=params.since, until=params.until, limit=params.limit)
    rows = await run_report(report, window, settings.SEARCH.analytics_report_timeout)
    queries = [QueryStats(**row) for row in rows]
    return ReportResponse(since=window.since, until=window.until, queries=queries)


@router.get(
    "/analytics/top-queries",
    response={200: ReportResponse, **ANALYTICS_ERRORS},
    summary="The most frequent queries in a time window",
)
async def top_queries(request: HttpRequest, params: Query[WindowParams]) -> ReportResponse:
    return await _report("top-queries", params)


@router.get(
    "/analytics/zero-results",
    response={200: ReportResponse, **ANALYTICS_ERRORS},
    summary="The queries that most often found nothing",
)
async def zero_results(request: HttpRequest, params: Query[WindowParams]) -> ReportResponse:
    return await _report("zero-results", params)


@router.get(
    "/analytics/slow",
    response={200: ReportResponse, **ANALYTICS_ERRORS},
    summary="The queries with the highest median latency (answered searches only)",
)
async def slow(request: HttpRequest, params: Query[WindowParams]) -> ReportResponse:
    return await _report("slow", params)


@router.get(
    "/analytics/recorder",
    response={200: RecorderResponse, **ANALYTICS_ERRORS},
    summary="This worker's recorder: rows buffered, written, dropped",
)
async def recorder(request: HttpRequest) -> RecorderResponse:
    config = settings.SEARCH
    recorder = recorder_for(config)
    stats = recorder.stats()
    return RecorderResponse(
        enabled=config.search_analytics,
        buffered=stats.buffered,
        buffered_bytes=stats.buffered_bytes,
        written=stats.written,
        dropped=stats.dropped,
        dropped_by_reason=stats.dropped_by_reason,
        failed_writes=stats.failed_writes,
        database_writable=recorder.unusable is None,
    )
