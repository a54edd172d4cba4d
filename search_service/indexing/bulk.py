"""The bulk requests of a load: chunks serialized ahead in a worker thread, each answer tied back to its line,
and what Elasticsearch was too busy for (429) sent again."""

import asyncio
from collections.abc import AsyncGenerator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import orjson
from elasticsearch import ApiError, AsyncElasticsearch
from elasticsearch.helpers import async_streaming_bulk

from search_service.indexing.errors import error_reason
from search_service.indexing.source import BadLine, Batch, Parsed, Row, batches

# A bulk request never carries more than this, however large the documents. Just under 1 MiB: aiohttp warns
# (ResourceWarning, an error under the tests' filterwarnings) about a bytes body above that, which it copies in
# one go on the event loop; and bulk throughput hardly grows past a few hundred KB per request here (the bench).
MAX_CHUNK_BYTES = 1_000_000
MAX_BACKOFF = 60.0
# Each item's status and error are all we read; the rest (index, id, version, shards, seq_no) would be most of
# the answer, parsed for nothing.
BULK_ANSWER = ["errors", "items.*.status", "items.*.error"]
_NO_ID = orjson.dumps({"index": {}})

Action = tuple[bytes, bytes]  # a row's bulk header and body, serialized: the helper passes bytes through


@dataclass(frozen=True)
class Retries:
    max_retries: int = 5  # for documents (or requests) Elasticsearch refuses with 429, too busy
    initial_backoff: float = 1.0  # doubled for every retry of the same documents


async def index_batches(
    client: AsyncElasticsearch, index: str, rows: Iterable[Parsed], *, chunk_size: int, retries: Retries
) -> AsyncGenerator[tuple[Batch, list[BadLine]], None]:
    """Index `rows` in chunks of `chunk_size`; each batch (its rows and bad lines) with the rows refused.

    The next chunk is read, parsed and serialized in a worker thread while Elasticsearch indexes this one: the
    two take turns otherwise, each idle while the other works. One bulk request at a time all the same, so a line
    later in the input still overwrites an earlier one of the same _id.
    """
    chunks = batches(rows, chunk_size)
    upcoming = asyncio.ensure_future(asyncio.to_thread(_prepare, chunks))
    try:
        while (prepared := await upcoming) is not None:
            upcoming = asyncio.ensure_future(asyncio.to_thread(_prepare, chunks))
            batch, actions = prepared
            yield batch, await index_chunk(client, index, batch.rows, actions, retries) if batch.rows else []
    finally:
        upcoming.cancel()  # if stopped early: the thread ends with the chunk it is reading, which is dropped


def _prepare(chunks: Iterator[Batch]) -> tuple[Batch, list[Action]] | None:
    batch = next(chunks, None)
    if batch is None:
        return None
    actions = [
        (orjson.dumps({"index": {"_id": row.id}}) if row.id is not None else _NO_ID, orjson.dumps(row.source))
        for row in batch.rows
    ]
    return batch, actions


def _as_is(action: Action) -> Action:
    return action


async def index_chunk(
    client: AsyncElasticsearch, index: str, rows: list[Row], actions: list[Action], retries: Retries
) -> list[BadLine]:
    """Index `rows` (as `actions`), retrying what Elasticsearch was too busy for; the rows it refused.

    The retries are ours rather than the helper's (`max_retries`): the helper answers for retried documents after
    the rest of their chunk, so its answers would no longer come in the order of the rows, and the order is all
    that ties an answer to its line (an id Elasticsearch generates says nothing). Without its retries the helper
    answers in order, however many requests `max_chunk_bytes` splits the chunk into.
    """
    refused: list[BadLine] = []
    pending = list(zip(rows, actions, strict=True))
    for attempt in range(retries.max_retries + 1):
        if attempt:
            await asyncio.sleep(min(MAX_BACKOFF, retries.initial_backoff * 2 ** (attempt - 1)))
        busy: list[tuple[Row, Action]] = []
        answered = 0
        try:
            async for ok, item in async_streaming_bulk(
                client,
                [action for _, action in pending],  # type: ignore[misc]  # serialized already: passed through
                index=index,
                chunk_size=len(pending),
                max_chunk_bytes=MAX_CHUNK_BYTES,
                raise_on_error=False,
                expand_action_callback=cast(Any, _as_is),
                filter_path=BULK_ANSWER,
            ):
                row, action = pending[answered]
                answered += 1
                if ok:
                    continue
                outcome = next(iter(item.values()))
                if outcome.get("status") == 429 and attempt < retries.max_retries:
                    busy.append((row, action))
                else:
                    refused.append(BadLine(row.line, error_reason(outcome.get("error"))))
        except ApiError as error:
            # A whole request refused as too busy (a circuit breaker): what it held is retried with the rest.
            if error.meta.status != 429 or attempt == retries.max_retries:
                raise
            busy += pending[answered:]
        if not busy:
            break
        pending = busy
    return refused
