"""Answers given before Django sees a request — protocol.py's 400, 408, 431 and 503, asgi.py's 413, 429 and
WebSocket 400 — and the access line and metric each has, as the middlewares write them for every other answer
(docs/security.md lists them)."""

import logging
from dataclasses import dataclass
from urllib.parse import unquote

import httptools
from django.conf import settings

logger = logging.getLogger(__name__)

# The metrics' endpoint of an answer given before any route could be known (400 invalid_request, 408, 431, 503).
UNPARSED = "unparsed"
WEBSOCKET_NOT_SUPPORTED = "websocket_not_supported"
WEBSOCKET_DETAIL = "This API speaks plain HTTP: send the GET without Upgrade"


@dataclass(frozen=True)
class Refusal:
    """An answer protocol.py gives itself, and what it knows of the request for the access line."""

    status: int
    error: str
    detail: str
    headers: tuple[tuple[bytes, bytes], ...] = ()
    method: str | None = None
    path: str | None = None
    sent_request_id: str | None = None


def record_early_answer(
    *, request_id: str, method: str | None, path: str | None, status: int, duration: float, client: str | None
) -> None:
    """The access line (SEARCH_ACCESS_LOG) and the request metric (SEARCH_METRICS) of an answer given before
    Django; `path` None when no request target was read, counted under the endpoint `unparsed`."""
    config = settings.SEARCH
    if config.search_access_log:
        from search_service.access_log import log_early_answer  # imports the models: after Django's setup

        log_early_answer(
            request_id=request_id, method=method, path=path, status=status, duration=duration, client=client
        )
    if config.search_metrics:
        from search_service.metrics.middleware import endpoint_of_path
        from search_service.metrics.series import observe_request

        observe_request(UNPARSED if path is None else endpoint_of_path(path), status, duration)


def asks_for_websocket(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether an upgrade request (the parser has checked `Connection: upgrade`) names WebSocket among the
    protocols it offers (`Upgrade: websocket`, `WebSocket/13, h2c`)."""
    return any(
        token.split(b"/")[0].strip().lower() == b"websocket"
        for name, value in headers
        if name == b"upgrade"
        for token in value.split(b",")
    )


def websocket_refusal(method: bytes, url: bytes, headers: list[tuple[bytes, bytes]]) -> Refusal:
    """400 `websocket_not_supported` to a handshake, with its method, path and request id for the access line."""
    path = httptools.parse_url(url).path.decode("ascii")  # the parser let only ASCII through
    sent_id = next((value for name, value in headers if name == b"x-request-id"), None)
    return Refusal(
        400,
        WEBSOCKET_NOT_SUPPORTED,
        WEBSOCKET_DETAIL,
        method=method.decode("ascii"),
        path=unquote(path),
        sent_request_id=None if sent_id is None else sent_id.decode("latin-1"),
    )


def parse_error_detail(error: httptools.HttpParserError) -> str:
    """Why httptools refused a request: llhttp's fixed reasons (`Invalid method encountered`, `Duplicate
    Content-Length`), or a target uvicorn's callbacks could not read (CONNECT's `host:port`)."""
    if isinstance(error, httptools.HttpParserCallbackError):
        cause = error.__context__
        if not isinstance(cause, httptools.HttpParserError | UnicodeError):  # a bug, not the client's mistake
            logger.error("An HTTP parser callback failed", exc_info=cause)
        return "not valid HTTP/1.1: a request target this server cannot read (it takes /path?query)"
    if str(error) == "Pause on PRI/Upgrade":
        return "HTTP/2 is not served here (no prior knowledge, no h2c): send HTTP/1.1"
    return f"not valid HTTP/1.1: {error}"
