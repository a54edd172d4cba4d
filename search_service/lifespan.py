"""ASGI lifespan for Django, whose own ASGI handler refuses the `lifespan` scope.

Startup has nothing to do (the Elasticsearch client is made lazily, inside the serving loop); shutdown closes
it, so no aiohttp session is left unclosed when a worker stops.
"""

from typing import Any

from search_service.elastic import close_client

ASGIApp = Any  # an ASGI callable; Django ships no type for it


def with_lifespan(app: ASGIApp) -> ASGIApp:
    async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await close_client()
                await send({"type": "lifespan.shutdown.complete"})
                return

    return application
