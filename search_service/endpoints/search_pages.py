"""One page of a search from Elasticsearch: a first page by `from`/`size`, a page reached by cursor in its point in
time (pagination.py), and the cursor to the page after it."""

from functools import partial
from typing import Any

from elasticsearch import AsyncElasticsearch

from search_service import pagination
from search_service.endpoints.second_looks import default_operator
from search_service.faults import ElasticsearchAnswerMalformed
from search_service.query.body import build_search_body
from search_service.query.cursor import Cursor
from search_service.query.filters import Filter
from search_service.query.policy import CheckedQuery
from search_service.query.sorting import rank_sort
from search_service.query.tolerance import TolerantText
from search_service.schemas import SearchParams
from search_service.settings import ServiceSettings


async def fetch_page(
    client: AsyncElasticsearch,
    config: ServiceSettings,
    params: SearchParams,
    checked: CheckedQuery,
    cursor: Cursor | None,
    *,
    digest: str,
    filters: list[Filter],
    selected: dict[str, list[str]],
    sort_casts: dict[str, str],
    caller: str,
    tenant_filters: list[Filter],
    tolerant: TolerantText | None = None,
) -> tuple[dict[str, Any], Cursor | None]:
    """Elasticsearch's answer for the page, and the cursor to the next one (None on the last); with `tolerant`,
    of the tolerant pass, whose cursors carry `digest`. `tenant_filters` (a tenant token's) bind every body."""
    sort = params.sort_keys
    if not checked.text and not params.sort and config.search_rank_field:
        sort = rank_sort(config.search_rank_field)
    build = partial(
        build_search_body,
        query=checked.text,
        mode=params.mode,
        size=params.size,
        fields=config.search_fields,
        source_fields=config.search_source_fields,
        timeout_seconds=config.search_timeout,
        highlight_max_chars=config.search_highlight_max_chars,
        highlight_text=checked.highlight_text,
        filters=filters,
        facets=params.facets,
        facet_size=params.facet_size,
        stats=params.stats,
        selected=selected,
        sort=sort,
        sort_casts=sort_casts,
        track_total_hits=config.search_track_total_hits,
        rank_field=config.search_rank_field if params.rank == "custom" else "",
        operator=default_operator(config),
        tolerant=tolerant,
        tenant_filters=tenant_filters,
    )
    keep_alive = config.search_cursor_keep_alive
    if cursor is None:
        body = build(page=params.page)
        # The same shard copies for the same search, so that ties keep one order from page to page.
        result = (await client.search(index=config.elasticsearch_index, body=body, preference=digest)).body
        if not isinstance(result, dict):
            raise ElasticsearchAnswerMalformed("the search answer is not a JSON object")
        before, pit_id = (params.page - 1) * params.size, None
    else:
        pit_id = cursor.pit_id or await pagination.open_for_cursor(client, config, cursor, caller=caller)
        after, offset = cursor.search_after, cursor.offset
        body = build(offset=offset, tiebreaker=pagination.TIEBREAKER)
        if after is None and pagination.needs_probe(offset, params.size):
            after = await pagination.sort_values_before(
                client, body, offset=offset, pit_id=pit_id, keep_alive=keep_alive
            )
        if after is not None:
            body = build(search_after=after, tiebreaker=pagination.TIEBREAKER)
        result = await pagination.search_in_point_in_time(client, body, pit_id=pit_id, keep_alive=keep_alive)
        before, pit_id = offset, result.get("pit_id") or pit_id
    following = next_cursor(result, digest=digest, before=before, size=params.size, pit_id=pit_id)
    if following is None and pit_id is not None:
        await pagination.close_point_in_time(client, pit_id)
    return result, following


def next_cursor(result: dict[str, Any], *, digest: str, before: int, size: int, pit_id: str | None) -> Cursor | None:
    hits = result.get("hits")
    if not isinstance(hits, dict) or not isinstance(hits.get("hits"), list) or not isinstance(hits.get("total"), dict):
        return None  # search_response refuses the answer, with a 502
    seen = before + len(hits["hits"])
    total = hits["total"]
    more = size > 0 and len(hits["hits"]) == size and (total.get("relation") == "gte" or seen < total.get("value", 0))
    if not more:
        return None
    if pit_id is None:
        return Cursor(digest=digest, offset=seen)
    return Cursor(digest=digest, offset=seen, pit_id=pit_id, search_after=pagination.last_sort_values(result))
