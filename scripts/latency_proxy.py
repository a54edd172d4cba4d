#!/usr/bin/env python3
"""A TCP proxy that delays every response by a fixed time: a slow Elasticsearch, for tests and benchmarks.

    scripts/latency_proxy.py --listen 127.0.0.1:9299 --upstream 127.0.0.1:9200 --delay 3

Each connection is forwarded as it is; bytes from the upstream are held until `delay` seconds have passed
since the client last sent something, so each request/response exchange on a keep-alive connection gets
the delay once, however many chunks the response has. Runs on uvloop when it is installed (it comes with
uvicorn[standard]), which keeps the proxy's own cost out of bursts of a thousand connections; on the
standard library otherwise.
"""

import argparse
import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

# Called before each chunk is forwarded: records a request, or holds a response back.
DataHook = Callable[[], Awaitable[None]]


def parse_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


class Exchange:
    """The time of the latest bytes from the client, shared by the two directions of one connection."""

    def __init__(self) -> None:
        self.last_request_at = time.monotonic()


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, on_data: DataHook) -> None:
    try:
        while data := await reader.read(65536):
            await on_data()
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def handle(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream: tuple[str, int],
    delay: float,
) -> None:
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(*upstream)
    except OSError:
        client_writer.close()
        return
    exchange = Exchange()

    async def request_seen() -> None:
        exchange.last_request_at = time.monotonic()

    async def hold_response() -> None:
        remaining = exchange.last_request_at + delay - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)

    await asyncio.gather(
        pump(client_reader, upstream_writer, request_seen),
        pump(upstream_reader, client_writer, hold_response),
    )


async def serve(listen: tuple[str, int], upstream: tuple[str, int], delay: float) -> None:
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, upstream, delay), *listen, backlog=4096, reuse_address=True
    )
    print(f"latency proxy {listen[0]}:{listen[1]} -> {upstream[0]}:{upstream[1]}, +{delay}s", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", type=parse_address, required=True, help="host:port to listen on")
    parser.add_argument("--upstream", type=parse_address, required=True, help="host:port to forward to")
    parser.add_argument("--delay", type=float, required=True, help="seconds added to each response")
    args = parser.parse_args()
    try:
        import uvloop

        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(args.listen, args.upstream, args.delay))


if __name__ == "__main__":
    main()
