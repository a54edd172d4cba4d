"""Pure functions from checked search parameters to Elasticsearch `_search` bodies. No I/O here."""

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from search_service.query.facets import facet_aggregations
from search_service.query.filters import Filter, filter_clauses
from search_service.query.ranking import rank_query
from search_service.query.sorting import DEFAULT_SORT, SortKey, parse_sort, sort_clauses
from search_service.query.stats import stats_aggregations
from search_service.query.tolerance import TolerantText

Mode = Literal["query_string", "simple"]

# Elasticsearch refuses `from + size` past index.max_result_window, 10,000 unless an index raises it.
MAX_RESULT_WINDOW = 10_000
MAX_QUERY_LENGTH = 1_000
HIGHLIGHT_FRAGMENT_SIZE = 150
HIGHLIGHT_FRAGMENTS = 3

# Elasticsearch's own guards, on every search, behind the service's policy (query/policy.py):
# a fuzzy term expands to at most this many terms (Elasticsearch's default is 50) ...
FUZZY_MAX_EXPANSIONS = 20
# ... and must match its first character exactly, which spares scanning the whole term dictionary.
FUZZY_PREFIX_LENGTH = 1
# A regular expression may compile to an automaton of at most this many states (default 10,000).
MAX_DETERMINIZED_STATES = 2_000

# `mode=simple`: the search box's syntax (`+`, `|`, `-`, "phrases", parentheses), where a stray quote or
# parenthesis is read as text instead of failing. Prefix, fuzzy and slop operators are left out: they expand
# terms, and this mode has no parsed tree for the cost policy to price them on.
SIMPLE_QUERY_FLAGS = "AND|NOT|OR|PHRASE|PRECEDENCE|WHITESPACE|ESCAPE"
# The tolerant pass (query/tolerance.py) writes its own `~N` and `*`: only it gets these operators.
TOLERANT_QUERY_FLAGS = SIMPLE_QUERY_FLAGS + "|FUZZY|PREFIX"
# In the tolerant pass the query as written is asked again, weighted so that a document matching it exactly ranks
# above one that matches only a typo'd or completed form (a rare typo'd term scores high on its own) ...
EXACT_BOOST = 10.0
# ... and so is the query with its last word completed but no typo: `UserD` means UserDict, not the common `user`
# one edit away, whose BM25 score would pass a prefix's constant one. A document matching as written matches this
# too, so it stays first. On the judged set (docs/benchmarks/relevance.md), prefix recall@5: 3 → 92%, 6 → 95%.
PREFIX_BOOST = 6.0

Operator = Literal["and", "or"]


def strip_boost(field: str) -> str:
    """`title^3` -> `title`: highlighting takes plain field names."""
    return field.partition("^")[0]


def build_query(*, query: str, fields: list[str], operator: Operator = "or") -> dict[str, Any]:
    """The `query_string` query for a query text already checked and re-written by query.policy."""
    return {
        "query_string": {
            "query": query,
            "fields": fields,
            "default_operator": operator.upper(),
            # A value of the wrong type for a field (text against a date, say) matches nothing instead of
            # failing the whole search.
            "lenient": True,
            # `*foo` walks every term of the index; the policy refuses it first, this is the second lock.
            "allow_leading_wildcard": False,
            "fuzzy_max_expansions": FUZZY_MAX_EXPANSIONS,
            "fuzzy_prefix_length": FUZZY_PREFIX_LENGTH,
            "max_determinized_states": MAX_DETERMINIZED_STATES,
        }
    }


