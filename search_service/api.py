"""The API object: one NinjaAPI with the error map installed and each endpoint module's router mounted."""

import traceback
from collections.abc import Callable
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from search_service.credentials import KeysUnavailable, NotAuthenticated, NotPermitted
from search_service.elastic import get_client
from search_service.endpoints import analytics, documents, health, instantsearch, metrics, search, suggest
from search_service.errors import register_error_handlers
from search_service.keys.auth import DOCS_AUTH
from search_service.mapping.loaded import cached_index_fields, readable_index_fields
from search_service.openapi import describe_configured_fields
from search_service.renderers import OrjsonRenderer


def docs_need_a_key(view: Callable[..., HttpResponse]) -> Callable[..., Any]:
    """/docs and /openapi.json behind DOCS_REQUIRE_API_KEY. Ninja's views are sync and run in a thread as before;
    the key is checked first, in the event loop, with the same auth and answers as every endpoint."""

    @wraps(view)
    async def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            await DOCS_AUTH(request)
        except (NotAuthenticated, NotPermitted, KeysUnavailable) as refused:  # answered as on every endpoint
            return api.on_exception(request, refused)
        # Read first, if not yet, so that the document can give the fields' types (openapi.py).
        await readable_index_fields(get_client(), settings.SEARCH)
        return await sync_to_async(view)(request, *args, **kwargs)

    return checked


class SearchAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI document describes the configured index's fields (openapi.py), and whose errors
    do not outlive their answer."""

    def on_exception(self, request: HttpRequest, exc: Any) -> HttpResponse:  # ninja's type is private
        try:
            return super().on_exception(request, exc)
        finally:
            # The locals of the finished frames the error passed through, cleared: ninja's parameter validation
            # keeps the error it raises, and those it gathered, in its own frame, which the error's traceback holds.
            # That cycle held each refused request (its query string, its parsed parameters) until a full garbage
            # collection, which the raised GC threshold (asgi.py) makes rare: 5,000 requests with the largest
            # parameters a 422 allows grew a worker by 56 MB (issue 20).
            if isinstance(exc, BaseException):
                traceback.clear_frames(exc.__traceback__)

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        config = settings.SEARCH
        return describe_configured_fields(document, config, cached_index_fields(config))


api = SearchAPI(
    title="Search service",
    version="0.1.0",
    description="Full-text search over an Elasticsearch index.",
    urls_namespace="search",
    renderer=OrjsonRenderer(),
    docs_decorator=docs_need_a_key,
)
register_error_handlers(api)
for router in (
    search.router,
    suggest.router,
    documents.router,
    instantsearch.router,
    health.router,
    analytics.router,
    metrics.router,
):
    api.add_router("", router)
