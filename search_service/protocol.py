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

What it answers itself is JSON like the API's errors, and closes the connection.
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

import orjson
from django.conf import settings
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

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
    """HttpToolsProtocol plus a header-read timeout, a header-size limit and a connection limit."""

    refused = 0  # connections refused since the last log line, in this process
    refusals_logged_at = float("-inf")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = connection_limits()
        # Instead of uvicorn's --timeout-keep-alive, typed int there though call_later takes any number of seconds.
        self.timeout_keep_alive = self.limits.keep_alive_timeout  # type: ignore[assignment]
        self.head_open = True  # the parser waits for (the rest of) a request head
        self.head_bytes = 0  # how much of that head has arrived
        self.head_timer: asyncio.TimerHandle | None = None
        self.message_ended = False  # a request ended during the current feed

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self.log_refusal()
            detail = "too many connections; retry shortly"
            self.answer_and_close(503, "too_many_connections", detail, [(b"retry-after", b"%d" % RETRY_AFTER_SECONDS)])
            return
        self.head_timer = self.loop.call_later(self.limits.header_read_timeout, self.head_timed_out)

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
        room = self.limits.max_header_bytes - self.head_bytes
        if self.head_open and len(data) > room:
            # Feed only what the head may still take: if that does not complete it, the head is too large.
            self.feed(data[:room])
            if self.transport.is_closing():  # answered 400 already
                return
            if self.head_open and not self.message_ended:
                detail = f"the request head is over {self.limits.max_header_bytes} bytes"
                self.answer_and_close(431, "headers_too_large", detail)
            else:
                self.data_received(data[room:])  # a body, or pipelined requests, each checked again
            return
        self.feed(data)

    def feed(self, data: bytes) -> None:
        self.message_ended = False
        super().data_received(data)
        if not self.head_open:
            return
        if self.message_ended:
            # Mostly the request that just ended; a pipelined head it starts goes uncounted (one read at most).
            self.head_bytes = 0
        else:
            self.head_bytes += len(data)
            if self.head_timer is None:  # the first bytes of another request on a kept-alive connection
                self.head_timer = self.loop.call_later(self.limits.header_read_timeout, self.head_timed_out)

    def on_headers_complete(self) -> None:
        self.head_open = False
        self.head_bytes = 0
        self.cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.head_open = True
        self.message_ended = True
        super().on_message_complete()

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
        if self.head_bytes:
            detail = f"the request head did not arrive within {self.limits.header_read_timeout:g} s"
            self.answer_and_close(408, "request_timeout", detail)
        else:  # a connection that never said anything gets no answer
            self.transport.close()

    def cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request httptools cannot parse, as JSON."""
        self.answer_and_close(400, "invalid_request", msg)

    def answer_and_close(
        self, status: int, error: str, detail: str, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        body = orjson.dumps({"error": error, "detail": detail})
        head = [
            *self.server_state.default_headers,
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"connection", b"close"),
            *(headers or []),
        ]
        lines = b"".join(name + b": " + value + b"\r\n" for name, value in head)
        self.transport.write(STATUS_LINE[status] + lines + b"\r\n" + body)
        self.transport.close()
