"""Load documents into a new version of an index and move the alias onto it in one step: the I/O of `manage.py
index` and `load_demo`. What to create, which lines failed and which versions go are decided by the pure modules
beside it; this one only talks to Elasticsearch."""

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError, TransportError

from search_service.answer_cache.generation import CHECK_SECONDS as GENERATION_CHECK_SECONDS
from search_service.elastic import server_version
from search_service.indexing.bulk import Retries, index_batches
from search_service.indexing.definition import (
    REFRESH,
    IndexDefinition,
    copied_definition,
    creation_settings,
    refresh_after_load,
)
from search_service.indexing.errors import (
    AliasIsAnIndex,
    AliasMoved,
    DefinitionError,
    NothingIndexed,
    TooManyFailures,
    error_reason,
)
from search_service.indexing.report import FAILURES_SHOWN, LoadReport
from search_service.indexing.source import BadLine, Parsed
from search_service.indexing.versions import index_prefix, new_index_name, versions_to_delete

ANSWER_CACHE_SETTLE_SECONDS = 2 * GENERATION_CHECK_SECONDS

# A bulk request or the refresh of a large index takes longer than a search, which the settings' timeout is for.
LOAD_REQUEST_TIMEOUT = 120.0


@dataclass(frozen=True)
class LoadPlan:
    alias: str
    definition: IndexDefinition | None = None  # None: the current index's, else Elasticsearch's dynamic mapping
    keep: int = 1  # versions kept, the new one included
    max_errors: int = 1000  # more failed lines than this: stop, delete the new index, leave the alias
    replace_index: bool = False  # a concrete index under the alias's name may be deleted for the alias
    # Between the swap and deleting the index that was serving searches; and the command returns no sooner than
    # this (at most ANSWER_CACHE_SETTLE_SECONDS of it) after the swap, when no cached answer of the old is served.
    grace_seconds: float = 0.0
    chunk_size: int = 2000
    retries: Retries = field(default_factory=Retries)


@dataclass(frozen=True)
class _Current:
    indices: tuple[str, ...]  # what the alias points at, or the concrete index of its name
    concrete: bool
    definition: IndexDefinition | None  # the newest one's


async def load_index(
    client: AsyncElasticsearch, rows: Iterable[Parsed], plan: LoadPlan, *, progress: Callable[[int], object]
) -> LoadReport:
    """Create `<alias>-<timestamp>`, index `rows` into it, move the alias onto it, delete older versions beyond
    `plan.keep`. `progress` is told how many input lines each chunk consumed. Raises LoadError (the alias left
    as it was, the new index deleted) or the client's errors."""
    began = time.perf_counter()
    client = client.options(request_timeout=LOAD_REQUEST_TIMEOUT)
    version = await server_version(client)  # first, and a GET: a refused client version is explained
    current = await _current(client, plan.alias)
    if current.concrete and not plan.replace_index:
        raise AliasIsAnIndex(
            f"{plan.alias} is a concrete index, not an alias: rerun with --replace-index to load a new index and "
            f"put the alias {plan.alias} in its place, deleting the index {plan.alias} in the same atomic step"
        )
    definition = plan.definition or current.definition or IndexDefinition()
    name = new_index_name(plan.alias, datetime.now(UTC))
    try:
        await client.indices.create(index=name, mappings=definition.mappings, settings=creation_settings(definition))
    except ApiError as error:
        if error.meta.status != 400:
            raise
        raise DefinitionError(f"Elasticsearch refused the mappings or settings: {error_reason(error.body)}") from None
    report = LoadReport(plan.alias, name, current.indices, current.concrete, server_version=version)
    indexed = index_batches(client, name, rows, chunk_size=plan.chunk_size, retries=plan.retries)
    try:
        async with contextlib.aclosing(indexed):  # closed at once if a chunk ends the load (--max-errors)
            async for batch, refused in indexed:
                _count(report, len(batch.rows) - len(refused), batch.bad + refused, plan)
                progress(batch.lines)
        if report.indexed == 0:
            raise NothingIndexed(f"no document was indexed: the alias {plan.alias} stays where it was")
        await client.indices.put_settings(index=name, settings={REFRESH: refresh_after_load(definition)})
        await client.indices.refresh(index=name)
        report.documents = int((await client.count(index=name))["count"])
        await _swap(client, plan.alias, name, current)
    except BaseException:
        # Also on Ctrl-C (asyncio.run cancels this task and lets it finish). If even this fails the index is left
        # behind; the next load deletes it, for it is an older version by then.
        with contextlib.suppress(ApiError, TransportError):
            await client.indices.delete(index=name, ignore_unavailable=True)
        raise
    swapped = time.monotonic()
    report.seconds = time.perf_counter() - began
    report.deleted = await _prune(client, plan, name, current)
    # The service's workers read the alias's generation at least once a second (answer_cache/generation.py) and
    # retire their cached answers when it changes: waiting that long again, within the grace, means that once the
    # command returns, no search is answered from the old index.
    settle = min(plan.grace_seconds, ANSWER_CACHE_SETTLE_SECONDS) - (time.monotonic() - swapped)
    if settle > 0:
        await asyncio.sleep(settle)
    return report


