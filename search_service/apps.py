from django.apps import AppConfig
from django.core import signals
from django.db import close_old_connections, reset_queries
from django.db.backends.signals import connection_created

from search_service.analytics.median import add_median_to_sqlite


class SearchServiceConfig(AppConfig):
    name = "search_service"

    def ready(self) -> None:
        # Django closes stale database connections at the start and end of every request through sync
        # signal receivers, and under ASGI each sync receiver is a hop to a worker thread: ~0.3 ms a request,
        # measured. No request touches the database here: the analytics writer and the analytics endpoints
        # check their connection themselves (analytics/recorder.py, analytics/reports.py).
        signals.request_started.disconnect(close_old_connections)
        signals.request_started.disconnect(reset_queries)
        signals.request_finished.disconnect(close_old_connections)
        connection_created.connect(add_median_to_sqlite)
