"""Settings of the web side: the search page (page.py), CORS, allowed hosts and the secret key (config/settings.py)."""

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from search_service.settings.values import ORIGIN, split_commas


class WebSettings(BaseModel):
    # The search page (page.py).
    search_page: bool = Field(
        default=True,
        description="The search page at `/`, for trying the service; `false` where only the API should answer "
        "(`/` is then a 404; the page's static files stay, they reveal nothing).",
    )

    # Web: CORS (django-cors-headers), allowed hosts and the secret key (config/settings.py).
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Browser origins (`https://app.example.com`), comma-separated, whose pages may call the API "
        "([CORS](security.md#browsers-cors-and-security-headers)); empty: none.",
    )

    django_secret_key: SecretStr = Field(
        default=SecretStr("insecure-development-key-change-me"),
        description="Django's secret key; it encrypts and authenticates the `next` cursors, so every replica "
        "needs the same one. **Set a random one in production.**",
    )
    django_debug: bool = Field(default=False, description="Django's debug mode; never on in production.")
    django_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=["localhost", "127.0.0.1", "[::1]"],
        description="The host names the service answers for, comma-separated (`Host` header; others get 400 "
        "`invalid_host`, except `/health` and `/ready`). Must not be empty unless `DJANGO_DEBUG` is on.",
    )

    _split_web_lists = field_validator("django_allowed_hosts", "cors_allowed_origins", mode="before")(split_commas)

    @field_validator("cors_allowed_origins")
    @classmethod
    def _check_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if not ORIGIN.match(origin):
                raise ValueError(f"{origin!r} is not an origin: scheme and host, e.g. 'https://app.example.com'")
        return origins
