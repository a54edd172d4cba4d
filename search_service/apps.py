from django.apps import AppConfig
from django.core import signals
from django.db import close_old_connections, reset_queries


class SearchServiceConfig(AppConfig):
    name = "search_service"

    def ready(self) -> None:
        # Django closes stale database connections at the start and end of every request through sync
        # signal receivers, and under ASGI each sync receiver is a hop to a worker thread. This service has
        # no database (DATABASES is empty), so they only cost time: ~0.3 ms a request, measured.
        signals.request_started.disconnect(close_old_connections)
        signals.request_started.disconnect(reset_queries)
        signals.request_finished.disconnect(close_old_connections)
