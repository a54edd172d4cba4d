"""The image's start command served on loopback for the protocol tests (test_protocol_limits.py,
test_protocol_fuzz.py), and HTTP read off raw sockets: what a client sees, byte for byte, and what the server
wrote of it (its access log, its metrics, its stderr)."""

import contextlib
import os
import socket
import subprocess
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO, free_port, serve_environment
from tests.test_metrics import Samples, samples
from tests.test_serve import access_lines, image_command, wait_for

METRICS_TOKEN = "metrics-token-for-protocol-tests"
# Only where a hang must be caught: far above any answer's time, even on a loaded machine.
HANG = 20.0
REFUSALS = range(400, 600)


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int, tmpdir: Path, logs: Path) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.tmpdir = tmpdir
        self.stdout = logs / "stdout.log"  # the access log
        self.stderr = logs / "stderr.log"  # everything else: warnings, and any traceback

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=HANG)
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

    def access_lines(self) -> list[dict[str, Any]]:
        """Written before the answer is sent, so a client that has its answer finds its line."""
        return access_lines(self.stdout.read_text(errors="replace"))

    def access_line(self, request_id: str) -> dict[str, Any]:
        [line] = [line for line in self.access_lines() if line["request_id"] == request_id]
        return line

    def get(self, path: str, **request: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=HANG, **request)

    def scrape(self) -> tuple[Samples, str]:
        """The metrics, and the request id of the scrape (its access line opens or closes a ledger)."""
        response = self.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert response.status_code == 200, response.text
        return samples(response.text), response.headers["x-request-id"]


@contextlib.contextmanager
def serving(
    index: str,
    tmp_path_factory: pytest.TempPathFactory,
    settings: Mapping[str, str],
    *,
    expected_5xx: Collection[int] = (),
) -> Iterator[Server]:
    """The image's start command with `settings` (by field name), one worker, its temporary files in a directory
    of their own; at the end, no traceback and no ERROR line on stderr, and no 5xx in the access log but
    `expected_5xx` (a 503 over MAX_CONNECTIONS answers load, not a request)."""
    port = free_port()
    tmpdir = tmp_path_factory.mktemp("server-tmp")
    # The metrics' files are kept open by design; elsewhere, so that tmpdir holds only what a body would spool.
    metrics_dir = tmp_path_factory.mktemp("server-metrics")
    logs = tmp_path_factory.mktemp("server-logs")  # files: nobody reads a pipe while it runs
    env = serve_environment(
        index,
        port,
        tmpdir=str(tmpdir),
        prometheus_multiproc_dir=str(metrics_dir),
        metrics_token=METRICS_TOKEN,
        **settings,
    )
    with (logs / "stdout.log").open("wb") as stdout, (logs / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(image_command(), cwd=REPO, env=env, stdout=stdout, stderr=stderr)
    server = Server(process, port, tmpdir, logs)
    try:
        assert wait_for(f"{server.url}/health").status_code == 200
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)
    errors = server.stderr.read_text(errors="replace")
    assert "Traceback" not in errors, errors
    assert "ERROR" not in errors, errors
    assert [
        line for line in server.access_lines() if line["status"] >= 500 and line["status"] not in expected_5xx
    ] == []


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Reader:
    """Responses off a raw socket, in order, however they arrive: framed by Content-Length, chunked, or by the
    close. A socket timeout raises (a hang is caught there); the bytes read so far stay for the next try."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.data = b""

    def fill(self) -> bool:
        """More bytes; False once the server has closed (a reset is a close that may lose the last bytes)."""
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        self.data += chunk
        return bool(chunk)

    def until(self, marker: bytes) -> bytes | None:
        while marker not in self.data:
            if not self.fill():
                return None
        taken, _, self.data = self.data.partition(marker)
        return taken

    def take(self, count: int) -> bytes | None:
        while len(self.data) < count:
            if not self.fill():
                return None
        taken, self.data = self.data[:count], self.data[count:]
        return taken

    def read(self, *, head: bool = False) -> Response | None:
        """The next response (`head`: to a HEAD request, so without a body), or None if the server closed first."""
        raw = self.until(b"\r\n\r\n")
        if raw is None:
            return None
        status_line, *lines = raw.decode("latin-1").split("\r\n")
        headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        status = int(status_line.split()[1])
        body: bytes | None = b""
        if head or status < 200 or status in (204, 304):
            pass
        elif "content-length" in headers:
            body = self.take(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            body = self.dechunk()
        else:
            while self.fill():
                pass
            body, self.data = self.data, b""
        assert body is not None, f"closed in the middle of a {status}'s body"
        return Response(status, headers, body)

    def dechunk(self) -> bytes | None:
        body = b""
        while (size_line := self.until(b"\r\n")) is not None:
            size = int(size_line.split(b";")[0], 16)
            chunk = self.take(size + 2)  # and its CRLF; the last chunk's is the end of the (trailer-less) body
            if chunk is None or size == 0:
                return None if chunk is None else body
            body += chunk[:-2]
        return None


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response, or (0, {}, b"") if the server closed first."""
    response = Reader(sock).read()
    return (0, {}, b"") if response is None else (response.status, response.headers, response.body)


def assert_logged(server: Server, status: int, headers: dict[str, str]) -> None:
    """An answer has its access line, under the request id it was sent with."""
    assert status in {line["status"] for line in server.access_lines() if line["request_id"] == headers["x-request-id"]}


def assert_refusals_balance(server: Server, before: tuple[Samples, str]) -> Counter[int]:
    """The refusals (status 400 and above) answered since the scrape `before`: as many of each status in the
    access log as in the metrics."""
    after = server.scrape()
    lines = server.access_lines()
    ids = [line["request_id"] for line in lines]
    logged = Counter(line["status"] for line in lines[ids.index(before[1]) + 1 : ids.index(after[1])])
    refusals = Counter({status: count for status, count in logged.items() if status >= 400})
    counted = Counter(
        {
            status: requests_by_status(after[0], status) - requests_by_status(before[0], status)
            for status in range(400, 600)
        }
    )
    assert refusals == counted
    return refusals


def requests_by_status(found: Samples, status: int) -> int:
    return int(
        sum(
            count
            for (name, labels), count in found.items()
            if name == "search_http_request_duration_seconds_count" and dict(labels)["status"] == str(status)
        )
    )
