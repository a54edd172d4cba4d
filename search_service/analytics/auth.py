"""Who may read the analytics: `Authorization: Bearer <ANALYTICS_TOKEN>`. Without a token set, the endpoints
do not exist (404), so an unconfigured service shows nothing of what its users search for."""

import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security.http import HttpBearer


class AnalyticsOff(Exception):
    """ANALYTICS_TOKEN is unset: answered as the 404 of a path that does not exist."""


class NotAuthenticated(Exception):
    """A missing or wrong credential: 401, with the scheme to use in WWW-Authenticate."""

    def __init__(self, detail: str, challenge: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.challenge = challenge


class AnalyticsToken(HttpBearer):
    """Async (an awaitable __call__), so that ninja runs it without a thread hop."""

    async def __call__(self, request: HttpRequest) -> Any:
        expected = settings.SEARCH.analytics_token
        if expected is None:
            raise AnalyticsOff
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        # Compared in constant time, as bytes (compare_digest refuses non-ASCII str), so the answer's timing says
        # nothing of how much of a guess was right.
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), expected.get_secret_value().encode()
        ):
            raise NotAuthenticated(
                "Send the analytics token as `Authorization: Bearer <ANALYTICS_TOKEN>`",
                'Bearer realm="analytics"',
            )
        return "analytics"

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover - __call__ decides
        raise NotImplementedError
