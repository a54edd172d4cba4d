"""uvicorn's HTTP protocol (httptools) with the connection limits uvicorn lacks; scripts/serve passes it as `http=`.

uvicorn times out idle keep-alive connections only, so a client that connects and never finishes its request
head holds its connection (and a file descriptor) forever; httptools buffers a head of any size; and uvicorn's
`limit_concurrency` answers only once a head has arrived, so silent connections over it still hold descriptors.
Here, per worker process:

- a request head not complete HEADER_READ_TIMEOUT after the connection opened (or, on a kept-alive connection,
  after the next request's first bytes) closes the connection, answering 408 if any of the head arrived;
- a head longer than MAX_HEADER_BYTES is answered 431; the parser is never fed more than that;
- a connection beyond MAX_CONNECTIONS is answered 503 as it opens, before anything is read, and closed;
- an idle kept-alive connection is closed after KEEP_ALIVE_TIMEOUT (uvicorn's 5 s is the same as httpx's pool
  expiry, so the server closed connections at the moment a client reused them: issue 19).

Neither timeout closes a connection whose request bytes have reached the kernel but not the parser: under uvloop
a loop busy past a timer's deadline runs the timer before it reads the socket again, and the client lost its
request with no answer.

It answers itself, as JSON like the API's errors with an access line and a metric, what uvicorn answered out of
their sight or not at all (tests/test_protocol_fuzz.py): a request httptools cannot parse (400 `invalid_request`,
the parser's reason) and a WebSocket handshake (400 `websocket_not_supported`), after any response still owed on
the connection, which it then closes. An upgrade it does not make (h2c) is ignored, as RFC 9110 allows.
"""

import array
import asyncio
import fcntl
import functools
import logging
import resource
import termios
from dataclasses import dataclass
from typing import Any

import httptools
import orjson
from django.conf import settings
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from search_service.early_answers import (
    Refusal,
    asks_for_websocket,
    parse_error_detail,
    record_early_answer,
    websocket_refusal,
)

logger = logging.getLogger(__name__)

# Descriptors a worker needs besides its clients and its Elasticsearch pool: the listening socket, epoll,
# stdio, pipes, and the connections over the limit, each open only while it is answered 503.
FD_RESERVE = 128
# Searches take milliseconds, so a connection is soon free again.
RETRY_AFTER_SECONDS = 1
# Refusals are logged at most this often, so that a flood of connections does not become a flood of log lines.
REFUSAL_LOG_INTERVAL = 10.0


@dataclass(frozen=True)
class ConnectionLimits:
    header_read_timeout: float
    max_header_bytes: int
    max_connections: int
    keep_alive_timeout: float


class RefusedHead(Exception):
    """Raised in a parser callback: stops the parser at a head this protocol answers itself."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.error)
        self.refusal = refusal


@functools.cache
def connection_limits() -> ConnectionLimits:
    """The settings' limits, MAX_CONNECTIONS lowered if this process's file-descriptor limit cannot carry it:
    past that limit the kernel's accept fails, and callers get resets instead of an answer."""
    search = settings.SEARCH
    max_connections = search.max_connections
    soft_limit, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft_limit != resource.RLIM_INFINITY:
        pool = search.elasticsearch_connections_per_node * len(search.elasticsearch_hosts)
        affordable = max(soft_limit - pool - FD_RESERVE, 1)
        if max_connections > affordable:
            logger.warning(
                "MAX_CONNECTIONS lowered from %d to %d: the open-file limit is %d (ulimit -n), of which the "
                "Elasticsearch pool takes %d and the process %d",
                max_connections,
                affordable,
                soft_limit,
                pool,
                FD_RESERVE,
            )
            max_connections = affordable
    return ConnectionLimits(
        search.header_read_timeout, search.max_header_bytes, max_connections, search.keep_alive_timeout
    )


