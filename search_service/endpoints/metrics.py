"""GET /metrics: Prometheus's text format, for operators only (METRICS_TOKEN or an admin key); absent when
SEARCH_METRICS is off or the metrics have a port of their own (METRICS_PORT)."""

import asyncio

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router

from search_service.analytics.recorder import recorder_for
from search_service.keys.auth import TokenOrAdminKey
from search_service.metrics.exposition import CONTENT_TYPE, render_metrics
from search_service.metrics.series import recorder_publisher
from search_service.settings import ServiceSettings


def metrics_here(config: ServiceSettings) -> bool:
    return config.search_metrics and config.metrics_port is None


METRICS_AUTH = TokenOrAdminKey(realm="metrics", token=lambda config: config.metrics_token, enabled=metrics_here)
router = Router(tags=["metrics"], auth=METRICS_AUTH)


# Not in the OpenAPI document: it is not part of the API a client programs against.
@router.get("/metrics", include_in_schema=False)
async def metrics(request: HttpRequest) -> HttpResponse:
    recorder_publisher.publish(recorder_for(settings.SEARCH).stats(), force=True)
    # Reading every worker's files is file I/O: in a thread, off the event loop (this is not the search path).
    body = await asyncio.to_thread(render_metrics)
    return HttpResponse(body, content_type=CONTENT_TYPE)
