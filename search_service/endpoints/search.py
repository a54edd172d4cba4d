"""GET /search: the checked query and parameters, the body built from them, Elasticsearch's answer shaped.

A first page is a `from`/`size` search; a page reached by `cursor` reads a point in time (pagination.py). A first
page that found few hits also asks for spelling corrections (query/spelling.py); in `mode=simple` it is searched
again with typos and the last word completed (query/tolerance.py), and its cursors continue that tolerant search.
"""

from functools import partial
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from elasticsearch import AsyncElasticsearch
from ninja import Query, Router

from search_service import pagination
from search_service.admission import Refused, admit, admit_if_free, search_cost, spelling_cost, tolerant_cost
from search_service.cursor_pits import shares_point_in_time
from search_service.elastic import get_client
from search_service.endpoints.second_looks import (
    default_operator,
    did_you_mean,
    tolerant_pass_text,
    total_hits,
    wants_did_you_mean,
    wants_tolerant_pass,
)
from search_service.faults import ElasticsearchAnswerMalformed
from search_service.keys.auth import SEARCH_AUTH, caller_identity
from search_service.mapping.loaded import index_fields
from search_service.metrics.series import TOLERANT_SEARCHES
from search_service.outcome import note_outcome, note_queue_wait
from search_service.parameters import InvalidParameter, known_parameters, refuse_unknown_parameters
from search_service.query.body import build_search_body
from search_service.query.cursor import Cursor, read_cursor, search_digest, write_cursor
from search_service.query.facets import selected_values
from search_service.query.filter_values import FilterValueError, type_filters
from search_service.query.filters import Filter
from search_service.query.policy import CheckedQuery, QueryCost, check_query, policy_from_settings
from search_service.query.response import search_response
from search_service.query.simple import check_simple_query
from search_service.query.sorting import rank_sort
from search_service.query.stats import STATS_COST_IN_BUCKETS, check_stats_types
from search_service.query.tolerance import TolerantText
from search_service.renderers import render_json
from search_service.schemas import ERRORS, SearchParams, SearchResponse
from search_service.settings import ServiceSettings

router = Router(tags=["search"], auth=SEARCH_AUTH)


SEARCH_PARAMETERS = known_parameters(SearchParams)


