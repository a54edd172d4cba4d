"""`facets=module,kind`: the top values of each field with their counts, for a sidebar. Pure: no I/O, no Django.

Post-filter facets: a filter on a faceted field narrows the hits (`post_filter`) but not that field's own counts,
only the other fields'. So a sidebar that has `kind:class` ticked still shows how many functions there are, and
the user can switch; the counts of every other facet follow the tick.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from search_service.faults import ElasticsearchAnswerMalformed
from search_service.query.filters import describe_allowed

FACET_PREFIX = "facet:"  # aggregation names, so that nothing else in the answer is read as a facet


def parse_facets(raw: Iterable[str], allowed: Sequence[str]) -> list[str]:
    fields: list[str] = []
    for item in raw:
        field = item.strip()
        if not field:
            continue
        if field not in allowed:
            raise ValueError(
                f"cannot facet on {field[:60]!r}; {describe_allowed('faceting', allowed, 'SEARCH_FACET_FIELDS')}"
            )
        if field not in fields:
            fields.append(field)
    return fields


def facet_aggregations(fields: Sequence[str], post_filters: Mapping[str, dict[str, Any]], size: int) -> dict[str, Any]:
    """Per field, the terms aggregation under the post-filters of the *other* fields."""
    aggregations: dict[str, Any] = {}
    for field in fields:
        others = [clause for other, clause in post_filters.items() if other != field]
        aggregations[FACET_PREFIX + field] = {
            "filter": {"bool": {"filter": others}} if others else {"match_all": {}},
            "aggs": {"values": {"terms": {"field": field, "size": size}}},
        }
    return aggregations


def _bucket(bucket: Any) -> dict[str, Any]:
    if not isinstance(bucket, dict) or not isinstance(bucket.get("doc_count"), int):
        raise ElasticsearchAnswerMalformed("the search answer has a malformed facet bucket")
    # Dates and booleans come as numbers with a readable `key_as_string`; keywords and numbers as they are.
    value = bucket.get("key_as_string", bucket.get("key"))
    if not isinstance(value, (str, int, float)):
        raise ElasticsearchAnswerMalformed("the search answer has a facet bucket without a key")
    return {"value": value, "count": bucket["doc_count"]}


def facets_from_answer(aggregations: Any, fields: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    if not fields:
        return {}
    if not isinstance(aggregations, dict):
        raise ElasticsearchAnswerMalformed("the search answer has no aggregations for the facets asked")
    facets: dict[str, list[dict[str, Any]]] = {}
    for field in fields:
        facet = aggregations.get(FACET_PREFIX + field)
        buckets = facet.get("values", {}).get("buckets") if isinstance(facet, dict) else None
        if not isinstance(buckets, list):
            raise ElasticsearchAnswerMalformed(f"the search answer has no buckets for facet {field!r}")
        facets[field] = [_bucket(bucket) for bucket in buckets]
    return facets
