"""`manage.py load_demo`: the standard library's docstrings, loaded as `manage.py index` loads a file."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from search_service.demo import DEMO_MAPPING, stdlib_documents
from search_service.elastic import client_options
from search_service.indexing.command import run_load
from search_service.indexing.definition import IndexDefinition
from search_service.indexing.loader import LoadPlan
from search_service.indexing.source import rows_from_documents


class Command(BaseCommand):
    help = (
        "Load the Python standard library's docstrings into a new index <alias>-<timestamp> with the demo mapping, "
        "move the alias (ELASTICSEARCH_INDEX) onto it and delete the previous one. Safe to run again: each run "
        "replaces the last. An index of the alias's name from an older demo is replaced by the alias."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--index", help="the alias to load (default: ELASTICSEARCH_INDEX)")
        # Kept so that scripts calling it still run: every load now builds a fresh index, which is what it asked.
        parser.add_argument("--recreate", action="store_true", help="no effect: every run makes a fresh index")

    def handle(self, *args: Any, **options: Any) -> None:
        documents = list(stdlib_documents())
        plan = LoadPlan(
            alias=options["index"] or settings.SEARCH.elasticsearch_index,
            definition=IndexDefinition(DEMO_MAPPING),
            # The demo is rebuilt from the running Python at will, so an older demo's concrete index is replaced
            # without asking, as `manage.py index --replace-index` would (docker compose runs this on every `up`).
            replace_index=True,
            grace_seconds=settings.SEARCH.elasticsearch_request_timeout,
        )
        report = run_load(
            self,
            client_options=client_options(settings.SEARCH),
            rows=rows_from_documents(documents),
            plan=plan,
            total=len(documents),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.documents} documents in {report.alias} → {report.index} "
                f"(Elasticsearch {report.server_version or 'of unknown version'})"
            )
        )
