"""The Algolia search protocol's endpoints, for InstantSearch.js and React InstantSearch (docs/instantsearch.md):

- `POST /1/indexes/*/queries`: several searches (a page's hits and its facets' counts) as one `_msearch`;
- `POST /1/indexes/{indexName}/query`: one search;
- `POST /1/indexes/{indexName}/facets/{facetName}/query`: a facet value search (a searchable refinement list).

Each request is checked as /search's are (the field policy, the query policy of `mode=simple`, the filters' types)
and the call is admitted once, priced at the sum of its searches (admission/cost.py, batch_cost). A search that
finds fewer than SEARCH_TYPO_THRESHOLD hits is searched again with typos and the last word completed, as
`/search?mode=simple` is, in one more `_msearch` for all such searches of the call.
"""

import dataclasses
from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from elasticsearch import ApiError, AsyncElasticsearch
from ninja import Router

from search_service.admission import (
    Refused,
    admit,
    batch_cost,
    facet_search_cost,
    search_cost,
    tolerant_cost,
)
from search_service.admission.cost import Cost
from search_service.elastic import get_client
from search_service.endpoints.second_looks import default_operator, simple_tolerant_text, total_hits
from search_service.faults import ElasticsearchAnswerMalformed
from search_service.instantsearch.body import (
    Plan,
    check_attributes,
    read_snippets,
    retrievable,
    search_body,
)
from search_service.instantsearch.errors import AlgoliaRequestError
from search_service.instantsearch.filters import describe_leaf, filter_clause, leaves, read_filters
from search_service.instantsearch.params import AlgoliaParams, read_params
from search_service.instantsearch.response import facet_hits, search_result
from search_service.keys.auth import SEARCH_AUTH, caller_identity
from search_service.mapping.fields import IndexFields
from search_service.mapping.loaded import index_fields
from search_service.metrics.series import TOLERANT_SEARCHES
from search_service.outcome import SearchOutcome, note_instantsearch, note_queue_wait
from search_service.query.body import MAX_RESULT_WINDOW, strip_boost
from search_service.query.cursor import search_digest
from search_service.query.filter_values import FilterValueError, type_filters
from search_service.query.filters import Filter
from search_service.query.policy import CheckedQuery, QueryCost, policy_from_settings
from search_service.query.simple import check_simple_query
from search_service.query.sorting import SortKey, parse_sort
from search_service.query.stats import STATS_COST_IN_BUCKETS, stats_fields
from search_service.renderers import render_json
from search_service.schemas.instantsearch import INSTANTSEARCH_ERRORS, QUERIES_BODY, QUERY_BODY
from search_service.settings import ServiceSettings

router = Router(tags=["instantsearch"], auth=SEARCH_AUTH)

# One call's searches: InstantSearch sends one for the hits and one per refined disjunctive facet.
MAX_REQUESTS = 32
# What a request's fields other than its parameters may be.
REQUEST_FIELDS = frozenset({"indexName", "type", "facet"})
FACET_TYPES = ("keyword", "constant_keyword", "wildcard")  # a facet value search matches text values


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
    plans = [_plan(item, config, fields) for item in raw]
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
    plan = _plan(_json_body(request) | {"indexName": index_name}, config, fields)
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
    plan = _plan(request_body, config, fields)
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


def sort_of_index(config: ServiceSettings, name: Any) -> list[SortKey] | None:
    """The sort an index name stands for (None: relevance); AlgoliaRequestError 404 for a name it does not know."""
    if name == config.elasticsearch_index:
        return None
    if isinstance(name, str) and name in config.search_sort_indices:
        return parse_sort(config.search_sort_indices[name], config.search_sort_fields)
    raise AlgoliaRequestError("Index does not exist", status=404, code="index_not_found")


