"""Checked Algolia requests (`Plan`) and the `_msearch` bodies built from them. Pure: the endpoint reads the mapping
and the settings and hands them in.

A search is /search's `mode=simple` search (query/body.py) with Algolia's differences: pages count from 0, every
filter narrows the facet counts too (InstantSearch asks for a disjunctive facet's counts itself, in a request of
its own without that facet's filter), highlights are of whole values with the caller's tags, and numeric facets
also give `facets_stats`.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from search_service.instantsearch.errors import AlgoliaRequestError
from search_service.instantsearch.filters import Leaf
from search_service.instantsearch.params import AlgoliaParams
from search_service.query.body import (
    Operator,
    build_highlight,
    build_search_body,
    strip_boost,
    tolerant_highlight_query,
)
from search_service.query.policy import CheckedQuery
from search_service.query.sorting import SortKey, rank_sort
from search_service.query.tolerance import TolerantText

FACET_HITS = "facet_hits"  # the facet value search's aggregation
SNIPPET = re.compile(r"^(?P<name>[^:]+?)(?::(?P<words>\d{1,3}))?$")
DEFAULT_SNIPPET_WORDS = 10  # Algolia's


@dataclass(frozen=True)
class Plan:
    """One request of a `queries` call, checked against the policy: what Elasticsearch is asked and how the answer
    is shaped."""

    index_name: str
    params: AlgoliaParams
    params_text: str  # the `params` the answer echoes
    checked: CheckedQuery
    sort: list[SortKey] | None
    filter: dict[str, Any] | None
    count_facets: list[str]  # `facets` values counted
    stats_facets: list[str]  # `facets_stats` (numeric facets, and numbers of SEARCH_FILTER_FIELDS)
    retrieve: list[str] | None  # the fields a hit carries; None: every retrievable one
    highlight: list[str]  # attributes given a `_highlightResult`
    snippets: dict[str, int]  # attribute -> words, for `_snippetResult`
    facet: str | None = None  # a facet value search of this field
    tolerant: TolerantText | None = field(default=None, compare=False)
    analytics: bool = True  # InstantSearch says `analytics: false` on the requests for its facets' counts
    filter_leaves: tuple[Leaf, ...] = ()

    @property
    def source(self) -> list[str]:
        return list(dict.fromkeys([*(self.retrieve or []), *self.highlight, *self.snippets]))


def retrievable(name: str, source_fields: Sequence[str]) -> bool:
    """Whether a hit may carry the field `name`: SEARCH_SOURCE_FIELDS allows it (empty: every field)."""
    return not source_fields or any(fnmatchcase(name, pattern) for pattern in source_fields)


def check_attributes(names: Sequence[str] | None, source_fields: Sequence[str], parameter: str) -> list[str] | None:
    """`attributesToRetrieve` / `attributesToHighlight`: None or `*` for every retrievable field; else each name a
    field SEARCH_SOURCE_FIELDS allows (`-name` after `*` leaves it out), AlgoliaRequestError otherwise."""
    if names is None or list(names) == ["*"]:
        return None
    chosen: list[str] = []
    for name in names:
        if name == "*" or name.startswith("-"):
            continue  # `*` with exclusions: every field but those, below
        if "*" in name or not retrievable(name, source_fields):
            allowed = ", ".join(source_fields)
            raise AlgoliaRequestError(f"{parameter}: {name[:60]!r} is not a field a hit may carry; allowed: {allowed}")
        chosen.append(name)
    if "*" in names:
        excluded = {name[1:] for name in names if name.startswith("-")}
        return ["*", *(f"-{name}" for name in excluded)] if not chosen else [n for n in chosen if n not in excluded]
    return list(dict.fromkeys(chosen))


def read_snippets(raw: Sequence[str], source_fields: Sequence[str]) -> dict[str, int]:
    snippets: dict[str, int] = {}
    for item in raw:
        found = SNIPPET.match(item.strip())
        if not found:
            raise AlgoliaRequestError(f"attributesToSnippet: {item[:60]!r} is not attribute or attribute:words")
        names = check_attributes([found["name"]], source_fields, "attributesToSnippet") or []
        for name in names:
            snippets[name] = max(1, int(found["words"] or DEFAULT_SNIPPET_WORDS))
    return snippets


def _highlight_fields(search_fields: Sequence[str], attributes: Sequence[str]) -> list[str]:
    """The searched fields whose highlights give these attributes' (the field itself or a sub-field of it)."""
    chosen: list[str] = []
    for configured in search_fields:
        name = strip_boost(configured)
        if any(name == attr or name.startswith(attr + ".") or fnmatchcase(attr, name) for attr in attributes):
            chosen.append(name)
    return chosen


