"""The ASGI application: Django's handler, plus the lifespan protocol, minus the per-request thread hops."""

import asyncio
import contextlib
import gc
import time
from collections.abc import Iterable
from typing import Any

import django
import orjson
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import HttpRequest, HttpResponseBase
from django.urls import set_script_prefix

from search_service.admission.callers import Refused, delay_refusal
from search_service.admission.door import passes_door, through_door
from search_service.answer_cache.replay_book import ANSWERED_FROM, REPLAY_PATH
from search_service.early_answers import WEBSOCKET_DETAIL, WEBSOCKET_NOT_SUPPORTED, record_early_answer
from search_service.elastic import close_client
from search_service.instantsearch.params import BODY_PATHS, MAX_BODY_BYTES

# A request allocates a few hundred container objects, nearly all freed by reference counting as it ends.
# With CPython's default threshold (700) the young generation is collected every couple of requests, mostly
# re-scanning requests still in flight; 50,000 keeps a few MB of young objects at most.
YOUNG_GENERATION_THRESHOLD = 50_000

BODY_NOT_ALLOWED = (
    b'{"error":"body_not_allowed","detail":"this API takes no request body: '
    b'send no Content-Length (or 0) and no Transfer-Encoding"}'
)
BODY_TIMED_OUT = (
    b'{"error":"request_timeout","detail":"the request body did not arrive in time",'
    b'"message":"the request body did not arrive in time","status":408}'
)
BODY_TOO_LARGE = (
    b'{"error":"request_too_large","detail":"the body must have a Content-Length of at most %d bytes",'
    b'"message":"the body must have a Content-Length of at most %d bytes","status":413}'
) % (MAX_BODY_BYTES, MAX_BODY_BYTES)