def build_simple_query(
    *, query: str, fields: list[str], operator: Operator = "and", tolerant: TolerantText | None = None
) -> dict[str, Any]:
    """`simple_query_string` for `mode=simple`: never refuses its input, whatever the quotes and parentheses.
    By default every word must match, as in a search box (`|` between words for either): with OR, `json -pickle`
    would mean "json, or anything without pickle". With `tolerant` (query/tolerance.py), the tolerant pass: its
    typo'd and completed words too, ranked as written first, then completed, then typo'd."""
    exact = _simple_query_string(query, fields, operator, SIMPLE_QUERY_FLAGS)
    if tolerant is None:
        return exact
    relaxed = _simple_query_string(tolerant.text, fields, operator, TOLERANT_QUERY_FLAGS)
    relaxed["simple_query_string"] |= {
        "fuzzy_max_expansions": FUZZY_MAX_EXPANSIONS,
        "fuzzy_prefix_length": FUZZY_PREFIX_LENGTH,
        "fuzzy_transpositions": True,  # `pyhton` is one edit from `python`, not two
    }
    exact["simple_query_string"]["boost"] = EXACT_BOOST
    ranking = [exact]
    if tolerant.prefixed:
        completed = _simple_query_string(tolerant.completed_text, fields, operator, TOLERANT_QUERY_FLAGS)
        completed["simple_query_string"]["boost"] = PREFIX_BOOST
        ranking.append(completed)
    # What matches as written matches the tolerant text too (`word~N` and `word*` both hold `word`); the `should`
    # clauses only rank.
    return {"bool": {"must": relaxed, "should": ranking}}


def _simple_query_string(query: str, fields: list[str], operator: Operator, flags: str) -> dict[str, Any]:
    return {
        "simple_query_string": {
            "query": query,
            "fields": fields,
            "default_operator": operator.upper(),
            "lenient": True,
            "flags": flags,
        }
    }


def tolerant_highlight_query(tolerant: TolerantText, fields: list[str], operator: Operator) -> dict[str, Any]:
    """What a tolerant pass highlights: its query with the last word completed, without the typos (highlighting a
    fuzzy term cost more than the search: see build_highlight)."""
    return _simple_query_string(tolerant.completed_text, fields, operator, TOLERANT_QUERY_FLAGS)


