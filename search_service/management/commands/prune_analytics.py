"""`manage.py prune_analytics`: delete search analytics rows older than SEARCH_ANALYTICS_RETENTION_DAYS.

Safe while the service runs: rows go in small batches, each its own short transaction, so the writer of every
worker waits at most one batch (SQLite allows one writer at a time; its readers never wait, in WAL mode).
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from search_service.models import SearchRecord

BATCH = 5_000


class Command(BaseCommand):
    help = "Delete search analytics rows older than SEARCH_ANALYTICS_RETENTION_DAYS (default 30)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="keep this many days instead (at least 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] or settings.SEARCH.search_analytics_retention_days
        if days < 1:
            raise CommandError("--days must be at least 1")
        cutoff = datetime.now(UTC) - timedelta(days=days)
        deleted = 0
        while True:
            # By primary key, a batch at a time: one DELETE of millions of rows would hold the write lock for long.
            ids = list(SearchRecord.objects.filter(timestamp__lt=cutoff).values_list("id", flat=True)[:BATCH])
            if not ids:
                break
            deleted += SearchRecord.objects.filter(id__in=ids).delete()[0]
        self.stdout.write(
            f"{deleted} search analytics rows older than {days} days deleted (before {cutoff:%Y-%m-%d %H:%M} UTC)"
        )
