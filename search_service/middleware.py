"""Middleware on the request path. Async-only, so they cost no thread hop."""

from collections.abc import Awaitable, Callable

import orjson
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from django.utils.decorators import async_only_middleware

from search_service.admission import (
    KEY_IDENTITY,
    Refused,
    admission_for,
    client_key,
    delay_refusal,
    parse_rate_limit,
)
from search_service.credentials import KeysUnavailable, NotAuthenticated
from search_service.keys.auth import (
    INSTANTSEARCH_PATHS,
    known_without_lookup,
    request_key,
    request_presented_key,
    tenant_identity,
)
from search_service.metrics.series import observe_refusal
from search_service.probes import PROBE_PATHS
from search_service.settings import ServiceSettings


@async_only_middleware
def allowed_hosts_middleware(
    get_response: Callable[[HttpRequest], Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    """Refuse requests whose Host is not in DJANGO_ALLOWED_HOSTS, except health probes.

    Django checks ALLOWED_HOSTS only when something calls `request.get_host()` (CommonMiddleware, CSRF),
    and this API runs neither, so without this check the setting would do nothing. Probes are exempt:
    Docker's HEALTHCHECK and orchestrators call them by IP address, and they reveal nothing.
    """

    async def middleware(request: HttpRequest) -> HttpResponse:
        if request.path in PROBE_PATHS:
            return await get_response(request)
        try:
            request.get_host()
        except DisallowedHost:
            return JsonResponse(
                {"error": "invalid_host", "detail": "The Host header is not one this service answers for"},
                status=400,
            )
        return await get_response(request)

    return middleware


# On every answer. The JSON API's CSP forbids everything: a JSON answer opened in a browser runs nothing and loads
# nothing. Pages that set their own policy (the search page) keep it; /docs (Swagger UI) sets none.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
JSON_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Answers no cache may keep: reports and series for operators only, and errors (a 429 or 503 stored by a proxy
# would be served to callers who were never refused).
NOT_STORED_PATHS = ("/analytics/", "/metrics")
NOT_STORED = "no-store"
# Answers that depend on who asked: a shared cache must keep them apart by these headers, or not at all.
CREDENTIAL_HEADERS = ("Authorization", "X-API-Key", "X-Algolia-API-Key")


@async_only_middleware
def security_headers_middleware(
    get_response: Callable[[HttpRequest], Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    """Django's SecurityMiddleware does this and more (HTTPS redirects, HSTS: the load balancer's job here), but it
    is a sync MiddlewareMixin: under ASGI it would cost two thread hops per request."""

    async def middleware(request: HttpRequest) -> HttpResponse:
        response = await get_response(request)
        for header, value in SECURITY_HEADERS.items():
            if header not in response:
                response[header] = value
        if "Content-Security-Policy" not in response and response.get("Content-Type", "").startswith(
            "application/json"
        ):
            response["Content-Security-Policy"] = JSON_CONTENT_SECURITY_POLICY
        set_caching(request, response)
        return response

    return middleware


def set_caching(request: HttpRequest, response: HttpResponse) -> None:
    """Cache-Control and Vary where a cache could otherwise serve one caller's answer to another. Anonymous search
    answers are left as they are: the same for everyone."""
    if response.status_code >= 400 or request.path.startswith(NOT_STORED_PATHS):
        response["Cache-Control"] = NOT_STORED
    elif any(header in request.headers for header in CREDENTIAL_HEADERS) and "Cache-Control" not in response:
        response["Cache-Control"] = "private"
    if any(header in request.headers for header in CREDENTIAL_HEADERS) or request.path.startswith(NOT_STORED_PATHS):
        patch_vary_headers(response, CREDENTIAL_HEADERS)


@async_only_middleware
def instantsearch_errors_middleware(
    get_response: Callable[[HttpRequest], Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    """On the InstantSearch paths, every error answer also in Algolia's shape, `message` and `status`, which its
    clients show (the service's own `error` and `detail` stay): refusals made before the view too (429, 405)."""

    async def middleware(request: HttpRequest) -> HttpResponse:
        response = await get_response(request)
        if response.status_code < 400 or not request.path.startswith(INSTANTSEARCH_PATHS):
            return response
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return response
        if isinstance(body, dict) and "message" not in body:
            body |= {"message": body.get("detail", ""), "status": response.status_code}
            response.content = orjson.dumps(body)
        return response

    return middleware


@async_only_middleware
def method_not_allowed_as_json(
    get_response: Callable[[HttpRequest], Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    """Ninja and ServeStatic answer a wrong method with a plain-text 405; every error of this API is JSON."""

    async def middleware(request: HttpRequest) -> HttpResponse:
        response = await get_response(request)
        if response.status_code == 405:
            allowed = response["Allow"]
            response = JsonResponse(
                {"error": "method_not_allowed", "detail": f"{request.method} is not allowed here; use {allowed}"},
                status=405,
            )
            response["Allow"] = allowed
        return response

    return middleware


@async_only_middleware
def rate_limit_middleware(
    get_response: Callable[[HttpRequest], Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    """Per-client rate limit (SEARCH_RATE_LIMIT) on every path but the probes, before any parsing: a client
    over its budget costs the service a dictionary lookup and a small JSON answer. A request with a valid API key
    counts against the key instead (its own budget, or SEARCH_RATE_LIMIT), wherever it comes from."""

    async def middleware(request: HttpRequest) -> HttpResponse:
        if request.path not in PROBE_PATHS:
            try:
                await _count_request(request, settings.SEARCH)
            except Refused as refused:
                observe_refusal(refused.code)
                await delay_refusal(refused, settings.SEARCH.search_refusal_delay)
                response = JsonResponse({"error": refused.code, "detail": refused.detail}, status=429)
                response["Retry-After"] = str(refused.retry_after)
                return response
        return await get_response(request)

    return middleware


async def _count_request(request: HttpRequest, config: ServiceSettings) -> None:
    limit = admission_for(config).requests
    address = client_key(request.META.get("REMOTE_ADDR"))
    key = request_presented_key(request)
    if key is None:
        await limit.hit(address)
        return
    known = known_without_lookup(config, key)
    if not known:
        # Finding the key costs a database query: charged to the address first, so that a client sending many
        # made-up keys is limited like any other, and a real key's first request per cache period counts twice.
        await limit.hit(address)
    try:
        found = await request_key(request)  # remembered on the request, for the endpoint's auth
    except (NotAuthenticated, KeysUnavailable):
        found = None  # answered by the endpoint's auth; counted as the address's request
    if found is not None:
        budget = None if found.rate_limit is None else parse_rate_limit(found.rate_limit)
        await limit.hit(KEY_IDENTITY + found.prefix, budget)
        if found.tenant is not None and found.tenant.rate_limit:
            # A tenant token's own limit, on top of its parent's: counted per tenant, however many tokens
            # name it (a front end may make one per page load).
            await limit.hit(tenant_identity(found), parse_rate_limit(found.tenant.rate_limit))
    elif known:
        await limit.hit(address)
