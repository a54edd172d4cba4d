"""Algolia's answers from Elasticsearch's: a search result (hits, counts, pages, facets, facets_stats) and a facet
value search's `facetHits`. Pure; the answer is checked as /search's is (query/response.py), so a malformed one is a
502, never a 500."""

import math
import re
from collections.abc import Mapping
from typing import Any

from search_service.faults import ElasticsearchAnswerMalformed
from search_service.instantsearch.body import FACET_HITS, Plan
from search_service.instantsearch.highlight import fragments_for, highlighted, query_words, source_value
from search_service.mapping.fields import narrowest_decimal
from search_service.query.body import MAX_RESULT_WINDOW
from search_service.query.response import search_response
from search_service.query.stats import STATS_PREFIX

STATS_KEYS = ("min", "max", "avg", "sum")


def search_result(answer: Any, plan: Plan, *, types: Mapping[str, str]) -> dict[str, Any]:
    """One entry of `results` for a search request."""
    params = plan.params
    shaped = search_response(
        answer,
        query=params.query,
        page=params.page + 1,
        size=params.hits_per_page,
        facets=plan.count_facets,
        types=types,
    )
    words = query_words(plan.checked.text)
    hits = [_hit(hit, plan, words) for hit in shaped["hits"]]
    total = shaped["total"]["value"]
    per_page = params.hits_per_page
    pages = 0 if per_page == 0 else min(math.ceil(total / per_page), MAX_RESULT_WINDOW // per_page)
    exhaustive = shaped["total"]["relation"] == "eq" and not shaped["timed_out"]
    result: dict[str, Any] = {
        "hits": hits,
        "nbHits": total,
        "page": params.page,
        "nbPages": pages,
        "hitsPerPage": per_page,
        "processingTimeMS": shaped["took_ms"],
        "query": params.query,
        "params": plan.params_text,
        "index": plan.index_name,
        "exhaustiveNbHits": exhaustive,
        "exhaustiveFacetsCount": True,
        "exhaustive": {"nbHits": exhaustive, "facetsCount": True},
    }
    if plan.count_facets or plan.stats_facets:
        result["facets"] = {
            name: {str(_value_text(bucket["value"])): bucket["count"] for bucket in buckets}
            for name, buckets in shaped["facets"].items()
        }
        result["facets_stats"] = _facet_stats(answer.get("aggregations"), plan.stats_facets, types)
        # InstantSearch's helper reads a field's facets_stats only for a field that `facets` has (a range slider's
        # bounds): a numeric field with stats but no counts is there, without values.
        for name in result["facets_stats"]:
            result["facets"].setdefault(name, {})
    return result


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)


def _hit(hit: Mapping[str, Any], plan: Plan, words: list[str]) -> dict[str, Any]:
    source = hit["source"]
    params = plan.params
    pre, post = params.highlight_pre_tag, params.highlight_post_tag
    shown = dict(source) if plan.retrieve is None or plan.retrieve[:1] == ["*"] else {}
    for name in plan.retrieve or ():
        if name != "*" and not name.startswith("-") and (value := source_value(source, name)) is not None:
            shown[name] = value
    shown["objectID"] = hit["id"]
    marks = hit["highlight"]
    shown["_highlightResult"] = {
        name: highlighted(value, fragments_for(marks, name), words, pre, post)
        for name in plan.highlight
        if (value := source_value(source, name)) is not None
    }
    if plan.snippets:
        shown["_snippetResult"] = {
            name: highlighted(
                value,
                fragments_for(marks, name),
                words,
                pre,
                post,
                snippet_words=count,
                ellipsis=params.snippet_ellipsis_text,
            )
            for name, count in plan.snippets.items()
            if (value := source_value(source, name)) is not None
        }
    return shown


def _facet_stats(aggregations: Any, fields: list[str], types: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """min, max, avg and sum of each numeric facet over the hits; a field without values is left out (InstantSearch's
    range widgets then show no bounds, as with Algolia)."""
    stats: dict[str, dict[str, float]] = {}
    for name in fields:
        found = aggregations.get(STATS_PREFIX + name) if isinstance(aggregations, dict) else None
        values = found.get("values") if isinstance(found, dict) else None
        if not isinstance(values, dict) or not isinstance(values.get("count"), int):
            raise ElasticsearchAnswerMalformed(f"the search answer has no stats for {name!r}")
        if values["count"] == 0:
            continue
        numbers: dict[str, float] = {}
        for key in STATS_KEYS:
            number = values.get(key)
            if not isinstance(number, (int, float)) or isinstance(number, bool):
                raise ElasticsearchAnswerMalformed(
                    f"the search answer has a stats {key} for {name!r} that is not a number"
                )
            numbers[key] = number
        kind = types.get(name, "")
        stats[name] = numbers | {key: narrowest_decimal(float(numbers[key]), kind) for key in ("min", "max")}
    return stats


def facet_hits(answer: Any, plan: Plan) -> dict[str, Any]:
    """The answer to a facet value search: `facetHits` with each value marked where its word starts."""
    if not isinstance(answer, dict) or not isinstance(answer.get("took"), int):
        raise ElasticsearchAnswerMalformed("the facet search answer has no took")
    aggregation = (
        answer.get("aggregations", {}).get(FACET_HITS) if isinstance(answer.get("aggregations"), dict) else None
    )
    buckets = aggregation.get("buckets") if isinstance(aggregation, dict) else None
    if not isinstance(buckets, list):
        raise ElasticsearchAnswerMalformed("the facet search answer has no buckets")
    params = plan.params
    needle = params.facet_query.strip()
    hits = []
    for bucket in buckets:
        value = bucket.get("key_as_string", bucket.get("key")) if isinstance(bucket, dict) else None
        count = bucket.get("doc_count") if isinstance(bucket, dict) else None
        if not isinstance(value, (str, int, float)) or not isinstance(count, int):
            raise ElasticsearchAnswerMalformed("the facet search answer has a malformed bucket")
        text = _value_text(value)
        hits.append(
            {
                "value": text,
                "highlighted": mark_word_start(text, needle, params.highlight_pre_tag, params.highlight_post_tag),
                "count": count,
            }
        )
    return {"facetHits": hits, "exhaustiveFacetsCount": True, "processingTimeMS": answer["took"]}


def mark_word_start(value: str, needle: str, pre: str, post: str) -> str:
    """`value` with the first word that starts with `needle` (any case) marked where it matches."""
    if not needle:
        return value
    found = re.search(r"(?<![^\W_])" + re.escape(needle), value, re.IGNORECASE)
    if found is None:
        return value
    return value[: found.start()] + pre + found.group() + post + value[found.end() :]
