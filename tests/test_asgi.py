"""The ASGI handler: lifespan (Django refuses the scope; ours answers it and closes the client) and requests."""

import asyncio
from typing import Any, cast

from elastic_transport import AiohttpHttpNode

from config.asgi import application
from search_service.elastic import close_client, get_client
from tests.conftest import UPSTREAM_DELAY


async def run_lifespan() -> list[str]:
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive():
        return next(incoming)

    async def send(message):
        sent.append(message["type"])

    await application({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    return sent


async def test_startup_and_shutdown_complete(configure_service):
    assert await run_lifespan() == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_shutdown_closes_the_client_after_it_served(api):
    assert (await api.get("/ready")).status_code == 200
    client = get_client()
    node = cast(AiohttpHttpNode, client.transport.node_pool.get())
    assert node.session is not None
    assert not node.session.closed

    await run_lifespan()

    assert node.session is None or node.session.closed  # close() drops the session
    assert get_client() is not client  # a later request would get a fresh client


def http_scope(path: str, query: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }


async def test_client_disconnect_cancels_the_search(configure_service, slow_elasticsearch):
    configure_service(elasticsearch_hosts=slow_elasticsearch)
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    incoming.put_nowait({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict[str, Any]] = []

    async def send(message):
        sent.append(message)

    request = asyncio.create_task(application(http_scope("/search", b"q=json"), incoming.get, send))
    await asyncio.sleep(UPSTREAM_DELAY / 4)  # the search now waits on the slow upstream
    incoming.put_nowait({"type": "http.disconnect"})

    # Without cancellation the request would run until the upstream answers, UPSTREAM_DELAY from the start.
    await asyncio.wait_for(request, timeout=UPSTREAM_DELAY / 2)
    assert sent == []
    await close_client()


async def test_response_is_sent_whole_when_the_client_stays(configure_service):
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    incoming.put_nowait({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict[str, Any]] = []

    async def send(message):
        sent.append(message)

    await application(http_scope("/search", b"q=pickled"), incoming.get, send)
    await close_client()

    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 200
    assert b'"pickle.dumps"' in sent[1]["body"]


def test_startup_objects_are_frozen_out_of_garbage_collection():
    import gc

    from search_service.asgi import YOUNG_GENERATION_THRESHOLD

    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
