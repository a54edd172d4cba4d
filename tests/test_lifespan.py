"""The ASGI lifespan wrapper: Django refuses the scope itself; ours answers it and closes the client."""

from typing import cast

from elastic_transport import AiohttpHttpNode

from config.asgi import application
from search_service.elastic import get_client


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
