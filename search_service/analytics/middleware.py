"""Feeds every request to /search and to the InstantSearch endpoints to the recorder, after the answer is made: what
it asked, its status, what it found (set on the request by the view: outcome.py), how long it took, with which API
key, and which API answered. Async-only, so it costs no thread hop."""

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.decorators import async_only_middleware

from search_service.analytics.record import search_row
from search_service.analytics.recorder import recorder_for
from search_service.keys.auth import INSTANTSEARCH_PATHS, authenticated_key
from search_service.outcome import SearchOutcome, instantsearch_searches, outcome_of

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
        instantsearch = request.path.startswith(INSTANTSEARCH_PATHS)
        if not config.search_analytics or not (request.path in RECORDED_PATHS or instantsearch):
            return await get_response(request)
        began = time.perf_counter()
        response = await get_response(request)
        if response.status_code in NOT_RECORDED_STATUSES:
            return response
        latency_ms = (time.perf_counter() - began) * 1000
        key = authenticated_key(request)
        api_key_prefix = key.prefix if key else ""  # a tenant token's parent
        tenant = key.tenant.label if key and key.tenant else ""
        found: list[tuple[QueryDict, SearchOutcome | None]]
        if instantsearch:
            # One row per search of the call (not its facets' extra requests, which InstantSearch marks
            # `analytics: false`); a call refused before any search, one row with its status.
            searches = instantsearch_searches(request)
            found = list(searches) if searches is not None else [(QueryDict("mode=simple"), None)]
        else:
            try:
                found = [(request.GET, outcome_of(request))]
            except TooManyFieldsSent:  # answered 400 too_many_parameters; read again here it replaced that with a 500
                return response
        recorder = recorder_for(config)
        now = datetime.now(UTC)
        for parameters, outcome in found:
            recorder.record(
                search_row(
                    parameters,
                    status=response.status_code,
                    outcome=outcome,
                    latency_ms=latency_ms,
                    timestamp=now,
                    keep_query_text=config.search_analytics_query_text,
                    api_key_prefix=api_key_prefix,
                    api="instantsearch" if instantsearch else "search",
                    tenant=tenant,
                )
            )
        return response

    return middleware