def announces_body(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request says a body follows (ASGI header names are lower-case)."""
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip().lstrip(b"0")):
            return True
    return False


def body_refusal(scope: Any) -> bytes | None:
    """The answer to a request that announces a body, None when its body may be read: a POST to the InstantSearch
    endpoints with a Content-Length of at most MAX_BODY_BYTES (no chunked body, whose length is unknown until
    read)."""
    if scope.get("method") != "POST" or not str(scope.get("path", "")).startswith(BODY_PATHS):
        return BODY_NOT_ALLOWED
    lengths = [value for name, value in scope["headers"] if name in (b"content-length", b"transfer-encoding")]
    if len(lengths) == 1 and lengths[0].strip().isdigit() and int(lengths[0]) <= MAX_BODY_BYTES:
        return None
    return BODY_TOO_LARGE


class SearchASGIHandler(ASGIHandler):
    """Django's ASGI handler with three changes.

    - It speaks the `lifespan` protocol, which Django's refuses: startup checks that analytics can be
      written, and starts the worker all the same if not (the Elasticsearch client and the analytics writer
      start lazily, inside the serving loop); shutdown writes the analytics rows still buffered and the
      API keys' last uses, and closes the client (and the rate limits' Redis connections), so no aiohttp
      session is left unclosed.
    - It refuses a request that announces a body (413 `body_not_allowed`) before reading any of it. Every
      endpoint is GET, and Django reads a whole body before any check, spooling it to a temporary file past
      FILE_UPLOAD_MAX_MEMORY_SIZE, on any path and for any Host: one POST could write gigabytes to disk. The
      InstantSearch endpoints (POST) take a body of a Content-Length of at most MAX_BODY_BYTES, which Django
      reads into memory (DATA_UPLOAD_MAX_MEMORY_SIZE is the same bound).
    - It runs no sync code in threads. Django wraps each request in a ThreadSensitiveContext (a fresh
      thread per request) and closes each response through `sync_to_async`, so that sync code such as
      the ORM gets a thread of its own. This service has none on the request path: `response.close()`
      only fires `request_finished`, whose remaining receivers are quick and non-blocking (the database
      ones are disconnected in apps.py). Those hops were a quarter of the service's CPU time per
      request (docs/benchmarks.md). The ORM runs only in the database threads of database_threads.py (one
      each for key lookups, writes and reports), never in asgiref's one shared thread; anyone adding
      sync middleware or sync views must restore the hops.
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.serve_lifespan(receive, send)
        elif scope["type"] == "http":
            await self.handle(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.refuse_websocket(scope, receive, send)
        else:
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")

    async def serve_lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                from search_service.analytics.recorder import check_database_at_startup  # imports models

                await check_database_at_startup(settings.SEARCH)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                from search_service.admission.storage import close_shared_storage
                from search_service.analytics.recorder import stop_recorder  # imports models: after setup
                from search_service.answer_cache import close_answer_cache
                from search_service.database_threads import close_connections as close_database_connections
                from search_service.keys.last_used import stop_last_used
                from search_service.metrics.exposition import forget_this_process

                await stop_recorder()  # after the last request: uvicorn runs this once they have all finished
                await stop_last_used()
                await close_database_connections()
                await close_client()
                await close_shared_storage()
                await close_answer_cache()
                forget_this_process()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        body_announced = announces_body(scope["headers"])
        if body_announced and (refusal := body_refusal(scope)) is not None:
            await self.refuse_body(scope, send, refusal)
            return
        config = settings.SEARCH
        if scope.get("path") == REPLAY_PATH and not body_announced:
            from search_service.answer_cache.replay import replay  # imports the models: after Django's setup

            if await replay(config, scope, send):  # a repeat, answered from the cache: no turn, no Django
                return
        try:
            # The head had HEADER_READ_TIMEOUT to arrive (protocol.py); a body (InstantSearch's POSTs) has as long
            # again: a client that announces one and trickles it must not hold its connection for good.
            async with asyncio.timeout(config.header_read_timeout if body_announced else None):
                body_file = await self.read_body(receive)
        except RequestAborted:
            return
        except TimeoutError:
            await self.refuse_body(scope, send, BODY_TIMED_OUT, status=408)
            return
        if not passes_door(config, scope):
            await self.answer(scope, receive, send, body_file)
            return
        began = time.perf_counter()
        try:
            async with through_door(config, scope):
                await self.answer(scope, receive, send, body_file)
        except Refused as refused:
            body_file.close()  # answer() closes it; refused at the door, it never ran
            await self.refuse_at_door(scope, send, refused, config.search_refusal_delay, began)

    async def answer(self, scope: Any, receive: Any, send: Any, body_file: Any) -> None:
        set_script_prefix(get_script_prefix(scope))
        await signals.request_started.asend(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = await self.respond_unless_disconnected(request, receive)
        if response is None:
            await signals.request_finished.asend(sender=self.__class__)
        else:
            if ANSWERED_FROM in scope:
                from search_service.answer_cache.replay import remember

                remember(settings.SEARCH, scope, response)
            with contextlib.suppress(asyncio.CancelledError):  # the client left while we were sending
                await self.send_response(response, send)
            response.close()
        body_file.close()

    async def refuse_at_door(self, scope: Any, send: Any, refused: Refused, delay: float, began: float) -> None:
        """429 `overloaded` for a search that found no turn at the door (admission/door.py), held back as every
        refusal is, with the access line and the metrics the middlewares would have written."""
        from search_service.metrics.series import observe_refusal

        observe_refusal(refused.code)
        await delay_refusal(refused, delay)
        body = orjson.dumps({"error": refused.code, "detail": refused.detail})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"retry-after", str(refused.retry_after).encode()),
        ]
        record_unseen(scope, headers, 429, began)
        with contextlib.suppress(asyncio.CancelledError):
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})

    async def refuse_websocket(self, scope: Any, receive: Any, send: Any) -> None:
        """400 `websocket_not_supported` to a WebSocket handshake that a server handed over as a `websocket` scope
        (uvicorn does so with `websockets` installed, as in `make dev`; scripts/serve's protocol.py refuses them
        itself). Django's handler refused one with a traceback and a 500: one address sent 1,410 a second, wrote
        23.8 MB of tracebacks in 20 s and tripled another caller's p99."""
        began = time.perf_counter()
        await receive()  # websocket.connect
        body = orjson.dumps({"error": WEBSOCKET_NOT_SUPPORTED, "detail": WEBSOCKET_DETAIL})
        if "websocket.http.response" in scope.get("extensions") or {}:
            headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
            record_unseen(scope, headers, 400, began)
            with contextlib.suppress(asyncio.CancelledError):
                await send({"type": "websocket.http.response.start", "status": 400, "headers": headers})
                await send({"type": "websocket.http.response.body", "body": body})
        else:  # a server without the denial extension answers a close before accepting with a bare 403
            record_unseen(scope, [], 403, began)
            await send({"type": "websocket.close", "code": 1008})

    async def refuse_body(self, scope: Any, send: Any, refusal: bytes, status: int = 413) -> None:
        """413 (or 408 for a body too slow), and the connection closed, so the server stops reading what the
        client still sends."""
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(refusal)),
            (b"connection", b"close"),
        ]
        record_unseen(scope, headers, status, time.perf_counter())
        with contextlib.suppress(asyncio.CancelledError):  # the client left while we were sending
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": refusal})

    async def respond_unless_disconnected(self, request: HttpRequest, receive: Any) -> HttpResponseBase | None:
        """The view's response; None if the client disconnected first, in which case the view is cancelled
        (so a search the client gave up on stops holding an Elasticsearch connection)."""
        view = asyncio.ensure_future(self.run_get_response(request))
        disconnect = asyncio.ensure_future(self.listen_for_disconnect(receive))
        await asyncio.wait({view, disconnect}, return_when=asyncio.FIRST_COMPLETED)
        if view.done():
            disconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                await disconnect
            response: HttpResponseBase = view.result()
            return response
        view.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await view
        with contextlib.suppress(RequestAborted):
            disconnect.result()
        return None


def record_unseen(scope: Any, headers: list[tuple[bytes, bytes]], status: int, began: float) -> None:
    """The access line, metric and request id header of a request answered before Django saw it."""
    from search_service.access_log import request_id  # imports the models: after Django's setup

    sent_id = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
    the_id = request_id(sent_id or None)
    if settings.SEARCH.search_access_log:
        headers.append((b"x-request-id", the_id.encode()))
    client = scope.get("client")
    record_early_answer(
        request_id=the_id,
        method=scope.get("method", "GET"),  # a `websocket` scope has none: its handshake is a GET
        path=scope.get("path"),
        status=status,
        duration=time.perf_counter() - began,
        client=client[0] if client else None,
    )


def build_application() -> SearchASGIHandler:
    django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does
    handler = SearchASGIHandler()
    # Django and the libraries are ~90,000 objects that live as long as the process. Frozen, they are no
    # longer walked by every full collection (~35 ms each, every few thousand requests). With the higher
    # threshold: ~0.88 -> ~0.65 ms CPU per request (docs/benchmarks.md).
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, older, oldest)
    return handler