def build_highlight(
    *,
    fields: list[str],
    max_analyzed_chars: int,
    highlight_text: str | None,
    highlight_query: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Snippets with the matches marked; HTML-escaped so a client can insert them as they are.

    Highlighting re-analyses each hit's text; for a wildcard, fuzzy, regex or range clause it rebuilds the
    clause's automaton for every hit and field and matches every expanded term: measured straight on
    Elasticsearch (make bench, 200,000 documents), a fuzzy query with 100 hits took 2,660 ms highlighted and
    22 ms not, a wildcard one 1,794 ms and 39 ms, and the search `timeout` does not cover it (highlighting runs
    after the query phase). So a term-expanding query is highlighted with its plain terms only
    (`highlight_text`, see policy.CheckedQuery; `highlight_query` for the tolerant pass of `mode=simple`).
    `max_analyzed_offset` caps how much of a field is read (past it
    the field is simply not highlighted further, no error)."""
    highlight: dict[str, Any] = {
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "fragment_size": HIGHLIGHT_FRAGMENT_SIZE,
        "number_of_fragments": HIGHLIGHT_FRAGMENTS,
        "max_analyzed_offset": max_analyzed_chars,
        "fields": {strip_boost(field): {} for field in fields},
    }
    if highlight_query is not None:
        highlight["highlight_query"] = highlight_query
    elif highlight_text is not None:
        highlight["highlight_query"] = {
            "query_string": {"query": highlight_text, "fields": fields, "default_operator": "OR", "lenient": True}
        }
    return highlight


def build_search_body(
    *,
    query: str,
    page: int = 1,
    size: int,
    fields: list[str],
    source_fields: list[str] | None = None,
    timeout_seconds: float | None = None,
    highlight_max_chars: int = 10_000,
    highlight_text: str | None = None,
    mode: Mode = "query_string",
    filters: Sequence[Filter] = (),
    facets: Sequence[str] = (),
    facet_size: int = 10,
    sort: Sequence[SortKey] | None = None,
    track_total_hits: int | None = None,
    offset: int | None = None,
    search_after: list[Any] | None = None,
    tiebreaker: str | None = None,
    rank_field: str = "",
    stats: Sequence[str] = (),
    selected: Mapping[str, Sequence[str]] | None = None,
    sort_casts: Mapping[str, str] | None = None,
    operator: Operator | None = None,
    tolerant: TolerantText | None = None,
    tenant_filters: Sequence[Filter] = (),
) -> dict[str, Any]:
    """The `_search` body for one page of results; `page` counts from 1, or `offset` hits are skipped, or the
    page starts after the hit whose sort values are `search_after`. `source_fields` limits what each hit returns
    of its document (None or empty: all of it). `timeout_seconds` makes Elasticsearch stop collecting after that
    long and answer with what it has, flagged `timed_out`. `highlight_text`: None highlights with the query, ""
    not at all, any other text with that query instead. Filters on a faceted field go to `post_filter` (see
    query.facets); the others to the query's `bool.filter`, where they do not score. `rank_field` mixes that
    numeric field into the text score (query.ranking); "" leaves relevance to the text alone. An empty `query`
    matches every document (browsing; the caller sorts it). `operator` joins words not joined by one (None: each
    mode's own, OR for `query_string`, AND for `simple`); `tolerant` makes a `simple` search the tolerant pass
    (build_simple_query). `stats` asks for min, max, avg
    and count of those fields, post-filtered like facets; `selected` are the values ticked per faceted field
    (query.facets). `size` 0 asks for the counts only. `tenant_filters` (a tenant token's, tenants/) always go to
    the query, each field's apart from the caller's own: no parameter widens them, and no facet, stat or total counts
    a document outside them."""
    if not query:
        text_query: dict[str, Any] = {"match_all": {}}  # ranked by sorting on the rank field (endpoints/search.py)
    elif mode == "simple":
        simple = build_simple_query(query=query, fields=fields, operator=operator or "and", tolerant=tolerant)
        text_query = rank_query(simple, rank_field)
    else:
        text_query = rank_query(build_query(query=query, fields=fields, operator=operator or "or"), rank_field)
    clauses = filter_clauses(filters)
    # A filter on a field whose counts or stats are shown narrows the hits but not those counts (query.facets).
    post_filtered = set(facets) | set(stats)
    query_filters = [clause for field, clause in clauses.items() if field not in post_filtered]
    query_filters += filter_clauses(tenant_filters).values()
    post_filters = {field: clause for field, clause in clauses.items() if field in post_filtered}
    body: dict[str, Any] = {
        "query": {"bool": {"must": text_query, "filter": query_filters}} if query_filters else text_query,
        "size": size,
    }
    if search_after is not None:
        body["search_after"] = search_after
    else:
        body["from"] = (page - 1) * size if offset is None else offset
    keys = list(sort) if sort is not None else parse_sort(DEFAULT_SORT, [])
    if tiebreaker is not None or keys != parse_sort(DEFAULT_SORT, []):
        body["sort"] = sort_clauses(keys, tiebreaker=tiebreaker, casts=sort_casts)
    if post_filters:
        body["post_filter"] = {"bool": {"filter": list(post_filters.values())}}
    if facets or stats:
        body["aggs"] = facet_aggregations(facets, post_filters, facet_size, selected) | stats_aggregations(
            stats, post_filters
        )
    if track_total_hits is not None:
        body["track_total_hits"] = track_total_hits
    if highlight_text != "" and query and size > 0:
        relaxed = None if tolerant is None else tolerant_highlight_query(tolerant, fields, operator or "and")
        body["highlight"] = build_highlight(
            fields=fields,
            max_analyzed_chars=highlight_max_chars,
            highlight_text=highlight_text,
            highlight_query=relaxed,
        )
    if timeout_seconds is not None:
        body["timeout"] = f"{round(timeout_seconds * 1000)}ms"
    if source_fields:
        body["_source"] = source_fields
    return body
