"""`facets=module,kind`: the top values of each field with their counts, for a sidebar. Pure: no I/O, no Django.

Post-filter facets: a filter on a faceted field narrows the hits (`post_filter`) but not that field's own counts,
only the other fields'. So a sidebar that has `kind:class` ticked still shows how many functions there are, and
the user can switch; the counts of every other facet follow the tick.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from search_service.faults import ElasticsearchAnswerMalformed
from search_service.mapping.fields import narrowest_decimal
from search_service.query.filters import Filter, ValueFilter, parse_field_names

FACET_PREFIX = "facet:"  # aggregation names, so that nothing else in the answer is read as a facet


def parse_facets(raw: Iterable[str], allowed: Sequence[str]) -> list[str]:
    return parse_field_names(raw, allowed, refusal="cannot facet on", feature="faceting", setting="SEARCH_FACET_FIELDS")


def selected_values(filters: Iterable[Filter], facets: Sequence[str]) -> dict[str, list[str]]:
    """The values ticked (`filter=field:value`) on each faceted field, in the order given."""
    selected: dict[str, list[str]] = {}
    for item in filters:
        if isinstance(item, ValueFilter) and item.field in facets:
            values = selected.setdefault(item.field, [])
            if item.value not in values:
                values.append(item.value)
    return selected


def facet_aggregations(
    fields: Sequence[str],
    post_filters: Mapping[str, dict[str, Any]],
    size: int,
    selected: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Per field, the terms aggregation under the post-filters of the *other* fields; and, for the values
    `selected` (ticked in `filter`) on that field, their own counts, so that a ticked value outside the top
    `size` still shows in its facet instead of vanishing from the sidebar it was ticked in."""
    aggregations: dict[str, Any] = {}
    for field in fields:
        others = [clause for other, clause in post_filters.items() if other != field]
        inner: dict[str, Any] = {"values": {"terms": {"field": field, "size": size}}}
        ticked = (selected or {}).get(field, ())
        if ticked:
            inner["selected"] = {
                "filters": {"filters": {str(n): {"term": {field: value}} for n, value in enumerate(ticked)}}
            }
        aggregations[FACET_PREFIX + field] = {
            "filter": {"bool": {"filter": others}} if others else {"match_all": {}},
            "aggs": inner,
        }
    return aggregations


def _same_value(bucket_value: str | int | float, ticked: str) -> bool:
    if isinstance(bucket_value, (int, float)):
        try:
            return float(ticked) == float(bucket_value)
        except ValueError:
            return False
    return bucket_value == ticked


def _ticked_value(ticked: str, like: list[dict[str, Any]]) -> str | int | float:
    """A ticked value written as its facet's other values are (numbers as numbers)."""
    if any(isinstance(bucket["value"], (int, float)) for bucket in like):
        try:
            number = float(ticked)
        except ValueError:
            return ticked
        # A whole number stays an int only where JSON and the client can carry it (orjson: 64 bits).
        whole = number.is_integer() and "." not in ticked and abs(number) < 2**63
        return int(number) if whole else number
    return ticked


def _add_ticked(buckets: list[dict[str, Any]], facet: dict[str, Any], ticked: Sequence[str]) -> list[dict[str, Any]]:
    if not ticked:
        return buckets
    found = facet.get("selected")
    counts = found.get("buckets") if isinstance(found, dict) else None
    if not isinstance(counts, dict):
        raise ElasticsearchAnswerMalformed("the search answer has no counts for the selected facet values")
    for n, value in enumerate(ticked):
        if any(_same_value(bucket["value"], value) for bucket in buckets):
            continue
        count = counts.get(str(n), {}).get("doc_count") if isinstance(counts.get(str(n)), dict) else None
        if not isinstance(count, int):
            raise ElasticsearchAnswerMalformed("the search answer has a malformed selected facet count")
        buckets.append({"value": _ticked_value(value, buckets), "count": count})
    return buckets


def _bucket(bucket: Any, field_type: str = "") -> dict[str, Any]:
    if not isinstance(bucket, dict) or not isinstance(bucket.get("doc_count"), int):
        raise ElasticsearchAnswerMalformed("the search answer has a malformed facet bucket")
    # Dates and booleans come as numbers with a readable `key_as_string`; keywords and numbers as they are.
    value = bucket.get("key_as_string", bucket.get("key"))
    if not isinstance(value, (str, int, float)):
        raise ElasticsearchAnswerMalformed("the search answer has a facet bucket without a key")
    if isinstance(value, float):
        value = narrowest_decimal(value, field_type)
    return {"value": value, "count": bucket["doc_count"]}


def facets_from_answer(
    aggregations: Any,
    fields: Sequence[str],
    selected: Mapping[str, Sequence[str]] | None = None,
    types: Mapping[str, str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Per field, its buckets (and the ticked values beyond them); `types` narrows float keys (narrowest_decimal)."""
    if not fields:
        return {}
    if not isinstance(aggregations, dict):
        raise ElasticsearchAnswerMalformed("the search answer has no aggregations for the facets asked")
    facets: dict[str, list[dict[str, Any]]] = {}
    for field in fields:
        facet = aggregations.get(FACET_PREFIX + field)
        buckets = facet.get("values", {}).get("buckets") if isinstance(facet, dict) else None
        if not isinstance(facet, dict) or not isinstance(buckets, list):
            raise ElasticsearchAnswerMalformed(f"the search answer has no buckets for facet {field!r}")
        kind = (types or {}).get(field, "")
        found = [_bucket(bucket, kind) for bucket in buckets]
        facets[field] = _add_ticked(found, facet, (selected or {}).get(field, ()))
    return facets
