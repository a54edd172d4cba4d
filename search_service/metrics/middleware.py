"""Times every request into the series (SEARCH_METRICS), by the route it matched. Async-only: no thread hop."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.decorators import async_only_middleware

from search_service.analytics.recorder import recorder_for
from search_service.metrics.series import IN_FLIGHT, observe_request, recorder_publisher

CLIENT_CLOSED = 499  # as in the access log: the client left before the answer


def endpoint_of(request: HttpRequest) -> str:
    """The route pattern (`/documents/<path:doc_id>`), never the path itself, so that the label has as many values
    as the API has routes. A request answered before URL resolution (a refusal, a static file) is resolved here;
    one that matches nothing is `unmatched`."""
    match = request.resolver_match
    if match is None:
        return endpoint_of_path(request.path_info)
    return "/" + match.route


def endpoint_of_path(path: str) -> str:
    """The route a path matches, for a request answered before Django saw it (early_answers.py) or before URL
    resolution."""
    if path.startswith("/" + settings.STATIC_URL):
        return "static"
    try:
        return "/" + resolve(path).route
    except Resolver404:
        return "unmatched"


@async_only_middleware
def metrics_middleware(
    get_response: Callable[[HttpRequest], Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    async def middleware(request: HttpRequest) -> HttpResponse:
        config = settings.SEARCH
        if not config.search_metrics:
            return await get_response(request)
        began = time.perf_counter()
        IN_FLIGHT.inc()
        try:
            response = await get_response(request)
        except asyncio.CancelledError:
            observe_request(endpoint_of(request), CLIENT_CLOSED, time.perf_counter() - began)
            raise
        finally:
            IN_FLIGHT.dec()
        observe_request(endpoint_of(request), response.status_code, time.perf_counter() - began)
        if recorder_publisher.due():
            recorder_publisher.publish(recorder_for(config).stats())
        return response

    return middleware