def _count(report: LoadReport, indexed: int, failures: list[BadLine], plan: LoadPlan) -> None:
    """Add a chunk's outcome; stop once more lines failed than `plan.max_errors`. Chunks come in the order of
    the lines, so the failures kept (sorted within each chunk) are the first ones of the input."""
    report.indexed += indexed
    report.failed += len(failures)
    report.failures += sorted(failures, key=lambda failure: failure.line)[: FAILURES_SHOWN - len(report.failures)]
    if report.failed > plan.max_errors:
        raise TooManyFailures(
            f"more than --max-errors {plan.max_errors} lines failed ({report.failed:,} so far): stopped, the new "
            f"index deleted, the alias {plan.alias} left as it was",
            report.failures,
            report.failed,
        )


async def _current(client: AsyncElasticsearch, alias: str) -> _Current:
    """What `alias` names now: the indices it points at, a concrete index of that name, or nothing."""
    try:
        found: dict[str, Any] = (await client.indices.get(index=alias, flat_settings=True)).body
    except NotFoundError:
        return _Current((), False, None)
    concrete = alias in found and alias not in found[alias].get("aliases", {})
    newest = max(found, key=lambda name: int(found[name]["settings"].get("index.creation_date", 0)))
    definition = copied_definition(found[newest].get("mappings", {}), found[newest].get("settings", {}))
    return _Current(tuple(sorted(found)), concrete, definition)


async def _swap(client: AsyncElasticsearch, alias: str, new: str, current: _Current) -> None:
    """Point `alias` at `new` alone, in one request: searches see the old index or the new one, never neither.

    `must_exist` makes the request fail whole if the alias moved since we looked (another load), rather than leave
    it on two indices. A concrete index of the alias's name goes in the same request (`remove_index`).
    """
    actions: list[dict[str, Any]] = [{"add": {"index": new, "alias": alias}}]
    if current.concrete:
        actions.append({"remove_index": {"index": alias}})
    else:
        actions += [{"remove": {"index": old, "alias": alias, "must_exist": True}} for old in current.indices]
    try:
        await client.indices.update_aliases(actions=actions)
    except NotFoundError as error:
        raise AliasMoved(
            f"the alias {alias} changed during the load (another load?): left as it is, the new index deleted "
            f"({error_reason(error.body)})"
        ) from None


async def _prune(client: AsyncElasticsearch, plan: LoadPlan, new: str, current: _Current) -> tuple[str, ...]:
    """Delete the versions beyond `plan.keep`.

    A search the service sent before the swap may still be running on the old index; deleting that index under it
    fails the search (its shards vanish). The service gives up on a search after ELASTICSEARCH_REQUEST_TIMEOUT, so
    waiting that long (the commands' default grace) before deleting an index that was serving lets them all end.
    """
    doomed = await _versions_to_delete(client, plan, new)
    if plan.grace_seconds > 0 and set(doomed) & set(current.indices):
        await asyncio.sleep(plan.grace_seconds)
        doomed = await _versions_to_delete(client, plan, new)  # someone may have pinned one meanwhile
    if doomed:
        await client.indices.delete(index=",".join(doomed), ignore_unavailable=True)
    return tuple(doomed)


async def _versions_to_delete(client: AsyncElasticsearch, plan: LoadPlan, new: str) -> list[str]:
    answer = await client.indices.get_alias(index=f"{index_prefix(plan.alias)}*", expand_wildcards="open,closed")
    indices = {name: info.get("aliases", {}) for name, info in answer.body.items()}
    return versions_to_delete(indices, alias=plan.alias, new=new, keep=plan.keep)
