"""The API's answer (schemas.SearchResponse) from Elasticsearch's `_search` answer. Pure.

Elasticsearch's answer is checked as it is read: a proxy, a version mismatch or a bug can hand us a 200
without `hits` or with a malformed hit, and that must become a 502 the caller can act on, never a 500 or
a body that breaks the documented schema.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from search_service.faults import ElasticsearchAnswerMalformed
from search_service.query.facets import facets_from_answer
from search_service.query.stats import stats_from_answer


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise ElasticsearchAnswerMalformed(f"the search answer has {what}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _hit(hit: Any) -> dict[str, Any]:
    _require(isinstance(hit, dict), "a hit that is not an object")
    _require(isinstance(hit.get("_id"), str) and isinstance(hit.get("_index"), str), "a hit without _id or _index")
    score = hit.get("_score")
    _require(score is None or _is_number(score), "a bad _score")
    source = hit.get("_source", {})
    _require(isinstance(source, dict), "a hit whose _source is not an object")
    highlight = hit.get("highlight", {})
    _require(
        isinstance(highlight, dict)
        and all(
            isinstance(snippets, list) and all(isinstance(snippet, str) for snippet in snippets)
            for snippets in highlight.values()
        ),
        "a hit with malformed highlights",
    )
    return {"id": hit["_id"], "index": hit["_index"], "score": score, "source": source, "highlight": highlight}


def _shards(result: dict[str, Any]) -> tuple[dict[str, int], list[str]]:
    """Shard counts, and the kinds of shard failure (not their full reasons: those name indices and nodes)."""
    shards = result.get("_shards", {})
    _require(isinstance(shards, dict), "malformed _shards")
    counts = {key: shards.get(key, 0) for key in ("total", "successful", "skipped", "failed")}
    _require(all(_is_count(value) for value in counts.values()), "malformed _shards counts")
    failures = shards.get("failures", [])
    _require(isinstance(failures, list), "malformed shard failures")
    kinds: list[str] = []
    for failure in failures:
        reason = failure.get("reason") if isinstance(failure, dict) else None
        kind = reason.get("type") if isinstance(reason, dict) else None
        kind = kind if isinstance(kind, str) else "unknown"
        if kind not in kinds:
            kinds.append(kind)
    return counts, kinds


def search_response(
    result: Any,
    *,
    query: str,
    page: int | None,
    size: int,
    facets: Sequence[str] = (),
    next_cursor: str | None = None,
    suggestions: Sequence[str] = (),
    stats: Sequence[str] = (),
    selected: Mapping[str, Sequence[str]] | None = None,
    types: Mapping[str, str] | None = None,
    tolerant: bool = False,
) -> dict[str, Any]:
    """Shape Elasticsearch's answer for the caller; ElasticsearchAnswerMalformed if it is not a search result."""
    _require(isinstance(result, dict), "no JSON object")
    hits = result.get("hits")
    _require(isinstance(hits, dict), "no hits")
    total = hits.get("total")
    _require(
        isinstance(total, dict) and _is_count(total.get("value")) and total.get("relation") in ("eq", "gte"),
        "no total",
    )
    _require(isinstance(hits.get("hits"), list), "no list of hits")
    _require(_is_count(result.get("took")), "no took")
    shards, shard_failures = _shards(result)
    timed_out = result.get("timed_out", False)
    _require(isinstance(timed_out, bool), "a timed_out that is not a boolean")
    max_score = hits.get("max_score")
    _require(max_score is None or _is_number(max_score), "a bad max_score")
    return {
        "query": query,
        "total": {"value": total["value"], "relation": total["relation"]},
        "max_score": max_score,
        "took_ms": result["took"],
        "timed_out": timed_out,
        "shards": shards,
        "shard_failures": shard_failures,
        "page": page,
        "size": size,
        "next": next_cursor,
        "hits": [_hit(hit) for hit in hits["hits"]],
        "facets": facets_from_answer(result.get("aggregations"), facets, selected, types),
        "stats": stats_from_answer(result.get("aggregations"), stats, types),
        "tolerant": tolerant,
        "suggestions": list(suggestions),
    }
