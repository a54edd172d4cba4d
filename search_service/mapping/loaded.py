"""The worker's copy of the index's fields: read from Elasticsearch on first use, checked against the settings, and
read again when it may have changed (every MAX_AGE seconds, and on every /ready).

A reload that moves the alias to a new index (`manage.py index`) is a new generation: its mapping may differ, so it
is read and checked again. A mismatch found after startup cannot stop the process any more; the service answers 503
`configuration_mismatch` (searches and /ready alike) and logs the lines that name the variable and field.
"""

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError, TransportError

from search_service.faults import ElasticsearchAnswerMalformed
from search_service.mapping.check import MappingCheck, check_mapping
from search_service.mapping.fields import IndexFields, index_fields_from_mapping
from search_service.settings import ServiceSettings

logger = logging.getLogger(__name__)

# How old the copy may grow before a request reads the mapping again (a few ms, once per worker per period).
MAX_AGE = 30.0
# /ready asks for a fresh copy, but not more often than this: it is unauthenticated by default, and a large
# mapping costs milliseconds to read, so a caller hammering /ready must not make every call cost that.
MIN_AGE = 1.0


class IndexMissing(Exception):
    """ELASTICSEARCH_INDEX names no index or alias (yet)."""


class FieldSettingsMismatch(Exception):
    """The field settings do not fit the index's mapping; `lines` say how, for the log."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


@dataclass
class _Loaded:
    fields: IndexFields
    read_at: float
    checked_for: ServiceSettings | None = None
    check: MappingCheck = field(default_factory=MappingCheck)


_loaded: dict[tuple[str, ...], _Loaded] = {}
_reading: dict[tuple[str, ...], asyncio.Future[IndexFields | None]] = {}


def _key(config: ServiceSettings) -> tuple[str, ...]:
    hosts = [config.elasticsearch_cloud_id or "", *(str(host) for host in config.elasticsearch_hosts)]
    return (config.elasticsearch_index, *hosts)


async def read_index_fields(client: AsyncElasticsearch, index: str) -> IndexFields | None:
    """The fields of `index` (an index, an alias or a pattern), or None when it does not exist."""
    try:
        answer = (await client.indices.get_mapping(index=index)).body
    except NotFoundError:
        return None
    if not isinstance(answer, dict) or not answer:
        return None  # a pattern that matches nothing answers {}
    try:
        return index_fields_from_mapping(index, answer)
    except ValueError as error:
        raise ElasticsearchAnswerMalformed(f"the mapping answer is malformed: {error}") from None


def cached_index_fields(config: ServiceSettings) -> IndexFields | None:
    """The fields as last read, without I/O (for the OpenAPI document and the page); None before the first read."""
    loaded = _loaded.get(_key(config))
    return None if loaded is None else loaded.fields


async def index_fields(client: AsyncElasticsearch, config: ServiceSettings, *, fresh: bool = False) -> IndexFields:
    """The index's fields, checked against `config`: IndexMissing, FieldSettingsMismatch, or Elasticsearch's errors.
    `fresh` reads the mapping again (/ready); otherwise a copy younger than MAX_AGE is used."""
    key = _key(config)
    loaded = _loaded.get(key)
    age = math.inf if loaded is None else time.monotonic() - loaded.read_at
    if loaded is None or age > MAX_AGE or (fresh and age > MIN_AGE):
        fields = await _read_once(client, key, config.elasticsearch_index)
        if fields is None:
            _loaded.pop(key, None)
            raise IndexMissing(config.elasticsearch_index)
        loaded = _remember(key, fields, previous=_loaded.get(key))
    if loaded.checked_for is not config:
        loaded.check = check_mapping(config, loaded.fields)
        loaded.checked_for = config
        for line in loaded.check.warnings:
            logger.warning("%s", line)
        for line in loaded.check.errors:
            logger.error("The field settings do not fit the index: %s", line)
    if loaded.check.errors:
        raise FieldSettingsMismatch(loaded.check.errors)
    return loaded.fields


async def _read_once(client: AsyncElasticsearch, key: tuple[str, ...], index: str) -> IndexFields | None:
    """One read of the mapping however many requests want it at once (a burst right after startup)."""
    reading = _reading.get(key)
    if reading is not None and reading.get_loop() is asyncio.get_running_loop():
        return await asyncio.shield(reading)
    future: asyncio.Future[IndexFields | None] = asyncio.get_running_loop().create_future()
    _reading[key] = future
    try:
        fields = await read_index_fields(client, index)
    except BaseException as error:
        future.set_exception(error)
        future.exception()  # retrieved: nobody else may be waiting
        raise
    finally:
        if _reading.get(key) is future:
            del _reading[key]
    future.set_result(fields)
    return fields


def _remember(key: tuple[str, ...], fields: IndexFields, *, previous: _Loaded | None) -> _Loaded:
    if previous is not None and previous.fields == fields:
        previous.read_at = time.monotonic()
        return previous
    if previous is not None and previous.fields.indices != fields.indices:
        logger.info(
            "Index %s now points to %s (was %s): its mapping is checked again",
            fields.name,
            ", ".join(fields.indices),
            ", ".join(previous.fields.indices),
        )
    loaded = _Loaded(fields=fields, read_at=time.monotonic())
    _loaded[key] = loaded
    return loaded


# What a page for people (/docs, the search page) waits for the mapping at most before it goes on without types.
READABLE_WAIT = 1.0
UNREADABLE = (IndexMissing, FieldSettingsMismatch, ApiError, TransportError, ElasticsearchAnswerMalformed)


async def readable_index_fields(client: AsyncElasticsearch, config: ServiceSettings) -> IndexFields | None:
    """The fields when they can be had within READABLE_WAIT, else None: for what describes the API to people, which
    must still answer, with names alone, when Elasticsearch does not (the API's own answers then say why)."""
    try:
        return await index_fields(client.options(request_timeout=READABLE_WAIT), config)
    except UNREADABLE:
        return None


def forget_index_fields() -> None:
    """Drop every copy (tests that change an index's mapping under the same name)."""
    _loaded.clear()
