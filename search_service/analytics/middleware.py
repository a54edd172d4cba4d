"""Feeds every request to /search to the recorder, after the answer is made: what it asked, its status, what it
found (set on the request by the view: outcome.py), how long it took, with which API key. Async-only, so it costs
no thread hop."""

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import async_only_middleware

from search_service.analytics.record import search_row
from search_service.analytics.recorder import recorder_for
from search_service.keys.auth import authenticated_key
from search_service.outcome import outcome_of

RECORDED_PATHS = frozenset({"/search"})
# Refused before any search was made (no key or a bad one, forbidden, too large, too many): not searches, and
# stored as rows they let anyone without a key fill the database (issue 20). The metrics count them by status.
NOT_RECORDED_STATUSES = frozenset({401, 403, 413, 429, 431})


@async_only_middleware
def search_analytics_middleware(
    get_response: Callable[[HttpRequest], Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    async def middleware(request: HttpRequest) -> HttpResponse:
        config = settings.SEARCH
        if not config.search_analytics or request.path not in RECORDED_PATHS:
            return await get_response(request)
        began = time.perf_counter()
        response = await get_response(request)
        if response.status_code in NOT_RECORDED_STATUSES:
            return response
        try:
            parameters = request.GET
        except TooManyFieldsSent:  # answered 400 too_many_parameters; read again here it replaced that with a 500
            return response
        row = search_row(
            parameters,
            status=response.status_code,
            outcome=outcome_of(request),
            latency_ms=(time.perf_counter() - began) * 1000,
            timestamp=datetime.now(UTC),
            keep_query_text=config.search_analytics_query_text,
            api_key_prefix=key.prefix if (key := authenticated_key(request)) else "",
        )
        recorder_for(config).record(row)
        return response

    return middleware
