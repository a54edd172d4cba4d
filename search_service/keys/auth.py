"""Who is calling: ninja auth for the endpoints (async, so ninja runs it without a thread hop), on top of the key a
request presents, checked once per request (memoized on it) whichever of the rate limit and the auth asks first."""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer
from pydantic import SecretStr

from search_service.admission import KEY_IDENTITY, client_key
from search_service.credentials import (
    EndpointOff,
    KeysUnavailable,
    NotAuthenticated,
    NotPermitted,
    bearer_token,
    token_matches,
)
from search_service.keys.format import looks_like_token, presented_key
from search_service.keys.last_used import last_used_for
from search_service.keys.store import VerifiedKey, key_store_for
from search_service.settings import ServiceSettings
from search_service.tenants.token import TokenExpired, TokenInvalid
from search_service.tenants.verify import tenant_key, verified_tokens_for

KEY_CHALLENGE = 'ApiKey realm="search"'
_CHECKED = "_api_key_checked"  # request attribute: the VerifiedKey, None (no key sent), or the exception raised
ANONYMOUS = "anonymous"  # request.auth when keys are not required and none was sent
INSTANTSEARCH_PATHS = "/1/"  # the Algolia protocol's (endpoints/instantsearch.py)


async def request_key(request: HttpRequest) -> VerifiedKey | None:
    """The request's verified key; None if it presents none. NotAuthenticated for a key that is malformed,
    unknown or revoked; KeysUnavailable when the database cannot say."""
    if not hasattr(request, _CHECKED):
        setattr(request, _CHECKED, await _check(request))
    checked: VerifiedKey | Exception | None = getattr(request, _CHECKED)
    if isinstance(checked, Exception):
        raise checked
    return checked


def request_presented_key(request: HttpRequest) -> str | None:
    """The key a request carries (keys/format.py); in the query string only on the InstantSearch paths, whose
    clients send it there from a browser (a key in any other URL would be one more place it is written down)."""
    query = None
    if request.path.startswith(INSTANTSEARCH_PATHS):
        try:
            query = request.GET
        except TooManyFieldsSent:  # the view answers it (400 too_many_parameters), in our words
            query = None
    return presented_key(request.headers, query)


async def _check(request: HttpRequest) -> VerifiedKey | Exception | None:
    key = request_presented_key(request)
    if key is None:
        return None
    config = settings.SEARCH
    if looks_like_token(key):
        return await _check_token(config, key)
    try:
        found = await key_store_for(config).find(key)
    except KeysUnavailable as unavailable:
        return unavailable
    if found is None:
        return NotAuthenticated("The API key is not valid: unknown, revoked or malformed", KEY_CHALLENGE)
    last_used_for(config).note(found.id, time.time())
    return found


async def _check_token(config: ServiceSettings, token: str) -> VerifiedKey | Exception:
    """A tenant token (tenants/): its parent key, found by the prefix it names, must exist and have signed it."""
    tokens = verified_tokens_for(config)
    prefix = tokens.parent_of(token)
    if prefix is None:
        return NotAuthenticated("The tenant token is malformed", KEY_CHALLENGE, code="invalid_token")
    try:
        parent = await key_store_for(config).find_parent(prefix)
    except KeysUnavailable as unavailable:
        return unavailable
    if parent is None:
        return NotAuthenticated(
            "The tenant token's parent key is unknown or revoked", KEY_CHALLENGE, code="invalid_token"
        )
    try:
        claims = tokens.claims(token, parent)
    except TokenExpired as expired:
        return NotAuthenticated(f"{expired}: ask for a new one", KEY_CHALLENGE, code="token_expired")
    except TokenInvalid as invalid:
        return NotAuthenticated(f"The tenant token is not valid: {invalid}", KEY_CHALLENGE, code="invalid_token")
    last_used_for(config).note(parent.key.id, time.time())
    return tenant_key(parent, claims)


def known_without_lookup(config: ServiceSettings, credential: str) -> bool:
    """Whether the worker's caches answer for this key or token without a database query or a signature check
    (so the rate limit need not charge its cost to the caller's address first)."""
    if not looks_like_token(credential):
        return key_store_for(config).cached(credential)[0]
    tokens = verified_tokens_for(config)
    prefix = tokens.parent_of(credential)
    if prefix is None:
        return True  # refused as malformed: no lookup, no check
    known, parent = key_store_for(config).cached_parent(prefix)
    return known and (parent is None or tokens.known(credential, parent))


