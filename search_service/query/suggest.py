"""Type-ahead completions: the `_search` body for a prefix, and the API's answer from Elasticsearch's. Pure.

The field may be a plain `keyword` or `text` field of an existing index (no completion suggester, no
`search_as_you_type` mapping), so the body asks in ways both understand, each clause a tier of its own:

- the whole value is the prefix (a case-insensitive `term`): first;
- the value starts with the prefix (a case-insensitive `prefix`; on a `text` field, one of its words does);
- the words of the prefix, the last one as a prefix (`match_bool_prefix`, analysed as the field is, so a
  `text` field completes `json.d` as `json` + `d*`; on a `keyword` field it is a case-sensitive prefix).

Each clause is wrapped in `constant_score`, so a hit's score is just the sum of the tiers it reached and ties
are broken by the rank field, not by BM25 noise; within a tie, shorter values first (done here, on a few more
candidates than asked for, since Elasticsearch cannot sort a `text` field by length). None of these queries
reads `*` or `?` as a wildcard: the prefix is always literal.
"""

from typing import Any

from search_service.faults import ElasticsearchAnswerMalformed

MAX_PREFIX_LENGTH = 100
DEFAULT_SIZE = 5
# Candidates fetched per suggestion asked for: repeated values (several documents, one value) and the
# shorter-first reordering need more hits than suggestions. Capped: every keystroke pays for them.
CANDIDATES_PER_SUGGESTION = 4
MAX_CANDIDATES = 100

EXACT_BOOST = 4.0
STARTS_WITH_BOOST = 2.0
WORDS_BOOST = 1.0


def _tier(boost: float, query: dict[str, Any]) -> dict[str, Any]:
    return {"constant_score": {"filter": query, "boost": boost}}


def build_rank_sort(rank_field: str, cast: str | None = None) -> dict[str, Any]:
    """`popularity` → highest first, `-rank` → lowest first. Documents without the field come last, and an
    index that does not map it at all sorts as if none had it (`unmapped_type`) instead of failing."""
    name = rank_field.removeprefix("-")
    order = "asc" if rank_field.startswith("-") else "desc"
    clause = {"order": order, "missing": "_last", "unmapped_type": "double"}
    if cast is not None:  # mapping.fields.IndexFields.sort_casts
        clause["numeric_type"] = cast
    return {name: clause}


def candidate_count(size: int) -> int:
    return min(size * CANDIDATES_PER_SUGGESTION, MAX_CANDIDATES)


def build_suggest_body(
    *,
    prefix: str,
    field: str,
    size: int,
    rank_field: str = "",
    timeout_seconds: float | None = None,
    rank_cast: str | None = None,
) -> dict[str, Any]:
    """The `_search` body for completions of `prefix` (already stripped and bounded) from `field`; `rank_field`
    (empty: none) orders completions within a tier."""
    sort: list[dict[str, Any]] = [{"_score": {"order": "desc"}}]
    if rank_field:
        sort.append(build_rank_sort(rank_field, rank_cast))
    body: dict[str, Any] = {
        "query": {
            "bool": {
                "should": [
                    _tier(EXACT_BOOST, {"term": {field: {"value": prefix, "case_insensitive": True}}}),
                    _tier(STARTS_WITH_BOOST, {"prefix": {field: {"value": prefix, "case_insensitive": True}}}),
                    _tier(WORDS_BOOST, {"match_bool_prefix": {field: {"query": prefix, "operator": "and"}}}),
                ],
                "minimum_should_match": 1,
            }
        },
        "size": candidate_count(size),
        "sort": sort,
        # Only the field's values are read, never the documents: `fields` reads a sub-field such as
        # `qualname.raw` too, which `_source` does not hold.
        "_source": False,
        "fields": [field],
        # A count is of no use to a completion list and stops Elasticsearch from skipping non-competitive hits.
        "track_total_hits": False,
    }
    if timeout_seconds is not None:
        body["timeout"] = f"{round(timeout_seconds * 1000)}ms"
    return body


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise ElasticsearchAnswerMalformed(f"the suggest answer has {what}")


def _sort_key(hit: dict[str, Any]) -> list[Any]:
    """What Elasticsearch ordered the hit by. Sorted by `_score` alone, it leaves out `sort` (the default order)."""
    if "sort" in hit:
        _require(isinstance(hit["sort"], list), "malformed sort values")
        sort: list[Any] = hit["sort"]
        return sort
    score = hit.get("_score")
    _require(isinstance(score, (int, float)) and not isinstance(score, bool), "a hit without sort values or score")
    return [score]


def _candidate_values(hit: Any, field: str, prefix: str) -> list[str]:
    """The values of one hit worth suggesting: those starting with the prefix if any does (a multi-valued field
    matched by one of its values), else all of them (a `text` field matched word by word)."""
    _require(isinstance(hit, dict), "a hit that is not an object")
    _require(isinstance(hit.get("_id"), str), "a hit without _id")
    fields = hit.get("fields", {})
    _require(isinstance(fields, dict), "a hit whose fields are not an object")
    values = fields.get(field, [])
    _require(isinstance(values, list) and all(isinstance(value, str) for value in values), "non-text values")
    starting = [value for value in values if value.casefold().startswith(prefix.casefold())]
    return starting or values


def suggest_response(result: Any, *, prefix: str, field: str, size: int) -> dict[str, Any]:
    """At most `size` distinct values, best first: Elasticsearch's order of tiers and rank, then values that
    start with the prefix, then shorter ones. Each names the first (best) document that holds it.
    ElasticsearchAnswerMalformed if `result` is not a search result."""
    _require(isinstance(result, dict), "no JSON object")
    hits = result.get("hits")
    _require(isinstance(hits, dict) and isinstance(hits.get("hits"), list), "no list of hits")
    took = result.get("took")
    _require(isinstance(took, int) and not isinstance(took, bool) and took >= 0, "no took")
    ranked: list[tuple[int, bool, int, int, str, str]] = []
    group, previous_sort = -1, None
    for position, hit in enumerate(hits["hits"]):
        values = _candidate_values(hit, field, prefix)
        # Hits with equal sort values (same tiers, same rank) are one group; only within it does length count.
        sort = _sort_key(hit)
        if sort != previous_sort:
            group, previous_sort = group + 1, sort
        for value in values:
            starts = value.casefold().startswith(prefix.casefold())
            ranked.append((group, not starts, len(value), position, value, hit["_id"]))
    suggestions: list[dict[str, str]] = []
    seen: set[str] = set()
    for *_, value, doc_id in sorted(ranked):
        if value not in seen and len(suggestions) < size:
            seen.add(value)
            suggestions.append({"text": value, "id": doc_id})
    return {"prefix": prefix, "took_ms": took, "suggestions": suggestions}
