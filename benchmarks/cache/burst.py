"""N requests at once, each its own (hey sends one URL N times; a burst of distinct searches needs N URLs).

Every connection is opened first, then every request is written in one pass of the event loop, each asking
`Connection: close` so that its answer ends where the connection does. The wall time runs from the first request
written to the last answer read: what the burst waited, without the connecting (reported apart). Plain asyncio
streams, no HTTP client: a client's own cost per request (httpx: about a millisecond) would spread the burst's
start over a second. Loopback only, and bounded: every request has `timeout` seconds in all.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

HOST = "127.0.0.1"


@dataclass
class Burst:
    wall_s: float
    connect_s: float
    statuses: Counter[int]  # answers by status
    failed: int  # no status 200: other statuses, connection errors, time-outs
    warm_up_status: int | None = None

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)


def get(path: str, port: int) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode()


def post(path: str, port: int, body: str, headers: dict[str, str]) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    data = body.encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{head}Content-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    ).encode() + data


async def _exchange(
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes, began: float
) -> tuple[int | None, float]:
    reader, writer = connection
    try:
        writer.write(request)
        answer = await reader.read()  # to the end: the server closes after its answer
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
        return status, time.perf_counter() - began
    except (OSError, ValueError, IndexError):
        return None, time.perf_counter() - began
    finally:
        writer.close()


async def _connect(port: int, count: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    opened = await asyncio.gather(*(asyncio.open_connection(HOST, port) for _ in range(count)), return_exceptions=True)
    return [connection for connection in opened if not isinstance(connection, BaseException)]


async def _burst(
    port: int, requests: list[bytes], limit_s: float, warm_up: bytes | None, pause: float, before: Callable[[], object]
) -> Burst:
    warm = None
    if warm_up is not None:
        warm = asyncio.ensure_future(_exchange(await asyncio.open_connection(HOST, port), warm_up, time.perf_counter()))
        if pause > 0:  # the burst's connections are opened after the pause: an idle one is closed after 5 s
            await asyncio.wait([warm])
            await asyncio.sleep(pause)
    began = time.perf_counter()
    connections = await _connect(port, len(requests))  # while the warm-up is under way, when there is no pause
    connected = time.perf_counter()
    warm_up_status = (await warm)[0] if warm is not None else None
    before()
    sent = time.perf_counter()
    exchanges = [asyncio.ensure_future(_exchange(c, r, sent)) for c, r in zip(connections, requests, strict=False)]
    done, pending = await asyncio.wait(exchanges, timeout=limit_s)
    for task in pending:
        task.cancel()
    results = [task.result() for task in done]
    statuses = Counter(status for status, _ in results if status is not None)
    return Burst(
        wall_s=limit_s if pending else max((seconds for _, seconds in results), default=0.0),
        connect_s=connected - began,
        statuses=statuses,
        failed=len(requests) - statuses.get(200, 0),
        warm_up_status=warm_up_status,
    )


def burst(
    port: int,
    requests: list[bytes],
    *,
    warm_up: bytes | None = None,
    pause: float = 0.0,
    before: Callable[[], object] = lambda: None,
    timeout: float = 60.0,
) -> Burst:
    """Send `requests` to 127.0.0.1:`port` all at once, each on a connection of its own; with `warm_up`, once that
    request has been answered (the burst's connections opened meanwhile), or `pause` seconds after. `before` is
    called just before the burst is sent (to read counters: it should take milliseconds)."""
    return asyncio.run(_burst(port, requests, timeout, warm_up, pause, before))
