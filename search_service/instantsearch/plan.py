"""A request of the Algolia protocol checked against the policy (`Plan`, body.py) and priced: its index name read
as a sort, its parameters bounded by the settings, its facets, filters and attributes checked against the field
settings and typed by the mapping. Pure: the endpoint (endpoints/instantsearch.py) hands in the settings and the
mapping it read."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import orjson

from search_service.admission import facet_search_cost, search_cost
from search_service.admission.cost import Cost
from search_service.endpoints.second_looks import simple_tolerant_text
from search_service.instantsearch.body import Plan, check_attributes, read_snippets, retrievable
from search_service.instantsearch.errors import AlgoliaRequestError
from search_service.instantsearch.filters import filter_clause, leaves, read_filters
from search_service.instantsearch.params import AlgoliaParams, read_params
from search_service.mapping.fields import IndexFields
from search_service.query.body import MAX_RESULT_WINDOW, strip_boost
from search_service.query.filter_values import FilterValueError, type_filters
from search_service.query.filters import Filter
from search_service.query.policy import CheckedQuery, QueryCost, policy_from_settings
from search_service.query.simple import check_simple_query
from search_service.query.sorting import SortKey, parse_sort
from search_service.query.stats import STATS_COST_IN_BUCKETS, stats_fields
from search_service.settings import ServiceSettings

# What a request's fields other than its parameters may be.
REQUEST_FIELDS = frozenset({"indexName", "type", "facet"})
FACET_TYPES = ("keyword", "constant_keyword", "wildcard")  # a facet value search matches text values


def sort_of_index(config: ServiceSettings, name: Any) -> list[SortKey] | None:
    """The sort an index name stands for (None: relevance); AlgoliaRequestError 404 for a name it does not know."""
    if name == config.elasticsearch_index:
        return None
    if isinstance(name, str) and name in config.search_sort_indices:
        return parse_sort(config.search_sort_indices[name], config.search_sort_fields)
    raise AlgoliaRequestError("Index does not exist", status=404, code="index_not_found")


def plan_request(item: Any, config: ServiceSettings, fields: IndexFields) -> Plan:
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


def plan_cost(plan: Plan, fields: IndexFields) -> Cost:
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
