"""Connection and body limits, against the start command as the image runs it, with raw sockets on loopback."""

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvloop
from uvicorn.config import Config
from uvicorn.server import ServerState

from search_service.protocol import FD_RESERVE, ConnectionLimits, SearchHttpProtocol, connection_limits
from tests.conftest import ES_PASSWORD, ES_URL, REPO, free_port
from tests.test_serve import image_command, wait_for

HEADER_READ_TIMEOUT = 1.0
MAX_CONNECTIONS = 40
MAX_HEADER_BYTES = 32_768  # the default


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int, tmpdir: Path) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.tmpdir = tmpdir

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])

    def open_files_in_tmpdir(self) -> list[str]:
        """Also the unnamed files (O_TMPFILE) that Django's spooled body would be, which a listing misses."""
        links = []
        for fd in Path(f"/proc/{self.process.pid}/fd").iterdir():
            with contextlib.suppress(FileNotFoundError):  # closed since the listing
                links.append(os.readlink(fd))
        return [link for link in links if link.startswith(str(self.tmpdir))]


@pytest.fixture(scope="module")
def server(fixture_index: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One worker with a short header timeout and a low connection limit; its temporary files go to `tmpdir`."""
    port = free_port()
    tmpdir = tmp_path_factory.mktemp("server-tmp")
    # The metrics' files are kept open by design; elsewhere, so that tmpdir holds only what a body would spool.
    metrics_dir = tmp_path_factory.mktemp("server-metrics")
    log_path = tmp_path_factory.mktemp("server-log") / "serve.log"  # a file: nobody reads a pipe while it runs
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(tmpdir),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "ELASTICSEARCH_HOSTS": ES_URL,
        "ELASTICSEARCH_USERNAME": "elastic",
        "ELASTICSEARCH_PASSWORD": ES_PASSWORD,
        "ELASTICSEARCH_INDEX": fixture_index,
        "HEADER_READ_TIMEOUT": str(HEADER_READ_TIMEOUT),
        "MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(image_command(), cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    assert wait_for(f"http://127.0.0.1:{port}/health").status_code == 200
    yield Server(process, port, tmpdir)
    process.terminate()
    process.wait(timeout=30)
    log = log_path.read_text()
    assert "Traceback" not in log, log


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response with a Content-Length body (what the limits answer), or (0, {}, b"") if the server closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return 0, {}, b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed in the middle of the body"
        body += chunk
    return int(status_line.split()[1]), headers, body


def trickle_until_answered(sock: socket.socket, first: bytes) -> tuple[float, int, dict[str, str], bytes]:
    """Send `first`, then one more header byte every 0.2 s; how long until the server answered or closed."""
    started = time.monotonic()
    sock.sendall(first)
    sock.settimeout(0.2)
    for _ in range(50):  # 10 s at most
        try:
            status, headers, body = read_response(sock)
            return time.monotonic() - started, status, headers, body
        except TimeoutError:
            pass
        try:
            sock.sendall(b"a")
        except (BrokenPipeError, ConnectionResetError):
            break
    sock.settimeout(1)
    status, headers, body = read_response(sock)
    return time.monotonic() - started, status, headers, body


def test_silent_connection_is_closed_after_the_header_timeout(server):
    with server.connect() as sock:
        started = time.monotonic()
        assert sock.recv(1024) == b""  # closed, with no answer to a client that said nothing
        elapsed = time.monotonic() - started

    assert HEADER_READ_TIMEOUT - 0.1 < elapsed < HEADER_READ_TIMEOUT + 1


@pytest.mark.parametrize("kept_alive", [False, True], ids=["new connection", "kept-alive connection"])
def test_trickled_head_is_answered_408_after_the_header_timeout(server, kept_alive):
    with server.connect() as sock:
        if kept_alive:  # one whole request first: the timeout then runs from the next request's first byte
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
            answer = b""
            while not answer.endswith(b"0\r\n\r\n"):  # the 200, chunked
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200")
            time.sleep(HEADER_READ_TIMEOUT / 2)
        elapsed, status, headers, body = trickle_until_answered(sock, b"GET /health HTTP/1.1\r\nX-Slow: ")

    assert status == 408
    assert headers["connection"] == "close"
    assert json.loads(body)["error"] == "request_timeout"
    assert HEADER_READ_TIMEOUT - 0.1 < elapsed < HEADER_READ_TIMEOUT + 1


def test_head_over_the_limit_is_answered_431(server):
    with server.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 2 * MAX_HEADER_BYTES + b"\r\n\r\n")
        status, _, body = read_response(sock)

    assert status == 431
    assert json.loads(body)["error"] == "headers_too_large"
    assert httpx.get(f"{server.url}/health", headers={"X-Fits": "a" * (MAX_HEADER_BYTES // 2)}).status_code == 200


def test_unfinished_large_heads_do_not_grow_memory(server):
    """The attack that took a worker from 104 to 371 MB: 30 connections held open, each deep into one header."""
    before = server.rss_kb()
    attackers = [server.connect() for _ in range(30)]
    try:
        for sock in attackers:
            sock.sendall(b"GET /health HTTP/1.1\r\nX-Big: ")
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b"a" * 1_000_000)  # the server stops reading at MAX_HEADER_BYTES
        time.sleep(0.2)
        grown = server.rss_kb() - before
        answers = []
        for sock in attackers:
            with contextlib.suppress(ConnectionResetError):  # an answer may be lost to the reset of unread data
                answers.append(read_response(sock)[0])
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
        started = time.monotonic()
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: evil.example\r\n".encode() + framing + b"\r\nabc")
        status, headers, body = read_response(sock)
        elapsed = time.monotonic() - started
        # What an attacker would go on sending: past FILE_UPLOAD_MAX_MEMORY_SIZE, Django would spool it to disk.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"a" * 3_000_000)

    assert status == 413
    assert headers["connection"] == "close"
    assert json.loads(body)["error"] == "body_not_allowed"
    assert elapsed < 1  # answered at once, not after reading 200 MB
    assert server.open_files_in_tmpdir() == []
    assert list(server.tmpdir.iterdir()) == []


def test_get_with_an_empty_body_is_served(server):
    response = httpx.get(f"{server.url}/health", headers={"Content-Length": "0"})

    assert response.status_code == 200


def test_connections_over_the_limit_are_answered_503_while_the_others_are_served(server):
    held = [server.connect() for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)  # all accepted
        over = httpx.get(f"{server.url}/health")
        held[0].sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        held_answer = held[0].recv(65536)
    finally:
        for sock in held:
            sock.close()

    assert over.status_code == 503
    assert over.json()["error"] == "too_many_connections"
    assert over.headers["retry-after"] == "1"
    assert held_answer.startswith(b"HTTP/1.1 200")
    time.sleep(0.2)
    assert httpx.get(f"{server.url}/health").status_code == 200


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


WEBSOCKET_HANDSHAKE = (
    b"GET /search?q=json HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def test_a_websocket_handshake_is_a_json_400_not_a_500(server):
    # The server fixture fails at teardown if any Traceback reached the log.
    for _ in range(20):
        with server.connect() as sock:
            sock.sendall(WEBSOCKET_HANDSHAKE)
            status, headers, body = read_response(sock)
            assert status == 400
            assert headers["content-type"] == "application/json"
            assert json.loads(body)["error"] == "websocket_not_supported"
    with server.connect() as sock:  # and the worker serves as before
        sock.sendall(b"GET /search?q=json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(sock)[0] == 200


async def test_a_websocket_scope_is_refused_with_the_access_line_and_no_exception():
    from config.asgi import application

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/search",
        "headers": [(b"x-request-id", b"ws-refusal")],
        "client": ("127.0.0.1", 5000),
        "extensions": {"websocket.http.response": {}},
    }
    await application(scope, receive, send)

    assert [message["type"] for message in sent] == ["websocket.http.response.start", "websocket.http.response.body"]
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["error"] == "websocket_not_supported"
    without_extension: list[dict[str, Any]] = []

    async def send_plain(message: dict[str, Any]) -> None:
        without_extension.append(message)

    await application({**scope, "extensions": {}}, receive, send_plain)
    assert without_extension == [{"type": "websocket.close", "code": 1008}]