def authenticated_key(request: HttpRequest) -> VerifiedKey | None:
    """The request's key if it has been verified already (for the logs and analytics); never looks one up."""
    checked = getattr(request, _CHECKED, None)
    return checked if isinstance(checked, VerifiedKey) else None


def caller_identity(request: HttpRequest) -> str:
    """Whom the rate limits count: a verified key wherever it calls from, else the client's address."""
    key = authenticated_key(request)
    return KEY_IDENTITY + key.prefix if key else client_key(request.META.get("REMOTE_ADDR"))


def tenant_identity(key: VerifiedKey) -> str:
    """Whom a tenant token's own rate limit counts: its tenant, within its parent key."""
    label = key.tenant.label if key.tenant is not None else ""
    return f"{KEY_IDENTITY}{key.prefix}/tenant:{label}"


class ApiKeyAuth(APIKeyHeader):
    """A key with `scope` (or any valid key when scope is None) when `required(settings)` says keys are required.
    When they are not, a request without a key is let in as ANONYMOUS, and one with a key still has it checked:
    a client that sends a wrong key learns it (401) rather than being served as someone else."""

    param_name = "X-API-Key"  # in the OpenAPI document; `Authorization: ApiKey <key>` works too

    def __init__(
        self, scope: str | None, required: Callable[[ServiceSettings], bool], *, tenants: bool = False
    ) -> None:
        super().__init__()
        self.scope = scope
        self.required = required
        # Whether the endpoints behind it bind a tenant token's searches to its filters; where they do not, a token
        # is refused (fail closed: an endpoint added later cannot serve a tenant what is not its own).
        self.tenants = tenants

    async def __call__(self, request: HttpRequest) -> Any:  # async, on purpose: no thread hop
        key = await request_key(request)
        if key is None:
            if self.required(settings.SEARCH):
                raise NotAuthenticated(
                    "Send an API key: `X-API-Key: <key>` or `Authorization: ApiKey <key>`", KEY_CHALLENGE
                )
            return ANONYMOUS
        if key.tenant is not None and not self.tenants:
            raise NotPermitted("A tenant token may only search: /search, /suggest, /documents and InstantSearch")
        if self.scope is not None and self.scope not in key.scopes:
            raise NotPermitted(f"This API key does not have the `{self.scope}` scope")
        return key

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover - __call__ decides
        raise NotImplementedError


class TokenOrAdminKey(HttpBearer):
    """An endpoint for operators: its bearer token (`Authorization: Bearer <token>`) or an API key with the `admin`
    scope. With neither a key sent nor a token configured, or when `enabled` says no, it does not exist (404)."""

    def __init__(
        self,
        *,
        realm: str,
        token: Callable[[ServiceSettings], SecretStr | None],
        enabled: Callable[[ServiceSettings], bool] = lambda config: True,
    ) -> None:
        super().__init__()
        self.realm = realm
        self.token = token
        self.enabled = enabled

    async def __call__(self, request: HttpRequest) -> Any:  # async, on purpose: no thread hop
        config = settings.SEARCH
        if not self.enabled(config):
            raise EndpointOff
        key = await request_key(request)
        if key is not None:
            if "admin" not in key.scopes:  # never a tenant token's (tenants/verify.py)
                raise NotPermitted("This API key does not have the `admin` scope")
            return key
        expected = self.token(config)
        if expected is None:
            raise EndpointOff
        if not token_matches(bearer_token(request.headers), expected):
            raise NotAuthenticated(
                f"Send the {self.realm} token as `Authorization: Bearer <token>`, or an API key with the admin scope",
                f'Bearer realm="{self.realm}"',
            )
        return self.realm

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover - __call__ decides
        raise NotImplementedError


def keys_required(config: ServiceSettings) -> bool:
    return config.search_require_api_key


def keys_required_for_ready(config: ServiceSettings) -> bool:
    return config.search_require_api_key and config.ready_requires_api_key


def keys_required_for_docs(config: ServiceSettings) -> bool:
    return config.search_require_api_key and config.docs_require_api_key


# /search, /suggest and /documents/{id}.
SEARCH_AUTH = ApiKeyAuth("search", keys_required, tenants=True)  # each applies tenants/scope.py
READY_AUTH = ApiKeyAuth(None, keys_required_for_ready)
DOCS_AUTH = ApiKeyAuth(None, keys_required_for_docs)