@router.get("/search", response={200: SearchResponse, **ERRORS}, summary="Search the index")
async def search(request: HttpRequest, params: Query[SearchParams]) -> HttpResponse:
    refuse_unknown_parameters(request.GET, SEARCH_PARAMETERS)
    config = settings.SEARCH
    policy = policy_from_settings(config)
    # What Elasticsearch receives is the checked query re-written from its tree, never the caller's text.
    if not params.q:
        checked = CheckedQuery(text="", cost=QueryCost())  # browsing: every document
    elif params.mode == "simple":
        checked = check_simple_query(params.q, policy)
    else:
        checked = check_query(params.q, policy)
    client = get_client()
    # The values are read by their fields' mapped types: a bad one is the caller's 422, not Elasticsearch's 400.
    fields = await index_fields(client, config)
    try:
        filters = type_filters(params.filters, fields)
    except FilterValueError as error:
        raise InvalidParameter("filter", str(error)) from None
    try:
        check_stats_types(params.stats, fields, config.search_filter_fields)
    except ValueError as error:
        raise InvalidParameter("stats", str(error)) from None
    tolerant = tolerant_pass_text(config, params, checked)
    digest = search_digest(
        index=config.elasticsearch_index,
        q=checked.text,
        mode=params.mode,
        filter=params.filter,
        sort=params.sort,
        rank=params.rank,
    )
    # A tolerant first page's cursors continue the tolerant search: its own digest says which one a cursor is.
    tolerant_digest = search_digest(exact=digest, tolerant=None if tolerant is None else tolerant.text)
    cursor = None
    if params.cursor is not None:
        cursor = read_cursor(
            params.cursor,
            key=settings.SECRET_KEY,
            digest=digest,
            max_age=config.search_cursor_keep_alive,
            tolerant_digest=tolerant_digest,
        )
    cost = search_cost(
        checked.cost,
        words=len(checked.text.split()),
        page=params.page,
        size=params.size,
        facet_buckets=len(params.facets) * params.facet_size + len(params.stats) * STATS_COST_IN_BUCKETS,
        # Replays of a first-page cursor share the point in time the first of them opened (cursor_pits.py).
        opens_point_in_time=cursor is not None and cursor.pit_id is None and not shares_point_in_time(config, cursor),
        runs_scripts=fields.any_runtime(
            [*(key.field for key in params.sort_keys), *params.stats, *params.facets, *(f.field for f in filters)]
        ),
    )
    selected = selected_values(filters, params.facets)
    caller = caller_identity(request)
    fetch = partial(
        _fetch_page,
        client,
        config,
        params,
        checked,
        cursor,
        filters=filters,
        selected=selected,
        sort_casts=fields.sort_casts,
        caller=caller,
    )
    resumes = tolerant if cursor is not None and cursor.digest == tolerant_digest else None
    async with admit(config, caller, cost) as turn:
        note_queue_wait(request, turn.waited)
        exact, next_cursor = await fetch(digest=digest if resumes is None else tolerant_digest, tolerant=resumes)
    result = exact
    if cursor is None and tolerant is not None and wants_tolerant_pass(config, exact):
        try:
            async with admit(
                config,
                caller,
                tolerant_cost(
                    cost,
                    typo_words=tolerant.fuzzy_words,
                    completed=tolerant.prefixed,
                    short_completion=tolerant.short_prefix,
                ),
            ):
                relaxed, relaxed_cursor = await fetch(digest=tolerant_digest, tolerant=tolerant)
            TOLERANT_SEARCHES.labels("ran").inc()
            # Nothing added (the tolerant hits hold the exact ones): the exact answer, its highlights and cursors.
            if total_hits(relaxed) != total_hits(exact):
                result, next_cursor = relaxed, relaxed_cursor
        except Refused:  # the exact hits are an answer; a 429 for the extra pass would not be
            TOLERANT_SEARCHES.labels("skipped").inc()
    # A first page only: whoever follows `next` has had the suggestions already. The call is the caller's work
    # too, priced on its own, and left out when there is no room for it now.
    suggestions: list[str] = []
    if cursor is None and params.q and wants_did_you_mean(config, exact, None if result is exact else result):
        async with admit_if_free(config, caller, spelling_cost(params.q.split())) as room:
            if room:
                suggestions = await did_you_mean(client, config, params.q)
    tolerant_page = result is not exact or resumes is not None
    # Rendered straight from Elasticsearch's answer: running every hit's source through the response
    # schema again cost more than the rest of the view. SearchResponse still documents the shape,
    # and the tests hold the two together.
    answer = search_response(
        result,
        query=params.q,
        page=None if cursor else params.page,
        size=params.size,
        facets=params.facets,
        next_cursor=None if next_cursor is None else write_cursor(next_cursor, key=settings.SECRET_KEY),
        suggestions=suggestions,
        stats=params.stats,
        selected=selected,
        # Only the fields asked for: walking the whole mapping on every request would cost as much as it has fields.
        types={name: info.type for name in {*params.facets, *params.stats} if (info := fields.get(name)) is not None},
        tolerant=tolerant_page,
    )
    note_outcome(request, total_hits=answer["total"]["value"], took_ms=answer["took_ms"])
    return render_json(answer)


async def _fetch_page(
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
    tolerant: TolerantText | None = None,
) -> tuple[dict[str, Any], Cursor | None]:
    """Elasticsearch's answer for the page, and the cursor to the next one (None on the last); with `tolerant`,
    of the tolerant pass, whose cursors carry `digest`."""
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
    next_cursor = _next_cursor(result, digest=digest, before=before, size=params.size, pit_id=pit_id)
    if next_cursor is None and pit_id is not None:
        await pagination.close_point_in_time(client, pit_id)
    return result, next_cursor


def _next_cursor(result: dict[str, Any], *, digest: str, before: int, size: int, pit_id: str | None) -> Cursor | None:
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
