"""`stats=price,released`: min, max, avg and count of numeric or date fields over the hits, for a range slider.
Pure: no I/O, no Django.

Post-filtered like facets (query.facets): a range filter on `price` narrows the hits but not price's own stats,
so the slider keeps the whole span to slide back to; every other field's filters apply.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from search_service.faults import ElasticsearchAnswerMalformed
from search_service.mapping.fields import STATS, IndexFields, narrowest_decimal

STATS_PREFIX = "stats:"  # aggregation names, apart from the facets'
# What a stats aggregation costs, counted as facet buckets for the admission's pricing: one pass over the field's
# doc values for the matching documents, with no buckets to build or sort, so cheaper than a facet's ten values.
# At 10 the search page's own request (4 facets of 10 values, 3 stats) crossed the expensive line of 50 buckets and
# typing in it was rate-limited as if it were an attack.
STATS_COST_IN_BUCKETS = 2


def parse_stats(raw: Iterable[str]) -> list[str]:
    """The field names asked for, without blanks or repeats; check_stats_types says which may be used."""
    return list(dict.fromkeys(name.strip() for name in raw if name.strip()))


def stats_fields(filter_fields: Sequence[str], index: IndexFields) -> list[str]:
    """The fields `stats` accepts: those of SEARCH_FILTER_FIELDS the mapping makes numeric or dates, with doc values."""
    return [name for name in filter_fields if (info := index.get(name)) is not None and STATS in info.roles()]


def check_stats_types(fields: Sequence[str], index: IndexFields, filter_fields: Sequence[str]) -> None:
    """ValueError naming the first field asked that `stats` does not accept, and the ones it does."""
    usable = stats_fields(filter_fields, index)
    allowed = (
        f"allowed: {', '.join(usable)}" if usable else "stats are off here: SEARCH_FILTER_FIELDS has no number or date"
    )
    for name in fields:
        info = index.get(name)
        if name not in filter_fields or info is None:
            raise ValueError(f"no stats on {name[:60]!r}; {allowed}")
        if not (info.is_numeric or info.is_date):
            raise ValueError(f"no stats on {name!r}: it is a {info.type} field, not a number or a date; {allowed}")
        if STATS not in info.roles():
            raise ValueError(f"no stats on {name!r}: the index keeps no doc values for it; {allowed}")


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


def stats_from_answer(
    aggregations: Any, fields: Sequence[str], types: Mapping[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """Per field, min/max/avg/count; `types` (field → mapped type) narrows floats back to what was indexed."""
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
        values = {key: _value(stats, key) for key in ("min", "max")}
        kind = (types or {}).get(field, "")
        values = {key: narrowest_decimal(v, kind) if isinstance(v, float) else v for key, v in values.items()}
        answer[field] = values | {"avg": _value(stats, "avg"), "count": stats["count"]}
    return answer
