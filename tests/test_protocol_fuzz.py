"""The protocol fuzz (issue 20): requests of every odd shape, as raw bytes on loopback, to the image's start command.

Each is answered below 500, or the connection is closed unanswered where HTTP lets a server do that (the case says
so); every answer carries a request id under which the access log has its line, and the metrics count as many of
each refusal as the log holds; nothing reaches stderr as a traceback or an ERROR (the server fixture checks at the
end); and the server serves a plain request afterwards, on the same connection when it is kept alive.
"""

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.http_requests import HOST, requests
from tests.raw_server import HANG, Reader, Response, Server, assert_logged, assert_refusals_balance, serving

HEADER_READ_TIMEOUT = 1.0
# A generated request the server keeps alive (despite its `Connection: close`) is closed this soon after its
# answer; long enough for a client on a loaded machine to send its next request on a kept-alive connection.
KEEP_ALIVE_TIMEOUT = 5.0
MAX_HEADER_BYTES = 32_768  # the default
EXAMPLES = int(os.environ.get("PROTOCOL_FUZZ_EXAMPLES", "300"))
PLAIN = b"GET /search?q=json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
WEBSOCKET = b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
WEBSOCKET_KEY = b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
H2C = b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"


@pytest.fixture(scope="module")
def server(fixture_index: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    timeouts = {"header_read_timeout": str(HEADER_READ_TIMEOUT), "keep_alive_timeout": str(KEEP_ALIVE_TIMEOUT)}
    with serving(fixture_index, tmp_path_factory, timeouts) as server:
        yield server


def get(target: bytes, *headers: bytes, version: bytes = b"HTTP/1.1", method: bytes = b"GET") -> bytes:
    return method + b" " + target + b" " + version + b"\r\n" + b"".join(headers) + b"\r\n"


# (request bytes, the statuses answered in order, whether the server then closes the connection)
SHAPES = [
    # Upgrades. A WebSocket handshake is refused whatever it holds; an upgrade the server does not make is
    # ignored, as RFC 9110 section 7.8 allows: the request is answered over HTTP/1.1, which goes on.
    pytest.param(get(b"/search?q=a", HOST, WEBSOCKET, WEBSOCKET_KEY), [400], True, id="websocket handshake"),
    pytest.param(get(b"/search?q=a", HOST, WEBSOCKET), [400], True, id="websocket without key or version"),
    pytest.param(
        get(b"/", HOST, WEBSOCKET, b"Sec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 99\r\n"),
        [400],
        True,
        id="websocket with a bad key and version",
    ),
    pytest.param(
        get(b"/", HOST, b"Upgrade: WebSocket/13, h2c\r\nConnection: keep-alive, Upgrade\r\n"),
        [400],
        True,
        id="websocket among other upgrades",
    ),
    pytest.param(
        get(b"/", HOST, b"Connection: ,,upgrade,,close\r\nUpgrade: websocket\r\n"), [400], True, id="odd Connection"
    ),
    pytest.param(
        get(b"/search", HOST, WEBSOCKET, WEBSOCKET_KEY, b"Content-Length: 5\r\n", method=b"POST") + b"hello",
        [400],
        True,
        id="websocket handshake with a body",
    ),
    pytest.param(get(b"/", HOST) + get(b"/", HOST, WEBSOCKET), [200, 400], True, id="websocket pipelined"),
    # Without `Connection: upgrade` there is no handshake (RFC 6455): an ordinary GET.
    pytest.param(get(b"/search?q=a", HOST, b"Upgrade: websocket\r\n"), [200], False, id="Upgrade alone"),
    pytest.param(get(b"/search?q=a", HOST, H2C), [200], False, id="h2c"),
    pytest.param(get(b"/search?q=a", HOST, H2C) + get(b"/", HOST), [200, 200], False, id="h2c, then pipelined"),
    pytest.param(get(b"/", HOST, b"Connection: upgrade\r\nUpgrade: foo/2, bar\r\n"), [200], False, id="unknown"),
    pytest.param(get(b"/", HOST, b"Connection: upgrade\r\n"), [200], False, id="Connection: upgrade, no Upgrade"),
    # Methods: those llhttp knows reach Django's JSON 405; others (and lower case) are not HTTP.
    pytest.param(get(b"/", HOST, method=b"PROPFIND"), [405], False, id="PROPFIND"),
    pytest.param(get(b"/", HOST, method=b"TRACE"), [405], False, id="TRACE"),
    pytest.param(get(b"/search", HOST, method=b"DELETE"), [405], False, id="DELETE"),
    pytest.param(get(b"/", HOST, method=b"get"), [400], True, id="lower-case get"),
    pytest.param(get(b"/", HOST, method=b"A" * 1024), [400], True, id="1 KB method"),
    pytest.param(get(b"/", HOST, method=b"CONNECT"), [405], False, id="CONNECT with a path"),
    # Request targets. An absolute URI is served for its path and the Host header (uvicorn keeps no authority);
    # no request is made to the host it names.
    pytest.param(get(b"http://127.0.0.1/search?q=a", HOST), [200], False, id="absolute URI of this server"),
    pytest.param(get(b"http://example.com/search?q=a", b"Host: example.com\r\n"), [400], False, id="other host"),
    pytest.param(get(b"http://example.com/search?q=a", HOST), [200], False, id="other host's URI, our Host"),
    pytest.param(get(b"https://u:p@example.com:8443/x?q=a#f", HOST), [404], False, id="absolute https URI"),
    pytest.param(get(b"example.com:443", b"Host: example.com:443\r\n", method=b"CONNECT"), [400], True, id="CONNECT"),
    pytest.param(get(b"*", HOST, method=b"OPTIONS"), [404], False, id="OPTIONS *"),
    pytest.param(get(b"search", HOST), [400], True, id="target without a slash"),
    pytest.param(get(b"//example.com/search", HOST), [404], False, id="double slash"),
    pytest.param(get(b"/%ff%fe%00%%/search", HOST), [404], False, id="broken percent-encoding"),
    pytest.param(get(b"/search?q=a#frag", HOST), [200], False, id="fragment"),
    # Versions. HTTP/0.9's request line has no version, so llhttp waits for headers that never come: 408 after
    # the header timeout. With an empty line after it, it is a request, answered in HTTP/1.1.
    pytest.param(b"GET /\r\n", [408], True, id="HTTP/0.9"),
    pytest.param(b"GET /\r\n\r\n", [200], True, id="HTTP/0.9 with an empty line"),
    pytest.param(get(b"/search?q=a", HOST, version=b"HTTP/1.0"), [200], True, id="HTTP/1.0"),
    pytest.param(get(b"/search?q=a", version=b"HTTP/1.0"), [200], True, id="HTTP/1.0 without Host"),
    # RFC 9112 asks for a 400; Django takes the server's address for the missing Host.
    pytest.param(get(b"/search?q=a"), [200], False, id="HTTP/1.1 without Host"),
    pytest.param(get(b"/", HOST, version=b"HTTP/2.0"), [200], True, id="HTTP/2.0 request line"),
    pytest.param(get(b"/", HOST, version=b"HTTP/9.9"), [400], True, id="HTTP/9.9"),
    pytest.param(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", [400], True, id="h2 preface"),
    pytest.param(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00", [400], True, id="h2 frames"),
    # Framing: what request smuggling is made of is refused by the parser; a body of any framing by asgi.py.
    pytest.param(get(b"/", HOST, b"X-A: one\r\n two\r\n"), [400], True, id="obsolete line folding"),
    pytest.param(get(b"/", HOST, b"Content-Length: 0\r\nContent-Length: 0\r\n"), [400], True, id="duplicate CL"),
    pytest.param(
        get(b"/", HOST, b"Content-Length: 1\r\nContent-Length: 2\r\n", method=b"POST") + b"ab",
        [400],
        True,
        id="conflicting Content-Length",
    ),
    pytest.param(
        get(b"/", HOST, b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", method=b"POST") + b"0\r\n\r\n",
        [400],
        True,
        id="Content-Length and Transfer-Encoding",
    ),
    pytest.param(get(b"/", HOST, b"Content-Length: -1\r\n"), [400], True, id="negative Content-Length"),
    pytest.param(get(b"/", HOST, b"Content-Length: 0\r\n"), [200], False, id="Content-Length: 0"),
    # A bad chunk is read after the head, whose Transfer-Encoding asgi.py refuses: that 413 is the answer.
    pytest.param(
        get(b"/", HOST, b"Transfer-Encoding: chunked\r\n", method=b"POST") + b"zz\r\nabc\r\n0\r\n\r\n",
        [413],
        True,
        id="bad chunk size",
    ),
    pytest.param(
        get(b"/", HOST, b"Transfer-Encoding: chunked\r\n") + b"5\r\nab\r\n0\r\n\r\n", [413], True, id="short chunk"
    ),
    pytest.param(get(b"/", HOST, b"Transfer-Encoding: gzip\r\n"), [413], True, id="Transfer-Encoding: gzip"),
    pytest.param(get(b"/", HOST, b"Expect: 100-continue\r\n"), [100, 200], False, id="Expect: 100-continue"),
    # Bytes: the parser takes no NUL, no byte over 0x7f in the target or a header name, and no bare LF.
    pytest.param(get(b"/se\x00arch", HOST), [400], True, id="NUL in the target"),
    pytest.param(get(b"/", HOST, b"X-A: a\x00b\r\n"), [400], True, id="NUL in a header"),
    pytest.param(get(b"/", HOST, b"X-A: a\x7fb\r\n"), [400], True, id="DEL in a header"),
    pytest.param(get("/search?q=été".encode()), [400], True, id="UTF-8 in the query"),
    pytest.param(get("/sé".encode(), HOST), [400], True, id="UTF-8 in the path"),
    pytest.param(get(b"/search\xff", HOST), [400], True, id="Latin-1 in the path"),
    pytest.param(get(b"/", HOST, "X-A: é\u2028\r\n".encode()), [200], False, id="UTF-8 in a header value"),
    pytest.param(get(b"/", HOST, "X-é: a\r\n".encode()), [400], True, id="UTF-8 in a header name"),
    pytest.param(get(b"/", "Host: éxample.com\r\n".encode()), [400], False, id="UTF-8 in Host"),
    pytest.param(get(b"/", HOST, "X-Request-ID: é\r\n".encode()), [200], False, id="UTF-8 in X-Request-ID"),
    pytest.param(get(b"/", HOST, b"X-Forwarded-For: \xff,,\r\nX-Forwarded-Proto: wss\r\n"), [200], False, id="XFF"),
    pytest.param(b"GET / HTTP/1.1\nHost: 127.0.0.1\n\n", [400], True, id="bare LF"),
    pytest.param(get(b"/", b"Host : 127.0.0.1\r\n"), [400], True, id="space before the colon"),
    pytest.param(b"GET\t/ HTTP/1.1\r\n" + HOST + b"\r\n", [400], True, id="tab after the method"),
    # Sizes. Under 64 KB, so that loopback delivers it whole and the server reads it all before it answers.
    pytest.param(get(b"/search?q=" + b"a" * 40_000, HOST), [431], True, id="request line over the limit"),
    # Pipelining: answers in order, a refusal after the answers owed before it.
    pytest.param(get(b"/search?q=a", HOST) + get(b"/nowhere", HOST), [200, 404], False, id="pipelined"),
    pytest.param(get(b"/search?q=a", HOST) + get(b"/", method=b"get"), [200, 400], True, id="pipelined garbage"),
    pytest.param(get(b"/", HOST) + get(b"/?" + b"a" * 40_000), [200, 431], True, id="pipelined head too large"),
    pytest.param(get(b"/", HOST) + b"GET / HTTP/1.1\r\nHos", [200, 408], True, id="pipelined head unfinished"),
    # After `Connection: close` the client may send nothing more (RFC 9112 section 9.6): it is not answered.
    pytest.param(get(b"/", HOST, b"Connection: close\r\n") + get(b"/", HOST), [200], True, id="after close"),
    # Nothing sent: no request, no answer; the connection is closed at the header timeout (RFC 9112 9.5).
    pytest.param(b"", [], True, id="nothing"),
]


def exchange(server: Server, raw: bytes, answers: int, closes: bool) -> list[Response]:
    """Send `raw`; read `answers` answers, or every answer until the server closes; then, on a connection kept
    alive, a plain request must be served (appended to the list)."""
    received: list[Response] = []
    with server.connect() as sock:
        sock.settimeout(HANG)
        sock.sendall(raw)
        reader = Reader(sock)
        while (closes or len(received) < answers) and (response := reader.read(head=raw.startswith(b"HEAD "))):
            received.append(response)
        if not closes:
            sock.sendall(PLAIN)
            response = reader.read()
            assert response is not None, "the connection was kept alive but does not serve"
            received.append(response)
    return received


def assert_answered_as_any_answer(server: Server, received: list[Response]) -> None:
    for response in received:
        assert response.status < 500, response
        if response.status >= 200:  # an interim 100 has no line of its own
            assert "x-request-id" in response.headers, response  # sent by the service, not by uvicorn
            assert_logged(server, response.status, response.headers)
        if response.status >= 400 and response.headers.get("content-type") == "application/json" and response.body:
            assert set(json.loads(response.body)) >= {"error", "detail"}  # (an answer to HEAD has no body)


def new_stderr(server: Server, since: int) -> str:
    return server.stderr.read_bytes()[since:].decode(errors="replace")


@pytest.mark.parametrize(("raw", "answers", "closes"), SHAPES)
def test_request_shape_is_answered_below_500_logged_and_counted(server, raw, answers, closes):
    before = server.scrape()
    stderr_before = server.stderr.stat().st_size

    received = exchange(server, raw, len(answers), closes)

    assert [response.status for response in received] == answers + ([] if closes else [200])
    assert_answered_as_any_answer(server, received)
    assert "Traceback" not in (errors := new_stderr(server, stderr_before)), errors
    assert "ERROR" not in errors, errors
    assert assert_refusals_balance(server, before) == {
        status: answers.count(status) for status in answers if status >= 400
    }
    assert exchange(server, PLAIN, 1, False)[0].status == 200


def test_generated_requests_are_answered_below_500_logged_and_counted(server):
    before = server.scrape()
    ran: list[dict[str, Any]] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(requests())
    def answered(raw: bytes) -> None:
        with server.connect() as sock:
            sock.settimeout(HANG)
            sock.sendall(raw)
            reader = Reader(sock)
            received = []
            while response := reader.read(head=raw.startswith(b"HEAD ")):
                received.append(response)
        # Whatever the server read some of, it answered (a head it could not finish with 408).
        assert received, raw
        assert_answered_as_any_answer(server, received)
        ran.append({"raw": raw, "statuses": [response.status for response in received]})

    answered()

    assert len(ran) >= EXAMPLES // 2
    assert "Traceback" not in (errors := server.stderr.read_text(errors="replace")), errors
    assert assert_refusals_balance(server, before)
    assert exchange(server, PLAIN, 1, False)[0].status == 200


async def test_a_websocket_scope_is_refused_with_the_access_line_and_no_exception():
    """Servers other than scripts/serve's (uvicorn with `websockets`, as `make dev` runs it) hand a handshake to
    the application as a `websocket` scope: asgi.py refuses it as protocol.py does."""
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
    assert (b"x-request-id", b"ws-refusal") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["error"] == "websocket_not_supported"
    without_extension: list[dict[str, Any]] = []

    async def send_plain(message: dict[str, Any]) -> None:
        without_extension.append(message)

    await application({**scope, "extensions": {}}, receive, send_plain)
    assert without_extension == [{"type": "websocket.close", "code": 1008}]
