"""GET /search: the checked query and parameters, the body built from them, Elasticsearch's answer shaped.

A first page is a `from`/`size` search; a page reached by `cursor` reads a point in time (pagination.py). A first
page that found few hits also asks for spelling corrections (query/spelling.py); in `mode=simple` it is searched
again with typos and the last word completed (query/tolerance.py), and its cursors continue that tolerant search.
"""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from elasticsearch import AsyncElasticsearch
from ninja import Query, Router

from search_service.admission import Refused, admit, admit_if_free, search_cost, spelling_cost, tolerant_cost
from search_service.admission.cost import Cost
from search_service.answer_cache import Answer, Served, answer_cache_for, search_key, stored_key
from search_service.answer_cache.replay_book import ANSWERED_FROM
from search_service.answer_cache.responses import JSON, cached_response
from search_service.cursor_pits import shares_point_in_time
from search_service.elastic import get_client
from search_service.endpoints.search_pages import fetch_page
from search_service.endpoints.second_looks import (
    did_you_mean,
    tolerant_pass_text,
    total_hits,
    wants_did_you_mean,
    wants_tolerant_pass,
)
from search_service.keys.auth import SEARCH_AUTH, authenticated_key, caller_identity
from search_service.mapping.loaded import index_fields
from search_service.metrics.series import TOLERANT_SEARCHES
from search_service.outcome import note_outcome, note_queue_wait
from search_service.parameters import InvalidParameter, known_parameters, refuse_unknown_parameters
from search_service.query.cursor import Cursor, read_cursor, search_digest, write_cursor
from search_service.query.facets import selected_values
from search_service.query.filter_values import FilterValueError, type_filters
from search_service.query.filters import Filter
from search_service.query.policy import CheckedQuery, QueryCost, check_query, policy_from_settings
from search_service.query.response import search_response
from search_service.query.simple import check_simple_query
from search_service.query.stats import STATS_COST_IN_BUCKETS, check_stats_types
from search_service.query.tolerance import TolerantText
from search_service.schemas import ERRORS, SearchParams, SearchResponse
from search_service.settings import ServiceSettings
from search_service.tenants.scope import check_page_size, tenant_filters, tenant_of

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
    # A tenant token's filters: ANDed into every body this request sends, named in its cursors and cache key.
    check_page_size(request, params.size)
    scope = tenant_filters(request, config, fields)
    tenant = tenant_of(request)
    bound_to = {} if tenant is None else {"tenant": tenant.filters}
    tolerant = tolerant_pass_text(config, params, checked)
    digest = search_digest(
        index=config.elasticsearch_index,
        q=checked.text,
        mode=params.mode,
        filter=params.filter,
        sort=params.sort,
        rank=params.rank,
        **bound_to,  # a cursor made under one token is refused under another
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
        fetch_page,
        client,
        config,
        params,
        checked,
        cursor,
        filters=filters,
        selected=selected,
        sort_casts=fields.sort_casts,
        caller=caller,
        tenant_filters=scope,
    )
    make = partial(
        _make_answer,
        request,
        config,
        client,
        params,
        fetch,
        cost=cost,
        caller=caller,
        cursor=cursor,
        tolerant=tolerant,
        digest=digest,
        tolerant_digest=tolerant_digest,
        selected=selected,
        tenant_filters=scope,
        types={name: info.type for name in {*params.facets, *params.stats} if (info := fields.get(name)) is not None},
    )
    cache = answer_cache_for(config)
    if cursor is not None or not cache.enabled:  # a cursor page continues its own point in time: never cached
        answer = await make()
        note_outcome(request, total_hits=answer.total_hits, took_ms=answer.took_ms)
        return HttpResponse(answer.body, content_type=JSON)
    generation = await cache.current_generation(client, config.elasticsearch_index)
    search_named = search_key(
        checked_text=checked.text,
        parameters=params.model_dump(mode="json"),
        tenant="" if tenant is None else orjson.dumps(tenant.filters).decode(),  # unambiguous, whatever they hold
    )
    key = None if generation is None else stored_key(search_named, generation)
    entry, served = await cache.answer(search_named, key, make)
    made_here = served in (Served.MISS, Served.BYPASS)
    note_outcome(request, total_hits=entry.total_hits, took_ms=entry.took_ms, cached=not made_here)
    if key is None or generation is None:  # not kept: nothing for others to keep either
        return HttpResponse(entry.body, content_type=JSON)
    if not made_here:  # a repeat: the next one is answered before Django (answer_cache/replay.py)
        request.scope[ANSWERED_FROM] = (key, generation)  # type: ignore[attr-defined]
    return cached_response(request, entry, private=authenticated_key(request) is not None)


async def _make_answer(
    request: HttpRequest,
    config: ServiceSettings,
    client: AsyncElasticsearch,
    params: SearchParams,
    fetch: Callable[..., Awaitable[tuple[dict[str, Any], Cursor | None]]],
    *,
    cost: Cost,
    caller: str,
    cursor: Cursor | None,
    tolerant: TolerantText | None,
    digest: str,
    tolerant_digest: str,
    selected: dict[str, list[str]],
    tenant_filters: list[Filter],
    types: dict[str, str],
) -> Answer:
    """The page's answer: the exact search, the tolerant pass when it found little, the did-you-mean suggestions,
    each admitted in front of Elasticsearch at its own price."""
    resumes = tolerant if cursor is not None and cursor.digest == tolerant_digest else None
    async with admit(config, caller, cost) as turn:
        note_queue_wait(request, turn.waited)
        exact, next_cursor = await fetch(digest=digest if resumes is None else tolerant_digest, tolerant=resumes)
    result = exact
    complete = True  # False: a pass was left out for want of room, and the answer is not kept in the cache
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
            complete = False
    # A first page only: whoever follows `next` has had the suggestions already. The call is the caller's work
    # too, priced on its own, and left out when there is no room for it now.
    suggestions: list[str] = []
    if cursor is None and params.q and wants_did_you_mean(config, exact, None if result is exact else result):
        async with admit_if_free(config, caller, spelling_cost(params.q.split())) as room:
            if room:
                suggestions = await did_you_mean(client, config, params.q, tenant_filters=tenant_filters)
            complete = complete and room
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
        types=types,
        tolerant=result is not exact or resumes is not None,
    )
    return Answer(
        body=orjson.dumps(answer),
        total_hits=answer["total"]["value"],
        took_ms=answer["took_ms"],
        keep=complete and not answer["timed_out"] and not answer["shards"]["failed"],
    )
