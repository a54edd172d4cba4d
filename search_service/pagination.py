"""Walking a search by cursor, the I/O half: the point in time a cursor reads, opened on the first step and closed
when the walk reaches its end (query/cursor.py is the pure half).

A first page is a plain `from`/`size` search: most searches never go past it, and a point in time for each would
hold index segments open for nobody. Following `next` opens one, continues at the page's offset, and from then on
pages with `search_after` on the sort values plus `_shard_doc`, a total order, so a walk through any number of hits
on an unchanging index repeats and skips nothing. Replays of one first-page cursor read one point in time, and a
caller opens a bounded number (cursor_pits.py).
"""

import logging
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

from search_service.admission import Refused, delay_refusal
from search_service.cursor_pits import CursorKey, current_shared_pits, cursor_pits_for
from search_service.faults import ElasticsearchAnswerMalformed
from search_service.query.body import MAX_RESULT_WINDOW
from search_service.query.cursor import Cursor, expired_cursor
from search_service.settings import ServiceSettings

logger = logging.getLogger(__name__)

TIEBREAKER = "_shard_doc"


async def open_point_in_time(client: AsyncElasticsearch, *, index: str, keep_alive: int) -> str:
    answer = (await client.open_point_in_time(index=index, keep_alive=f"{keep_alive}s")).body
    pit_id = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(pit_id, str):
        raise ElasticsearchAnswerMalformed("opening a point in time answered without an id")
    return pit_id


async def open_for_cursor(client: AsyncElasticsearch, config: ServiceSettings, cursor: Cursor, *, caller: str) -> str:
    """The point in time a first-page cursor reads: the one its replays opened moments ago, else a new one, if
    `caller` has opened fewer than SEARCH_CURSOR_MAX_OPEN in the keep-alive (else 429 `too_many_cursors`)."""
    pits = cursor_pits_for(config)

    async def open_pit() -> str:
        await pits.openings.hit(caller)
        return await open_point_in_time(
            client, index=config.elasticsearch_index, keep_alive=config.search_cursor_keep_alive
        )

    key: CursorKey = (cursor.digest, cursor.offset)
    try:
        return await pits.shared.pit_for(key, open_pit)
    except Refused as refused:
        # Held back here, not inside the opening: replays waiting for it must not wait out this refusal too.
        await delay_refusal(refused, config.search_refusal_delay)
        raise


async def close_point_in_time(client: AsyncElasticsearch, pit_id: str) -> None:
    """Best effort: an unclosed point in time expires by itself after its keep-alive. One that replays of its
    first-page cursor may still read is left to that: one walk's end is not theirs."""
    shared = current_shared_pits()
    if shared is not None and shared.shares(pit_id):
        return
    try:
        await client.close_point_in_time(id=pit_id)
    except Exception as error:  # the answer is complete already: say why and move on
        logger.info("Could not close a point in time (it expires by itself): %s", error)


async def search_in_point_in_time(
    client: AsyncElasticsearch, body: dict[str, Any], *, pit_id: str, keep_alive: int
) -> dict[str, Any]:
    """`_search` inside the point in time; its expiry (or a node restart that lost it) is the cursor's: 400."""
    body = body | {"pit": {"id": pit_id, "keep_alive": f"{keep_alive}s"}}
    try:
        answer = (await client.search(body=body)).body
    except NotFoundError:
        if (shared := current_shared_pits()) is not None:
            shared.forget(pit_id)  # so that the search run again from its first page opens a live one
        raise expired_cursor() from None
    if not isinstance(answer, dict):
        raise ElasticsearchAnswerMalformed("the search answer is not a JSON object")
    return answer


def needs_probe(offset: int, size: int) -> bool:
    """`from` cannot pass the result window; past it the walk must start from the sort values at `offset`."""
    return offset + size > MAX_RESULT_WINDOW and offset > 0


async def sort_values_before(
    client: AsyncElasticsearch, body: dict[str, Any], *, offset: int, pit_id: str, keep_alive: int
) -> list[Any] | None:
    """The sort values of hit number `offset` (counting from 1): where a walk that starts past the window resumes."""
    probe = {key: value for key, value in body.items() if key in ("query", "post_filter", "sort", "timeout")}
    probe |= {"from": offset - 1, "size": 1, "_source": False, "track_total_hits": False}
    answer = await search_in_point_in_time(client, probe, pit_id=pit_id, keep_alive=keep_alive)
    return last_sort_values(answer)


def last_sort_values(answer: dict[str, Any]) -> list[Any] | None:
    hits = answer.get("hits", {}).get("hits") if isinstance(answer.get("hits"), dict) else None
    if not hits:
        return None
    values = hits[-1].get("sort") if isinstance(hits[-1], dict) else None
    if not isinstance(values, list):
        raise ElasticsearchAnswerMalformed("a hit of a sorted search has no sort values")
    return values
