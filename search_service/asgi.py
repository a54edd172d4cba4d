"""The ASGI application: Django's handler, plus the lifespan protocol, minus a thread per request."""

from typing import Any

import django
from django.core.handlers.asgi import ASGIHandler

from search_service.elastic import close_client


class SearchASGIHandler(ASGIHandler):
    """Django's ASGI handler with two changes.

    - It speaks the `lifespan` protocol, which Django's refuses: startup has nothing to do (the
      Elasticsearch client is made lazily, inside the serving loop); shutdown closes the client, so no
      aiohttp session is left unclosed when a worker stops.
    - It does not wrap each request in a ThreadSensitiveContext. Django does so that thread-sensitive
      sync code of one request (the ORM, sync middleware) gets a thread of its own; the only such code
      here is `response.close()`, and a fresh executor thread per request cost more than the rest of the
      request did (measured: README, Benchmarks). Thread-sensitive calls now share asgiref's one thread.
      Anyone adding ORM or sync middleware on the request path should restore the context.
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.serve_lifespan(receive, send)
        elif scope["type"] == "http":
            await self.handle(scope, receive, send)
        else:
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")

    async def serve_lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await close_client()
                await send({"type": "lifespan.shutdown.complete"})
                return


def build_application() -> SearchASGIHandler:
    django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does
    return SearchASGIHandler()