def _plan(item: Any, config: ServiceSettings, fields: IndexFields) -> Plan:
    """One request checked against the policy, or AlgoliaRequestError saying what is wrong with it."""
    if not isinstance(item, Mapping):
        raise AlgoliaRequestError("each request must be an object with indexName and params")
    index_name = item.get("indexName")
    sort = sort_of_index(config, index_name)
    kind = item.get("type", "default")
    if kind not in ("default", "facet"):
        raise AlgoliaRequestError("a request's type is `default` or `facet`")
    params = read_params(item, skip=REQUEST_FIELDS)
    _check_bounds(params, config)
    text = params.query.strip()
    checked = check_simple_query(text, policy_from_settings(config)) if text else CheckedQuery("", QueryCost())
    source_fields = config.search_source_fields
    facet = None
    if kind == "facet":
        facet = _facet_to_search(item.get("facet"), config, fields)
    count_facets, stats_facets = _facets(params.facets, config, fields)
    tree = read_filters(
        facet_filters=params.facet_filters,
        numeric_filters=params.numeric_filters,
        filters=params.filters,
        allowed=config.search_filter_fields,
    )
    highlight = check_attributes(params.attributes_to_highlight, source_fields, "attributesToHighlight")
    if highlight is None or highlight[:1] == ["*"]:
        excluded = {name[1:] for name in highlight or ()} - {"*"}
        highlight = [name for name in _searched_names(config) if retrievable(name, source_fields)]
        highlight = [name for name in highlight if name not in excluded]
    raw_params = item.get("params")
    return Plan(
        index_name=str(index_name),
        params=params,
        params_text=raw_params if isinstance(raw_params, str) else _params_text(item),
        checked=checked,
        sort=sort,
        filter=None if tree is None else filter_clause(tree, lambda leaf: _typed(leaf, fields)),
        count_facets=count_facets,
        stats_facets=stats_facets,
        retrieve=check_attributes(params.attributes_to_retrieve, source_fields, "attributesToRetrieve"),
        highlight=highlight,
        snippets=read_snippets(params.attributes_to_snippet, source_fields),
        facet=facet,
        tolerant=None if facet else simple_tolerant_text(config, checked),
        analytics=params.analytics and facet is None,
        filter_leaves=tuple(leaves(tree)) if tree is not None else (),
    )


def _check_bounds(params: AlgoliaParams, config: ServiceSettings) -> None:
    if params.hits_per_page > config.search_max_size:
        raise AlgoliaRequestError(f"hitsPerPage: must be at most {config.search_max_size}")
    if params.max_values_per_facet > config.search_max_facet_size:
        raise AlgoliaRequestError(f"maxValuesPerFacet: must be at most {config.search_max_facet_size}")
    if params.hits_per_page and (params.page + 1) * params.hits_per_page > MAX_RESULT_WINDOW:
        raise AlgoliaRequestError(
            f"page: (page + 1) * hitsPerPage must be at most {MAX_RESULT_WINDOW}; "
            f"with hitsPerPage={params.hits_per_page} the last page is {MAX_RESULT_WINDOW // params.hits_per_page - 1}"
        )


def _searched_names(config: ServiceSettings) -> list[str]:
    """Algolia highlights its searchable attributes by default: here, SEARCH_FIELDS (patterns left out)."""
    return list(dict.fromkeys(name for f in config.search_fields if "*" not in (name := strip_boost(f))))


def _facets(names: list[str], config: ServiceSettings, fields: IndexFields) -> tuple[list[str], list[str]]:
    """The facets counted (SEARCH_FACET_FIELDS; `*` all of them) and those with `facets_stats` (the numeric ones
    among them, and the numeric fields of SEARCH_FILTER_FIELDS: a range slider's bounds)."""
    numeric = stats_fields(config.search_filter_fields, fields)
    counted: list[str] = []
    stats: list[str] = []
    for name in dict.fromkeys(names):
        if name == "*":
            counted.extend(f for f in config.search_facet_fields if f not in counted)
            continue
        if name not in config.search_facet_fields and name not in numeric:
            allowed = ", ".join(dict.fromkeys([*config.search_facet_fields, *numeric])) or "none"
            raise AlgoliaRequestError(f"facets: cannot facet on {name[:60]!r}; allowed: {allowed}")
        if name in config.search_facet_fields and name not in counted:
            counted.append(name)
        if name in numeric and (info := fields.get(name)) is not None and info.is_numeric:
            stats.append(name)
    return counted, stats


