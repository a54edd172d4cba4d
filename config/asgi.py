"""ASGI entry point: `uvicorn config.asgi:application`."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from search_service.asgi import build_application

application = build_application()
