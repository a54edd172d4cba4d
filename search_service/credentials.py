"""What a refused credential is (each mapped to its answer in errors.py), and how a bearer token is compared."""

import hmac
from collections.abc import Mapping

from pydantic import SecretStr


class NotAuthenticated(Exception):
    """A missing, wrong or revoked credential: 401, with the scheme to use in WWW-Authenticate, and the error code
    (`unauthorized`; a tenant token's own: `invalid_token`, `token_expired`)."""

    def __init__(self, detail: str, challenge: str, code: str = "unauthorized") -> None:
        super().__init__(detail)
        self.detail = detail
        self.challenge = challenge
        self.code = code


class NotPermitted(Exception):
    """A valid API key without the scope the endpoint needs: 403."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class EndpointOff(Exception):
    """An endpoint its settings turn off (no ANALYTICS_TOKEN, metrics on their own port): the 404 of a path that
    does not exist, so that an unconfigured service shows nothing."""


class KeysUnavailable(Exception):
    """The database holding the API keys failed: 503, since whether the caller may enter cannot be known."""


def bearer_token(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def token_matches(presented: str | None, expected: SecretStr | None) -> bool:
    """Compared in constant time, as bytes (compare_digest refuses non-ASCII str), so the answer's timing says
    nothing of how much of a guess was right."""
    if presented is None or expected is None:
        return False
    return hmac.compare_digest(presented.encode(), expected.get_secret_value().encode())
