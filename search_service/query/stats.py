"""`stats=price,released`: min, max, avg and count of numeric or date fields over the hits, for a range slider.
Pure: no I/O, no Django.

Post-filtered like facets (query.facets): a range filter on `price` narrows the hits but not price's own stats,
so the slider keeps the whole span to slide back to; every other field's filters apply.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from search_service.faults import ElasticsearchAnswerMalformed
from search_service.mapping.fields import IndexFields
from search_service.query.filters import parse_field_names

STATS_PREFIX = "stats:"  # aggregation names, apart from the facets'
# What a stats aggregation costs, counted as facet buckets for the admission's pricing (one pass over the field's
# doc values for the matching documents, like a small terms aggregation).
STATS_COST_IN_BUCKETS = 10


def parse_stats(raw: Iterable[str], allowed: Sequence[str]) -> list[str]:
    """The fields asked for, each among SEARCH_FILTER_FIELDS (ValueError otherwise), without repeats."""
    return parse_field_names(raw, allowed, refusal="no stats on", feature="stats", setting="SEARCH_FILTER_FIELDS")


def check_stats_types(fields: Sequence[str], index: IndexFields) -> None:
    """ValueError naming the first field that is not numeric or a date in the mapping."""
    for name in fields:
        info = index.get(name)
        if info is not None and not (info.is_numeric or info.is_date):
            raise ValueError(f"no stats on {name!r}: it is a {info.type} field; stats need a numeric or date field")


def stats_aggregations(fields: Sequence[str], post_filters: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """Per field, a `stats` aggregation under the post-filters of the *other* fields."""
    aggregations: dict[str, Any] = {}
    for field in fields:
        others = [clause for other, clause in post_filters.items() if other != field]
        aggregations[STATS_PREFIX + field] = {
            "filter": {"bool": {"filter": others}} if others else {"match_all": {}},
            "aggs": {"values": {"stats": {"field": field}}},
        }
    return aggregations


def _value(stats: Mapping[str, Any], key: str) -> float | str | None:
    # Dates come as epoch milliseconds with a readable `<key>_as_string`; that is what a client wants.
    text = stats.get(f"{key}_as_string")
    if isinstance(text, str) and stats.get(key) is not None:
        return text
    value = stats.get(key)
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    raise ElasticsearchAnswerMalformed(f"the search answer has a stats {key} that is not a number")


def stats_from_answer(aggregations: Any, fields: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not fields:
        return {}
    if not isinstance(aggregations, dict):
        raise ElasticsearchAnswerMalformed("the search answer has no aggregations for the stats asked")
    answer: dict[str, dict[str, Any]] = {}
    for field in fields:
        found = aggregations.get(STATS_PREFIX + field)
        stats = found.get("values") if isinstance(found, dict) else None
        if not isinstance(stats, dict) or not isinstance(stats.get("count"), int):
            raise ElasticsearchAnswerMalformed(f"the search answer has no stats for {field!r}")
        answer[field] = {key: _value(stats, key) for key in ("min", "max", "avg")} | {"count": stats["count"]}
    return answer
