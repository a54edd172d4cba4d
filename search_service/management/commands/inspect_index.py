"""`manage.py inspect_index [INDEX]`: the index's fields, what each can be used for, and settings that fit it."""

import asyncio
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from elasticsearch import ApiError, AsyncElasticsearch, TransportError

from search_service.elastic import client_options, describe_version_refusal, refuses_client_version
from search_service.mapping.check import check_mapping
from search_service.mapping.fields import IndexFields
from search_service.mapping.loaded import read_index_fields
from search_service.mapping.proposal import field_table, propose_settings


class Command(BaseCommand):
    help = (
        "Print each field of the index's mapping with its type and the roles it can take (search, filter, facet, "
        "sort, stats, rank, suggest), then a block of SEARCH_* settings that fit it, to review and put in the "
        "service's environment. Reads only; the service never widens its allow-lists by itself."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("index", nargs="?", help="index or alias (default: ELASTICSEARCH_INDEX)")

    def handle(self, *args: Any, **options: Any) -> None:
        config = settings.SEARCH
        index = options["index"] or config.elasticsearch_index
        try:
            fields = asyncio.run(self._read(index))
        except TransportError as error:
            raise CommandError(f"cannot reach Elasticsearch: {error}") from None
        except ApiError as error:
            if refuses_client_version(error):
                raise CommandError(describe_version_refusal(error)) from None
            raise CommandError(f"Elasticsearch answered {error.meta.status}: {error.message}") from None
        if fields is None:
            raise CommandError(f"no index or alias named {index!r}; `manage.py index FILE` creates one")
        self._print_fields(fields)
        proposal = propose_settings(fields)
        self.stdout.write("\n# Settings that fit this index (review before use):")
        for note in proposal.notes:
            self.stdout.write(f"# {note}")
        for line in proposal.lines:
            self.stdout.write(line)
        if index == config.elasticsearch_index:
            self._print_current_check(fields)

    async def _read(self, index: str) -> IndexFields | None:
        async with AsyncElasticsearch(**client_options(settings.SEARCH)) as client:
            return await read_index_fields(client, index)

    def _print_fields(self, fields: IndexFields) -> None:
        behind = ", ".join(fields.indices)
        self.stdout.write(f"# {fields.name}" + (f" (alias of {behind})" if behind != fields.name else ""))
        rows = field_table(fields)
        width = max((len(name) for name, _, _ in rows), default=5)
        kind_width = max((len(kind) for _, kind, _ in rows), default=4)
        self.stdout.write(f"# {'field'.ljust(width)}  {'type'.ljust(kind_width)}  can be used for")
        for name, kind, roles in rows:
            self.stdout.write(f"# {name.ljust(width)}  {kind.ljust(kind_width)}  {roles}")

    def _print_current_check(self, fields: IndexFields) -> None:
        check = check_mapping(settings.SEARCH, fields)
        if check.errors or check.warnings:
            self.stdout.write("\n# The service's current settings against this index:")
            for line in check.errors:
                self.stdout.write(f"# error: {line}")
            for line in check.warnings:
                self.stdout.write(f"# warning: {line}")
