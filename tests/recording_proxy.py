"""A proxy in front of the test node that records each HTTP request it forwards (method and path): how many round
trips the service made to Elasticsearch, counted where they travel. Runs its own event loop in a thread, so the
service under test (in the test's loop) talks to it as to any node."""

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

HEAD_END = b"\r\n\r\n"
MAX_HEAD = 64 * 1024


class RecordingProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 9200)
        self.requests: list[str] = []  # "POST /_msearch", in the order they arrived
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._started.set()
        await self._stopping.wait()
        server.close()
        handlers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)

        async def answers() -> None:
            while data := await upstream_reader.read(65536):
                client_writer.write(data)
                await client_writer.drain()
            client_writer.close()

        pump = asyncio.ensure_future(answers())
        try:
            while True:
                head = await client_reader.readuntil(HEAD_END)
                if len(head) > MAX_HEAD:
                    break
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                length = next(
                    (int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:")),
                    0,
                )
                body = await client_reader.readexactly(length) if length else b""
                self.requests.append(f"{method} {path.partition('?')[0]}")
                upstream_writer.write(head + body)
                await upstream_writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            upstream_writer.close()
            client_writer.close()
            pump.cancel()
            with contextlib.suppress(BaseException):
                await pump

    def start(self) -> None:
        self._thread.start()
        assert self._started.wait(10), "the recording proxy did not start"

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)


@contextlib.contextmanager
def recording_proxy(upstream: str) -> Iterator[RecordingProxy]:
    proxy = RecordingProxy(upstream)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
