"""Connection and body limits, against the start command as the image runs it, with raw sockets on loopback."""

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvloop
from uvicorn.config import Config
from uvicorn.server import ServerState

from search_service.protocol import FD_RESERVE, ConnectionLimits, SearchHttpProtocol, connection_limits
from tests.raw_server import (
    HANG,
    Reader,
    Response,
    Server,
    assert_logged,
    assert_refusals_balance,
    read_response,
    serving,
)

HEADER_READ_TIMEOUT = 1.0
MAX_CONNECTIONS = 40
MAX_HEADER_BYTES = 32_768  # the default


@pytest.fixture(scope="module")
def server(fixture_index: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A short header timeout and a low connection limit."""
    limits = {"header_read_timeout": str(HEADER_READ_TIMEOUT), "max_connections": str(MAX_CONNECTIONS)}
    with serving(fixture_index, tmp_path_factory, limits, expected_5xx={503}) as server:
        yield server


def trickle_until_answered(sock: socket.socket, first: bytes) -> tuple[float, bool, Response | None]:
    """Send `first`, then one more header byte every 0.2 s for HANG at most: the seconds from before `first` was
    sent to the answer, whether the server answered or closed while the client was still sending, and the answer."""
    started = time.monotonic()
    sock.sendall(first)
    sock.settimeout(0.2)
    reader = Reader(sock)
    while_sending = False
    while time.monotonic() - started < HANG:
        with contextlib.suppress(TimeoutError):
            answer = reader.read()
            return time.monotonic() - started, True, answer
        try:
            sock.sendall(b"a")
        except (BrokenPipeError, ConnectionResetError):  # closed since the last look: its answer is in the buffer
            while_sending = True
            break
    sock.settimeout(HANG)
    answer = reader.read()
    return time.monotonic() - started, while_sending, answer


# The header timeout starts when the server accepts the connection or reads a head's first bytes, both after the
# client took `started`: an answer or close not earlier than that is causal, not a guess at the scheduler
# (libuv's timers count whole milliseconds, hence the 10 ms). How late they come is bounded only by HANG.
NOT_BEFORE_TIMEOUT = HEADER_READ_TIMEOUT - 0.01


def test_silent_connection_is_closed_after_the_header_timeout(server):
    started = time.monotonic()
    with server.connect() as sock:
        sock.settimeout(HANG)
        assert sock.recv(1024) == b""  # closed, with no answer to a client that said nothing
        elapsed = time.monotonic() - started

    assert elapsed >= NOT_BEFORE_TIMEOUT


@pytest.mark.parametrize("kept_alive", [False, True], ids=["new connection", "kept-alive connection"])
def test_trickled_head_is_answered_408_after_the_header_timeout(server, kept_alive):
    with server.connect() as sock:
        if kept_alive:  # one whole request first: the timeout then runs from the next request's first byte
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
            answer = Reader(sock).read()
            assert answer is not None
            assert answer.status == 200
            time.sleep(HEADER_READ_TIMEOUT / 2)  # idle, which the next head's timeout must not count
        elapsed, while_sending, answer = trickle_until_answered(sock, b"GET /health HTTP/1.1\r\nX-Slow: ")

    assert answer is not None
    assert answer.status == 408
    assert answer.headers["connection"] == "close"
    assert json.loads(answer.body)["error"] == "request_timeout"
    assert while_sending  # cut off while it was still sending (for HANG): its bytes do not restart the timeout
    assert elapsed >= NOT_BEFORE_TIMEOUT
    assert_logged(server, 408, answer.headers)


def test_head_over_the_limit_is_answered_431(server):
    with server.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 2 * MAX_HEADER_BYTES + b"\r\n\r\n")
        status, headers, body = read_response(sock)

    assert status == 431
    assert json.loads(body)["error"] == "headers_too_large"
    assert_logged(server, 431, headers)
    assert server.get("/health", headers={"X-Fits": "a" * (MAX_HEADER_BYTES // 2)}).status_code == 200


def test_unfinished_large_heads_do_not_grow_memory(server):
    """The attack that took a worker from 104 to 371 MB: 30 connections held open, each deep into one header."""
    before = server.rss_kb()
    attackers = [server.connect() for _ in range(30)]
    try:
        for sock in attackers:
            sock.sendall(b"GET /health HTTP/1.1\r\nX-Big: ")
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b"a" * 1_000_000)  # the server stops reading at MAX_HEADER_BYTES
        # Measured once the server has dealt with every head (an answer, or the reset that may replace it).
        answers = [read_response(sock)[0] for sock in attackers]
        grown = server.rss_kb() - before
    finally:
        for sock in attackers:
            sock.close()

    assert grown < 10_000
    assert 431 in answers
    assert set(answers) <= {431, 0}


@pytest.mark.parametrize(
    ("path", "framing"),
    [
        ("/health", b"Content-Length: 209715200\r\n"),
        ("/search?q=json", b"Content-Length: 209715200\r\n"),
        ("/nowhere", b"Transfer-Encoding: chunked\r\n"),
    ],
)
def test_request_body_is_refused_before_it_is_read(server, path, framing):
    with server.connect() as sock:
        # 3 bytes of the body the head announces: an answer now is an answer before the body was read.
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: evil.example\r\n".encode() + framing + b"\r\nabc")
        sock.settimeout(HANG)
        status, headers, body = read_response(sock)
        # What an attacker would go on sending: past FILE_UPLOAD_MAX_MEMORY_SIZE, Django would spool it to disk.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"a" * 3_000_000)

    assert status == 413
    assert headers["connection"] == "close"
    assert json.loads(body)["error"] == "body_not_allowed"
    assert_logged(server, 413, headers)
    assert server.open_files_in_tmpdir() == []
    assert list(server.tmpdir.iterdir()) == []


def test_get_with_an_empty_body_is_served(server):
    response = server.get("/health", headers={"Content-Length": "0"})

    assert response.status_code == 200


def test_connections_over_the_limit_are_answered_503_while_the_others_are_served(server):
    before = server.scrape()
    held = [server.connect() for _ in range(MAX_CONNECTIONS)]
    try:
        readers = [Reader(sock) for sock in held]
        for sock, reader in zip(held, readers, strict=True):  # each answered once: accepted, and kept alive
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert (answer := reader.read()) is not None
            assert answer.status == 200
        over = server.get("/health")
        held[0].sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        held_answer = readers[0].read()
    finally:
        for sock in held:
            sock.close()

    assert over.status_code == 503
    assert over.json()["error"] == "too_many_connections"
    assert over.headers["retry-after"] == "1"
    assert held_answer is not None
    assert held_answer.status == 200
    assert_logged(server, 503, dict(over.headers))
    assert status_once_served(server) == 200
    assert assert_refusals_balance(server, before)[503] >= 1


def status_once_served(server: Server) -> int:
    """The first answer other than 503: the closes of connections just let go reach the server in a moment."""
    for _ in range(100):
        status = server.get("/health").status_code
        if status != 503:
            return status
        time.sleep(0.05)
    return 503


def test_connection_limit_stays_below_the_open_file_limit(configure_service, monkeypatch):
    configure_service(max_connections=100_000, elasticsearch_connections_per_node=128)
    monkeypatch.setattr("resource.getrlimit", lambda _: (1024, 4096))
    connection_limits.cache_clear()
    try:
        limits = connection_limits()
    finally:
        connection_limits.cache_clear()

    assert limits.max_connections == 1024 - 128 - FD_RESERVE


def test_keep_alive_timeout_is_the_setting_not_uvicorns(configure_service):
    configure_service(keep_alive_timeout=75)
    connection_limits.cache_clear()
    try:
        protocol = SearchHttpProtocol(Config(app=answer_ok), ServerState(), {}, _loop=asyncio.new_event_loop())
    finally:
        connection_limits.cache_clear()
        protocol.loop.close()

    assert protocol.timeout_keep_alive == 75


TIMER = 0.2  # both timeouts, in the starved-loop test
REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"


async def answer_ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def answer_after_a_starved_loop(kept_alive: bool) -> bytes:
    """A request whose bytes reach the kernel while the loop is busy in an I/O callback past both timers' deadlines:
    what the client reads back (b"" if the connection was closed unanswered)."""
    loop = asyncio.get_running_loop()
    config = Config(app=answer_ok, lifespan="off")
    config.load()
    protocol = SearchHttpProtocol(config, ServerState(), {}, _loop=loop)
    protocol.limits = ConnectionLimits(TIMER, MAX_HEADER_BYTES, MAX_CONNECTIONS, TIMER)
    protocol.timeout_keep_alive = TIMER  # type: ignore[assignment]  # uvicorn types it int
    with (
        socket.create_server(("127.0.0.1", 0)) as listener,
        socket.create_connection(listener.getsockname()) as client,
    ):
        accepted, _ = listener.accept()
        client.setblocking(False)
        await loop.connect_accepted_socket(lambda: protocol, accepted)
        if kept_alive:  # one request answered first: the keep-alive timer runs
            await loop.sock_sendall(client, REQUEST)
            assert (await read_whole(loop, client)).startswith(b"HTTP/1.1 200")
        busy = asyncio.Event()
        wake, hog = socket.socketpair()
        with wake, hog:

            def starve() -> None:  # e.g. a burst's reads and responses, in the poll phase
                loop.remove_reader(hog)
                client.send(REQUEST)
                time.sleep(TIMER * 2)
                busy.set()

            loop.add_reader(hog, starve)
            wake.send(b"x")
            await busy.wait()
        answer = await read_whole(loop, client)
        protocol.transport.close()
        await asyncio.sleep(0)  # the transport lets go of the socket
        return answer


async def read_whole(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytes:
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while not data.endswith(b"ok"):
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), 5)
            if not chunk:
                break
            data += chunk
    return data


@pytest.mark.parametrize("kept_alive", [False, True], ids=["header timer", "keep-alive timer"])
@pytest.mark.parametrize("loop_factory", [asyncio.new_event_loop, uvloop.new_event_loop], ids=["asyncio", "uvloop"])
def test_request_that_arrived_while_the_loop_was_busy_is_answered(loop_factory, kept_alive):
    """uvloop (scripts/serve's loop) runs due timers before it reads the sockets again: a timer that closed the
    connection then dropped a whole request unanswered (issue 19)."""
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        answer = runner.run(answer_after_a_starved_loop(kept_alive))

    assert answer.startswith(b"HTTP/1.1 200"), answer
