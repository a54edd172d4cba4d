"""The mapping check `scripts/serve` runs before it starts any worker: a wrong field setting stops the service there,
with one line per problem, instead of answering 200 with nothing in it for weeks.

Only a mismatch stops it. An index that does not exist yet, or an Elasticsearch that does not answer yet, is normal
while a stack comes up: the service starts, /ready answers 503 saying why, and the workers check the mapping as
soon as the index is there (mapping/loaded.py).
"""

import asyncio
from dataclasses import dataclass, field

from elasticsearch import ApiError, AsyncElasticsearch, TransportError

from search_service.elastic import client_options
from search_service.mapping.check import check_mapping
from search_service.mapping.loaded import read_index_fields
from search_service.settings import ServiceSettings


@dataclass(frozen=True)
class StartupCheck:
    errors: list[str] = field(default_factory=list)  # stop: each names the variable, the field and the types
    notes: list[str] = field(default_factory=list)  # start anyway: warnings, or why the check could not run yet


async def _check(config: ServiceSettings) -> StartupCheck:
    async with AsyncElasticsearch(**client_options(config)) as client:
        try:
            fields = await read_index_fields(client, config.elasticsearch_index)
        except (ApiError, TransportError) as error:
            return StartupCheck(
                notes=[
                    f"the mapping of {config.elasticsearch_index!r} cannot be read yet ({error}); it is checked "
                    "when Elasticsearch answers"
                ]
            )
    if fields is None:
        return StartupCheck(
            notes=[
                f"index {config.elasticsearch_index!r} does not exist yet: /ready answers 503 until it does, "
                "and its mapping is checked then"
            ]
        )
    check = check_mapping(config, fields)
    return StartupCheck(errors=check.errors, notes=check.warnings)


def check_index_at_startup(config: ServiceSettings) -> StartupCheck:
    """Read the configured index's mapping and check the field settings against it (its own event loop)."""
    return asyncio.run(_check(config))