def unread_bytes(transport: asyncio.BaseTransport) -> int:
    """Bytes the kernel holds for this connection that the event loop has not read yet (FIONREAD)."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return 0
    count = array.array("i", [0])
    try:
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, count)
    except (OSError, ValueError):  # closed meanwhile
        return 0
    return count[0]


class SearchHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol plus a header-read timeout, a header-size limit and a connection limit, and its own
    answers (each logged and counted) to what it cannot parse and to WebSocket handshakes."""

    refused = 0  # connections refused since the last log line, in this process
    refusals_logged_at = float("-inf")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = connection_limits()
        # Instead of uvicorn's --timeout-keep-alive, typed int there though call_later takes any number of seconds.
        self.timeout_keep_alive = self.limits.keep_alive_timeout  # type: ignore[assignment]
        self.head_open = True  # the parser waits for (the rest of) a request head
        self.head_bytes = 0  # how much of that head has arrived
        self.head_started = False  # the parser has begun a request it has not finished
        self.head_began = 0.0  # loop time when it began to arrive (or the connection opened)
        self.head_timer: asyncio.TimerHandle | None = None
        self.message_ended = False  # a request ended during the current feed
        self.owed: Refusal | None = None  # to answer once the responses still owed are sent; nothing more is read

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.head_began = self.loop.time()
        if len(self.connections) > self.limits.max_connections:
            self.log_refusal()
            detail = "too many connections; retry shortly"
            retry_after = (b"retry-after", b"%d" % RETRY_AFTER_SECONDS)
            self.refuse(Refusal(503, "too_many_connections", detail, (retry_after,)))
            return
        self.start_head_timer()

    def log_refusal(self) -> None:
        cls = SearchHttpProtocol
        cls.refused += 1
        if self.loop.time() - cls.refusals_logged_at >= REFUSAL_LOG_INTERVAL:
            limit = self.limits.max_connections
            logger.warning("Refused %d connection(s) over MAX_CONNECTIONS (%d) with 503", cls.refused, limit)
            cls.refused = 0
            cls.refusals_logged_at = self.loop.time()

    def connection_lost(self, exc: Exception | None) -> None:
        self.cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.owed is not None or self.transport.is_closing():
            return  # refused: what the client sends after that is not read
        room = max(self.limits.max_header_bytes - self.head_bytes, 0)
        if self.head_open and len(data) > room:
            # Feed only what the head may still take: if that does not complete it, the head is too large.
            self.feed(data[:room])
            if self.owed is not None or self.transport.is_closing():  # refused already
                return
            if self.head_open and not self.message_ended:
                detail = f"the request head is over {self.limits.max_header_bytes} bytes"
                self.refuse(Refusal(431, "headers_too_large", detail))
            else:
                self.data_received(data[room:])  # a body, or pipelined requests, each checked again
            return
        self.feed(data)

    def feed(self, data: bytes) -> None:
        self.message_ended = False
        self.parse(data)
        if not self.head_open or self.owed is not None or self.transport.is_closing():
            return
        if self.message_ended:
            self.head_bytes = 0
            if self.head_started:  # a head pipelined after it, timed and counted (what the parser holds of it)
                self.head_bytes = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
                self.start_head_timer()
        else:
            self.head_bytes += len(data)
            self.start_head_timer()  # if these are the first bytes of another request on a kept-alive connection

    def start_head_timer(self) -> None:
        if self.head_timer is None:
            self.head_began = self.loop.time()
            self.head_timer = self.loop.call_later(self.limits.header_read_timeout, self.head_timed_out)

    def parse(self, data: bytes) -> None:
        """uvicorn's data_received, with the parser's refusals answered here."""
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            # An upgrade not made (h2c): the request goes on as HTTP/1.1 and the parser has resumed after it.
            offset = upgrade.args[0]
            if 0 < offset < len(data):
                self.parse(data[offset:])
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, RefusedHead):
                self.refuse(error.__context__.refusal)
            elif not self.head_open:
                # In the body of a request being answered (asgi.py refuses every body, and its 413 closes the
                # connection): that answer is the request's, and no other comes after it.
                if self.cycle.response_complete:
                    self.transport.close()
                else:
                    self.cycle.keep_alive = False
            else:
                self.refuse(Refusal(400, "invalid_request", parse_error_detail(error)))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_started = True

    def on_headers_complete(self) -> None:
        if self.parser.should_upgrade() and asks_for_websocket(self.headers):
            raise RefusedHead(websocket_refusal(self.parser.get_method(), self.url, self.headers))
        super().on_headers_complete()  # may raise (a target uvicorn cannot parse): then it is 400, the head open
        self.head_open = False
        self.head_bytes = 0
        self.cancel_head_timer()

    def _should_upgrade_to_ws(self) -> bool:
        return False  # never hand a connection to uvicorn's WebSocket protocol: on_headers_complete refuses them

    def on_message_complete(self) -> None:
        self.head_open = True
        self.head_started = False
        self.message_ended = True
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.owed is not None and self.cycle.response_complete and not self.transport.is_closing():
            self._unset_keepalive_if_required()
            self.answer_and_close(self.owed)

    def timeout_keep_alive_handler(self) -> None:
        self.timeout_keep_alive_task = None
        if unread_bytes(self.transport):  # a request came while the loop was busy: it is answered, not dropped
            return
        super().timeout_keep_alive_handler()

    def head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():
            return
        if unread_bytes(self.transport):
            # The client has sent more; the worker has not read it yet. Time the head again from now: a client
            # dribbling bytes is still cut off, as its bytes are read as they come whenever the loop is not behind.
            self.head_timer = self.loop.call_later(self.limits.header_read_timeout, self.head_timed_out)
            return
        if self.head_bytes or self.head_started:
            detail = f"the request head did not arrive within {self.limits.header_read_timeout:g} s"
            self.refuse(Refusal(408, "request_timeout", detail))
        else:  # a connection that never said anything gets no answer
            self.transport.close()

    def cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def refuse(self, refusal: Refusal) -> None:
        """Answer `refusal` and close, once the responses still owed on this connection are sent."""
        self.cancel_head_timer()
        if self.cycle is not None and not self.cycle.response_complete:
            self.owed = refusal
        else:
            self.answer_and_close(refusal)

    def answer_and_close(self, refusal: Refusal) -> None:
        from search_service.access_log import request_id  # imports the models: after Django's setup

        the_id = request_id(refusal.sent_request_id)
        # Recorded first: a client that has read the answer finds its access line and metric.
        record_early_answer(
            request_id=the_id,
            method=refusal.method,
            path=refusal.path,
            status=refusal.status,
            duration=self.loop.time() - self.head_began,
            client=self.client[0] if self.client else None,
        )
        body = orjson.dumps({"error": refusal.error, "detail": refusal.detail})
        head = [
            *self.server_state.default_headers,
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"connection", b"close"),
            (b"x-request-id", the_id.encode()),
            *refusal.headers,
        ]
        lines = b"".join(name + b": " + value + b"\r\n" for name, value in head)
        self.transport.write(STATUS_LINE[refusal.status] + lines + b"\r\n" + body)
        self.transport.close()