def search_body(
    plan: Plan,
    *,
    fields: list[str],
    source_fields: Sequence[str],
    timeout_seconds: float,
    highlight_max_chars: int,
    track_total_hits: int,
    rank_field: str,
    sort_casts: Mapping[str, str],
    operator: Operator | None,
    tolerant: TolerantText | None = None,
) -> dict[str, Any]:
    """The `_search` body of a search request (`tolerant`: its tolerant pass)."""
    params = plan.params
    if plan.facet is not None:
        return facet_search_body(plan, fields=fields, timeout_seconds=timeout_seconds, operator=operator)
    sort = plan.sort
    if not plan.checked.text and not sort and rank_field:
        sort = rank_sort(rank_field)  # browsing, ordered as on /search
    body = build_search_body(
        query=plan.checked.text,
        mode="simple",
        page=params.page + 1,
        size=params.hits_per_page,
        fields=fields,
        timeout_seconds=timeout_seconds,
        highlight_text="",  # ours, below: whole values, the caller's tags
        facets=plan.count_facets,
        facet_size=params.max_values_per_facet,
        stats=plan.stats_facets,
        sort=sort,
        sort_casts=sort_casts,
        track_total_hits=track_total_hits,
        rank_field=rank_field if not sort else "",
        operator=operator,
        tolerant=tolerant,
    )
    _add_filter(body, plan.filter)
    body["_source"] = _source(plan, source_fields)
    attributes = [*plan.highlight, *plan.snippets]
    highlight_fields = _highlight_fields(fields, attributes)
    if plan.checked.text and params.hits_per_page > 0 and highlight_fields:
        relaxed = None if tolerant is None else tolerant_highlight_query(tolerant, fields, operator or "and")
        highlight = build_highlight(
            fields=highlight_fields,
            max_analyzed_chars=highlight_max_chars,
            highlight_text=plan.checked.highlight_text,
            highlight_query=relaxed,
        )
        highlight.pop("fragment_size")
        highlight |= {
            "encoder": "default",  # as Algolia: InstantSearch escapes the values itself (highlight.py)
            "pre_tags": [params.highlight_pre_tag],
            "post_tags": [params.highlight_post_tag],
            "number_of_fragments": 0,  # the whole value, as `_highlightResult` gives it
        }
        body["highlight"] = highlight
    return body


def _add_filter(body: dict[str, Any], clause: dict[str, Any] | None) -> None:
    if clause is not None:
        body["query"] = {"bool": {"must": body["query"], "filter": [clause]}}


def _source(plan: Plan, source_fields: Sequence[str]) -> Any:
    if plan.retrieve is not None and plan.retrieve[:1] == ["*"]:
        includes = list(source_fields) or ["*"]
        return {"includes": includes, "excludes": [name[1:] for name in plan.retrieve[1:]]}
    if plan.retrieve is None:
        return list(source_fields) or True
    return plan.source or False


def facet_search_body(
    plan: Plan, *, fields: list[str], timeout_seconds: float, operator: Operator | None
) -> dict[str, Any]:
    """A facet value search: the values of `plan.facet` among the hits of the request's query and filters, those
    with a word starting with `facetQuery` (any case) first by count."""
    assert plan.facet is not None
    body = build_search_body(
        query=plan.checked.text,
        mode="simple",
        size=0,
        fields=fields,
        timeout_seconds=timeout_seconds,
        highlight_text="",
        operator=operator,
    )
    _add_filter(body, plan.filter)
    terms: dict[str, Any] = {"field": plan.facet, "size": plan.params.max_facet_hits}
    if plan.params.facet_query.strip():
        terms["include"] = word_prefix_pattern(plan.params.facet_query.strip())
    body["aggs"] = {FACET_HITS: {"terms": terms}}
    body["track_total_hits"] = False
    return body


def word_prefix_pattern(text: str) -> str:
    """A Lucene regular expression matching values with a word that starts with `text`, in any case: `ac` gives
    `(.*[^a-zA-Z0-9])?[aA][cC].*`. Every other character is escaped, so none is an operator."""
    letters = []
    for char in text:
        lower, upper = char.lower(), char.upper()
        if lower != upper and len(lower) == 1 and len(upper) == 1:
            letters.append(f"[{lower}{upper}]")
        elif char.isalnum():
            letters.append(char)
        else:
            letters.append("\\" + char)
    return "(.*[^a-zA-Z0-9])?" + "".join(letters) + ".*"
