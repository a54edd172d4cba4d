"""ASGI entry point: `uvicorn config.asgi:application`."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_asgi_application()

from search_service.lifespan import with_lifespan  # noqa: E402  (needs Django set up first)

application = with_lifespan(django_application)
