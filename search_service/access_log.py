"""The access log: one JSON line per request, written by this middleware (uvicorn's own access log is off in
scripts/serve). Each line: time, request id, method, path, status, duration, Elasticsearch's `took` and hits,
the API key's prefix (a tenant token's parent) and tenant label, the client's address; the query text only with
SEARCH_ACCESS_LOG_QUERY_TEXT. Never a header, so never a key or a token.

The request id is the caller's X-Request-ID when it looks like an id (so a trace crosses services), else a new one;
either way it is sent back in X-Request-ID. Successful probes are left out (probes.py).
"""

import asyncio
import logging
import os
import random
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import async_only_middleware

from search_service.keys.auth import authenticated_key
from search_service.outcome import outcome_of, queue_wait_of
from search_service.probes import is_successful_probe

logger = logging.getLogger("search_service.access")

# What an id from outside may be: what tracing systems use (UUIDs, hex, W3C and AWS trace ids), short, and safe to
# send back in a header and to log. Anything else is replaced, not cleaned.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:=+/-]{1,128}$")
CLIENT_CLOSED = 499  # nginx's status for a client that left before the answer; nothing was sent
MAX_QUERY_TEXT = 1_000
QUERY_PARAMETERS = ("q", "prefix")  # /search's query, /suggest's prefix
_ids = random.Random()  # seeded from the kernel once per process
os.register_at_fork(after_in_child=_ids.seed)  # a forked worker must not repeat its parent's ids


def write_line(fields: dict[str, Any]) -> None:
    """One access line, through the logger (its level, filters and handlers decide as for any record). The record
    is made here rather than by logger.info, which walks the stack for the caller's file and line: ~5 µs a line, a
    twentieth of what a cached answer costs, for fields no access line shows."""
    if logger.isEnabledFor(logging.INFO):
        line = {"access": fields}
        logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, 0, "access", (), None, extra=line))


def request_id(header: str | None) -> str:
    if header is not None and REQUEST_ID.match(header):
        return header
    # 128 random bits as 32 hex digits, as uuid4().hex, from the process's generator rather than the kernel's: an id
    # needs to be unique, not secret, and getrandom() was ~10 µs of a cached answer's CPU on a virtual machine.
    return f"{_ids.getrandbits(128):032x}"


def access_fields(
    request: HttpRequest, *, request_id: str, status: int, duration: float, keep_query_text: bool
) -> dict[str, Any]:
    outcome = outcome_of(request)
    key = authenticated_key(request)
    waited = queue_wait_of(request)
    fields: dict[str, Any] = {
        "request_id": request_id,
        "method": request.method,
        "path": request.path,
        "status": status,
        "duration_ms": round(duration * 1000, 3),
        "es_took_ms": outcome.took_ms if outcome else None,
        "hits": outcome.total_hits if outcome else None,
        "cached": outcome.cached if outcome else False,
        "queue_ms": None if waited is None else round(waited * 1000, 3),
        "api_key_prefix": key.prefix if key else None,  # a tenant token's parent
        "tenant": key.tenant.label if key and key.tenant else None,
        "client": request.META.get("REMOTE_ADDR"),
    }
    if keep_query_text:
        query = next((request.GET[name] for name in QUERY_PARAMETERS if name in request.GET), None)
        fields["query"] = None if query is None else query[:MAX_QUERY_TEXT]
    return fields


@async_only_middleware
def access_log_middleware(
    get_response: Callable[[HttpRequest], Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    async def middleware(request: HttpRequest) -> HttpResponse:
        config = settings.SEARCH
        the_id = request_id(request.headers.get("X-Request-ID"))
        request.request_id = the_id  # type: ignore[attr-defined]  # for the log lines of errors.py
        if not config.search_access_log:
            return await get_response(request)
        began = time.perf_counter()
        keep = config.search_access_log_query_text
        try:
            response = await get_response(request)
        except asyncio.CancelledError:  # the client disconnected; asgi.py cancels the view
            fields = access_fields(
                request,
                request_id=the_id,
                status=CLIENT_CLOSED,
                duration=time.perf_counter() - began,
                keep_query_text=keep,
            )
            write_line(fields)
            raise
        response["X-Request-ID"] = the_id
        if not is_successful_probe(request.path, response.status_code):
            fields = access_fields(
                request,
                request_id=the_id,
                status=response.status_code,
                duration=time.perf_counter() - began,
                keep_query_text=keep,
            )
            write_line(fields)
        return response

    return middleware


def log_early_answer(
    *, request_id: str, method: str | None, path: str | None, status: int, duration: float, client: str | None
) -> None:
    """The line of a request answered before Django saw it (early_answers.py): by protocol.py, which may not know
    the method or path (a request it could not parse, a connection over the limit), or by asgi.py."""
    fields = {
        "request_id": request_id,
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(duration * 1000, 3),
        "es_took_ms": None,
        "hits": None,
        "cached": False,
        "queue_ms": None,
        "api_key_prefix": None,
        "tenant": None,
        "client": client,
    }
    write_line(fields)
