"""The Algolia search protocol's endpoints, for InstantSearch.js and React InstantSearch (docs/instantsearch.md):

- `POST /1/indexes/*/queries`: several searches (a page's hits and its facets' counts) as one `_msearch`;
- `POST /1/indexes/{indexName}/query`: one search;
- `POST /1/indexes/{indexName}/facets/{facetName}/query`: a facet value search (a searchable refinement list).

Each request is checked as /search's are (instantsearch/plan.py: the field policy, the query policy of
`mode=simple`, the filters' types), and the call is admitted once, priced at the sum of its searches
(admission/cost.py, batch_cost). A search that finds fewer than SEARCH_TYPO_THRESHOLD hits is searched again with
typos and the last word completed, as `/search?mode=simple` is, in one more `_msearch` for all such searches of
the call.
"""

import dataclasses
from functools import partial
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from elasticsearch import ApiError, AsyncElasticsearch
from ninja import Router

from search_service.admission import Refused, admit, batch_cost, tolerant_cost
from search_service.elastic import get_client
from search_service.endpoints.second_looks import default_operator, total_hits
from search_service.faults import ElasticsearchAnswerMalformed
from search_service.instantsearch.body import Plan, search_body
from search_service.instantsearch.errors import AlgoliaRequestError
from search_service.instantsearch.filters import describe_leaf
from search_service.instantsearch.plan import plan_cost, plan_request
from search_service.instantsearch.response import facet_hits, search_result
from search_service.keys.auth import SEARCH_AUTH, caller_identity
from search_service.mapping.fields import IndexFields
from search_service.mapping.loaded import index_fields
from search_service.metrics.series import TOLERANT_SEARCHES
from search_service.outcome import SearchOutcome, note_instantsearch, note_queue_wait
from search_service.query.cursor import search_digest
from search_service.query.filters import within_tenant
from search_service.renderers import render_json
from search_service.schemas.instantsearch import INSTANTSEARCH_ERRORS, QUERIES_BODY, QUERY_BODY
from search_service.settings import ServiceSettings
from search_service.tenants.scope import tenant_filters, tenant_of

router = Router(tags=["instantsearch"], auth=SEARCH_AUTH)

# One call's searches: InstantSearch sends one for the hits and one per refined disjunctive facet.
MAX_REQUESTS = 32
# The most work one call may ask for, in units of an ordinary search (admission/cost.py): a page of InstantSearch
# with four facets of 20 values and three refined lists asks ~15. Past it, Elasticsearch runs the call's searches
# a few at a time for longer than ELASTICSEARCH_REQUEST_TIMEOUT (32 searches of 16 words and 100 hits: a 504).
MAX_CALL_UNITS = 64


@router.post(
    "/1/indexes/*/queries",
    response={200: dict[str, Any], **INSTANTSEARCH_ERRORS},
    summary="InstantSearch: several searches at once",
    openapi_extra=QUERIES_BODY,
)
async def queries(request: HttpRequest) -> HttpResponse:
    payload = _json_body(request)
    raw = payload.get("requests")
    if not isinstance(raw, list) or not raw:
        raise AlgoliaRequestError("the body needs `requests`, a list of {indexName, params}")
    if len(raw) > MAX_REQUESTS:
        raise AlgoliaRequestError(f"at most {MAX_REQUESTS} requests are accepted in one call, got {len(raw)}")
    config, client = settings.SEARCH, get_client()
    fields = await index_fields(client, config)
    plans = [plan_request(item, config, fields) for item in raw]
    results = await _run(request, client, config, fields, plans)
    return render_json({"results": results})


@router.post(
    "/1/indexes/{index_name}/query",
    response={200: dict[str, Any], **INSTANTSEARCH_ERRORS},
    summary="InstantSearch: one search",
    openapi_extra=QUERY_BODY,
)
async def query(request: HttpRequest, index_name: str) -> HttpResponse:
    config, client = settings.SEARCH, get_client()
    fields = await index_fields(client, config)
    plan = plan_request(_json_body(request) | {"indexName": index_name}, config, fields)
    (result,) = await _run(request, client, config, fields, [plan])
    return render_json(result)


@router.post(
    "/1/indexes/{index_name}/facets/{facet_name}/query",
    response={200: dict[str, Any], **INSTANTSEARCH_ERRORS},
    summary="InstantSearch: search a facet's values",
    openapi_extra=QUERY_BODY,
)
async def facet_values(request: HttpRequest, index_name: str, facet_name: str) -> HttpResponse:
    config, client = settings.SEARCH, get_client()
    fields = await index_fields(client, config)
    request_body = _json_body(request) | {"indexName": index_name, "type": "facet", "facet": facet_name}
    plan = plan_request(request_body, config, fields)
    (result,) = await _run(request, client, config, fields, [plan])
    return render_json(result)