def _facet_to_search(name: Any, config: ServiceSettings, fields: IndexFields) -> str:
    if not isinstance(name, str) or name not in config.search_facet_fields:
        allowed = ", ".join(config.search_facet_fields) or "none"
        raise AlgoliaRequestError(f"cannot search the values of facet {str(name)[:60]!r}; allowed: {allowed}")
    info = fields.get(name)
    if info is not None and info.type not in FACET_TYPES:
        raise AlgoliaRequestError(f"{name!r} is a {info.type} field: its values are not text to search")
    return name


def _typed(leaf: Filter, fields: IndexFields) -> Filter:
    try:
        return type_filters([leaf], fields)[0]
    except FilterValueError as error:
        raise AlgoliaRequestError(f"filters: {error}") from None


def _params_text(item: Mapping[str, Any]) -> str:
    """The `params` an answer echoes for a v5 request (an object): URL-encoded, arrays as JSON, as v4 writes them."""
    params = item.get("params")
    merged = {**(params if isinstance(params, Mapping) else {}), **item}
    encoded = {
        name: value if isinstance(value, str) else orjson.dumps(value).decode()
        for name, value in merged.items()
        if name not in REQUEST_FIELDS and name != "params"
    }
    return urlencode(encoded)


def _cost(plan: Plan, fields: IndexFields) -> Cost:
    params = plan.params
    searched = [
        *(key.field for key in plan.sort or ()),
        *plan.count_facets,
        *plan.stats_facets,
        *(leaf.field for leaf in plan.filter_leaves),
    ]
    if plan.facet is not None:
        counts = search_cost(
            plan.checked.cost,
            words=len(plan.checked.text.split()),
            page=1,
            size=0,
            facet_buckets=params.max_facet_hits,
            runs_scripts=fields.any_runtime([plan.facet, *searched]),
        )
        return facet_search_cost(counts)
    return search_cost(
        plan.checked.cost,
        words=len(plan.checked.text.split()),
        page=params.page + 1,
        size=params.hits_per_page,
        facet_buckets=len(plan.count_facets) * params.max_values_per_facet
        + len(plan.stats_facets) * STATS_COST_IN_BUCKETS,
        runs_scripts=fields.any_runtime(searched),
    )


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
    bodies = [build(plan) for plan in plans]
    costs = [_cost(plan, fields) for plan in plans]
    async with admit(config, caller, batch_cost(costs)) as turn:
        note_queue_wait(request, turn.waited)
        answers = await _msearch(client, config, plans, bodies)
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
            async with admit(config, caller, batch_cost(relaxed_costs)):
                relaxed = await _msearch(
                    client,
                    config,
                    [plans[n] for n in again],
                    [build(plans[n], tolerant=plans[n].tolerant) for n in again],
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
    client: AsyncElasticsearch, config: ServiceSettings, plans: list[Plan], bodies: list[dict[str, Any]]
) -> list[Any]:
    """Elasticsearch's answer to each body, in order; a search it refused raises as a refused `_search` would."""
    searches: list[dict[str, Any]] = []
    for plan, body in zip(plans, bodies, strict=True):
        # The same shard copies for the same search, so that ties keep one order from page to page.
        preference = search_digest(index=config.elasticsearch_index, q=plan.checked.text, filter=plan.params_text)
        searches.extend(({"index": config.elasticsearch_index, "preference": preference}, body))
    answer = await client.msearch(searches=searches)
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
