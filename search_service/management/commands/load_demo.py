"""`manage.py load_demo`: the standard library's docstrings, loaded as `manage.py index` loads a file."""

import asyncio
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from elasticsearch import ApiError, AsyncElasticsearch, TransportError

from search_service.demo import DEMO_MAPPING, stdlib_documents
from search_service.elastic import client_options
from search_service.indexing.command import run_load
from search_service.indexing.definition import IndexDefinition
from search_service.indexing.loader import LoadPlan
from search_service.indexing.source import rows_from_documents


async def _documents_behind_alias(alias: str) -> int | None:
    """How many documents the alias holds; None when it is not an alias (absent, or an older demo's index)."""
    async with AsyncElasticsearch(**client_options(settings.SEARCH)) as client:
        try:
            if not await client.indices.exists_alias(name=alias):
                return None
            return int((await client.count(index=alias))["count"])
        except (ApiError, TransportError):
            return None  # the load itself says what is wrong, in one line


class Command(BaseCommand):
    help = (
        "Load the Python standard library's docstrings into a new index <alias>-<timestamp> with the demo mapping, "
        "move the alias (ELASTICSEARCH_INDEX) onto it and delete the previous one. Safe to run again: when the alias "
        "already holds documents nothing is done (`--recreate` reloads). An index of the alias's name from an "
        "older demo is replaced by the alias."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--index", help="the alias to load (default: ELASTICSEARCH_INDEX)")
        parser.add_argument("--recreate", action="store_true", help="reload even when the alias holds documents")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["index"] or settings.SEARCH.elasticsearch_index
        # docker compose runs this on every `up`: a stack restarted on its volume keeps its index (and its uuid)
        # instead of reloading the same documents into a new one each time.
        loaded = None if options["recreate"] else asyncio.run(_documents_behind_alias(alias))
        if loaded:
            self.stdout.write(self.style.SUCCESS(f"{loaded} documents already in {alias}; --recreate reloads them"))
            return
        documents = list(stdlib_documents())
        plan = LoadPlan(
            alias=alias,
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