def _json_body(request: HttpRequest) -> dict[str, Any]:
    """The body as JSON, whatever the Content-Type says: the clients send `application/x-www-form-urlencoded` or
    `text/plain` from a browser, so that it asks no CORS preflight."""
    request.GET  # noqa: B018 - read first: a query string of too many parameters is a 400 (errors.py) like /search's
    try:
        payload = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError:
        raise AlgoliaRequestError("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise AlgoliaRequestError("the body must be a JSON object")
    return payload


async def _run(
    request: HttpRequest, client: AsyncElasticsearch, config: ServiceSettings, fields: IndexFields, plans: list[Plan]
) -> list[dict[str, Any]]:
    """The answers to `plans`, in their order: one `_msearch`, and one more for the tolerant passes if any."""
    caller = caller_identity(request)
    build = partial(
        search_body,
        fields=config.search_fields,
        source_fields=config.search_source_fields,
        timeout_seconds=config.search_timeout,
        highlight_max_chars=config.search_highlight_max_chars,
        track_total_hits=config.search_track_total_hits,
        rank_field=config.search_rank_field,
        sort_casts=fields.sort_casts,
        operator=default_operator(config),
    )
    costs = [plan_cost(plan, fields) for plan in plans]
    cost = batch_cost(costs)
    if cost.units > MAX_CALL_UNITS:
        raise AlgoliaRequestError(
            f"this call asks for {cost.units:g} units of work, more than the {MAX_CALL_UNITS} one call may: send "
            "fewer requests, or smaller ones (fewer hits, facet values or words)"
        )
    # A tenant token's filters, ANDed into every body of the call (the tolerant passes' too).
    scope = tenant_filters(request, config, fields)
    tenant = tenant_of(request)
    largest = None if tenant is None else tenant.max_size
    if largest is not None and any(plan.facet is None and plan.params.hits_per_page > largest for plan in plans):
        raise AlgoliaRequestError(f"hitsPerPage: this tenant token allows at most {largest} results a page")

    def bound(body: dict[str, Any]) -> dict[str, Any]:
        body["query"] = within_tenant(body["query"], scope)
        return body

    bodies = [bound(build(plan)) for plan in plans]
    async with admit(config, caller, cost) as turn:
        note_queue_wait(request, turn.waited)
        answers = await _msearch(client, config, plans, bodies, expensive=cost.expensive)
    again = [
        n
        for n, plan in enumerate(plans)
        if plan.tolerant is not None and _found_fewer(answers[n], config.search_typo_threshold)
    ]
    if again:
        relaxed_costs = []
        for n in again:
            tolerant = plans[n].tolerant
            assert tolerant is not None
            relaxed_costs.append(
                tolerant_cost(
                    costs[n],
                    typo_words=tolerant.fuzzy_words,
                    completed=tolerant.prefixed,
                    short_completion=tolerant.short_prefix,
                )
            )
        try:
            relaxed_cost = batch_cost(relaxed_costs)
            async with admit(config, caller, relaxed_cost):
                relaxed = await _msearch(
                    client,
                    config,
                    [plans[n] for n in again],
                    [bound(build(plans[n], tolerant=plans[n].tolerant)) for n in again],
                    expensive=relaxed_cost.expensive,
                )
            TOLERANT_SEARCHES.labels("ran").inc(len(again))
            for n, answer in zip(again, relaxed, strict=True):
                if total_hits(answer) != total_hits(answers[n]):
                    answers[n] = answer
        except Refused:  # the exact hits are an answer; a 429 for the extra pass would not be
            TOLERANT_SEARCHES.labels("skipped").inc(len(again))
    results = [
        facet_hits(answer, plan) if plan.facet is not None else search_result(answer, plan, types=_types(plan, fields))
        for plan, answer in zip(plans, answers, strict=True)
    ]
    note_instantsearch(
        request,
        [
            (_analytics_parameters(plan), SearchOutcome(result["nbHits"], result["processingTimeMS"]))
            for plan, result in zip(plans, results, strict=True)
            if plan.analytics
        ],
    )
    return results


def _types(plan: Plan, fields: IndexFields) -> dict[str, str]:
    """The mapped types of the fields whose values an answer shows (float facet keys are narrowed by them)."""
    return {name: info.type for name in {*plan.count_facets, *plan.stats_facets} if (info := fields.get(name))}


def _found_fewer(answer: Any, threshold: int) -> bool:
    found = total_hits(answer)
    return found is not None and found < threshold and not (isinstance(answer, dict) and answer.get("timed_out"))


async def _msearch(
    client: AsyncElasticsearch,
    config: ServiceSettings,
    plans: list[Plan],
    bodies: list[dict[str, Any]],
    *,
    expensive: bool = False,
) -> list[Any]:
    """Elasticsearch's answer to each body, in order; a search it refused raises as a refused `_search` would.
    `expensive`: the call took expensive turns, and runs no more searches at once than the lane allows."""
    searches: list[dict[str, Any]] = []
    for plan, body in zip(plans, bodies, strict=True):
        # The same shard copies for the same search, so that ties keep one order from page to page.
        preference = search_digest(index=config.elasticsearch_index, q=plan.checked.text, filter=plan.params_text)
        searches.extend(({"index": config.elasticsearch_index, "preference": preference}, body))
    concurrency = config.search_expensive_concurrency if expensive else None
    answer = await client.msearch(searches=searches, max_concurrent_searches=concurrency)
    responses = answer.body.get("responses") if isinstance(answer.body, dict) else None
    if not isinstance(responses, list) or len(responses) != len(plans):
        raise ElasticsearchAnswerMalformed("the multi-search answer does not have one response per search")
    for item in responses:
        if isinstance(item, dict) and "error" in item:
            status = item.get("status")
            meta = dataclasses.replace(answer.meta, status=status if isinstance(status, int) else 500)
            raise ApiError(message=str(item.get("error"))[:200], meta=meta, body=item)
    return responses


def _analytics_parameters(plan: Plan) -> QueryDict:
    """What an analytics row records of a search, written as /search's parameters would be."""
    parameters = QueryDict(mutable=True)
    parameters["q"] = plan.params.query
    parameters["mode"] = "simple"
    parameters["page"] = str(plan.params.page + 1)
    parameters.setlist("filter", [describe_leaf(leaf) for leaf in plan.filter_leaves])
    return parameters
