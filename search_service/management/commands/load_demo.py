"""`manage.py load_demo`: create the index and load the standard library's docstrings into it."""

import asyncio
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from elasticsearch import ApiError, AsyncElasticsearch, TransportError
from elasticsearch.helpers import async_streaming_bulk
from tqdm import tqdm

from search_service.demo import DEMO_MAPPING, stdlib_documents
from search_service.elastic import client_options, describe_version_refusal, refuses_client_version, server_version


class Command(BaseCommand):
    help = (
        "Create the search index with the demo mapping (if missing) and load the Python standard library's "
        "docstrings into it. Safe to run again: documents are keyed by qualified name and overwritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--index", help="index to load (default: ELASTICSEARCH_INDEX)")
        parser.add_argument("--recreate", action="store_true", help="delete the index first")

    def handle(self, *args: Any, **options: Any) -> None:
        index = options["index"] or settings.SEARCH.elasticsearch_index
        # Each failure an operator can fix is one line (CommandError prints no traceback): the fix, not the stack.
        try:
            version, loaded = asyncio.run(self._load(index, recreate=options["recreate"]))
        except TransportError as error:
            raise CommandError(f"cannot reach Elasticsearch: {error}") from None
        except ApiError as error:
            if refuses_client_version(error):
                raise CommandError(describe_version_refusal(error)) from None
            if error.meta.status in (401, 403):
                raise CommandError(
                    f"Elasticsearch refused the credentials ({error.meta.status} {error.message}): check "
                    "ELASTICSEARCH_USERNAME/ELASTICSEARCH_PASSWORD or ELASTICSEARCH_API_KEY and its privileges"
                ) from None
            raise CommandError(f"Elasticsearch answered {error.meta.status}: {error.message}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{loaded} documents in index {index!r} (Elasticsearch {version or 'of unknown version'})"
            )
        )

    async def _load(self, index: str, *, recreate: bool) -> tuple[str | None, int]:
        documents = list(stdlib_documents())
        async with AsyncElasticsearch(**client_options(settings.SEARCH)) as client:
            # Asked first: a GET, so a server that refuses the client's version says why (a HEAD's 400 has no body).
            version = await server_version(client)
            if recreate:
                await client.indices.delete(index=index, ignore_unavailable=True)
            if not await client.indices.exists(index=index):
                await client.indices.create(index=index, mappings=DEMO_MAPPING, settings={"number_of_replicas": 0})
            else:
                # An index from an older demo gains the fields added since (adding fields needs no re-index).
                await client.indices.put_mapping(index=index, properties=DEMO_MAPPING["properties"])
            # tqdm hides itself when stderr is not a terminal (disable=None), so logs stay clean.
            with tqdm(total=len(documents), unit="doc", desc=f"loading {index}", disable=None) as progress:
                async for _ in async_streaming_bulk(
                    client, documents, index=index, chunk_size=500, raise_on_error=True
                ):
                    progress.update(1)
            await client.indices.refresh(index=index)
            count = await client.count(index=index)
        return version, int(count["count"])
