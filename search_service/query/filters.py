"""`filter=field:value` and `filter=field:low..high`: parsed, checked against SEARCH_FILTER_FIELDS, and built into
`bool.filter` clauses. Pure: no I/O, no Django.

Values of one field OR together, different fields AND, as a sidebar of checkboxes expects. Filters never score.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_FILTER_VALUE_LENGTH = 256
RANGE_SEPARATOR = ".."

# The ends of a range: a number, or an ISO 8601 date or date-time (what Elasticsearch's default date format reads).
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$")


@dataclass(frozen=True)
class ValueFilter:
    field: str
    value: str


@dataclass(frozen=True)
class RangeFilter:
    field: str
    low: str | None
    high: str | None
    date_format: str | None = None  # a date field's: the format the ends are written in (query.filter_values)


Filter = ValueFilter | RangeFilter


def is_range_bound(text: str) -> bool:
    return bool(_NUMBER.match(text) or _DATE.match(text))


def describe_allowed(kind: str, allowed: Sequence[str], setting: str) -> str:
    if not allowed:
        return f"{kind} is turned off ({setting} is empty)"
    return f"allowed: {', '.join(allowed)}"


def parse_field_names(
    raw: Iterable[str], allowed: Sequence[str], *, refusal: str, feature: str, setting: str
) -> list[str]:
    """Field names from comma-split parameters (`facets`, `stats`), each among `allowed` (ValueError saying
    `<refusal> 'x'; allowed: ...`, or that `feature` is off, otherwise), without blanks or repeats."""
    fields: list[str] = []
    for item in raw:
        field = item.strip()
        if not field:
            continue
        if field not in allowed:
            raise ValueError(f"{refusal} {field[:60]!r}; {describe_allowed(feature, allowed, setting)}")
        if field not in fields:
            fields.append(field)
    return fields


def parse_filter(raw: str, allowed: Sequence[str]) -> Filter:
    """One `filter` parameter; ValueError says what is wrong with it, naming the field and the allowed ones."""
    field, colon, value = raw.partition(":")
    field = field.strip()
    if not colon or not field:
        raise ValueError(f"{raw[:60]!r} is not field:value or field:low..high")
    if field not in allowed:
        raise ValueError(
            f"cannot filter on {field[:60]!r}; {describe_allowed('filtering', allowed, 'SEARCH_FILTER_FIELDS')}"
        )
    value = value.strip()
    if len(value) > MAX_FILTER_VALUE_LENGTH:
        raise ValueError(f"the value for {field!r} is longer than {MAX_FILTER_VALUE_LENGTH} characters")
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return ValueFilter(field, value[1:-1])  # quoted: exactly this value, even with `..` in it
    if RANGE_SEPARATOR in value:
        low, _, high = value.partition(RANGE_SEPARATOR)
        low, high = low.strip(), high.strip()
        if not low and not high:
            raise ValueError(f"the range for {field!r} needs at least one end, e.g. {field}:10.. or {field}:..20")
        if all(is_range_bound(end) for end in (low, high) if end):
            return RangeFilter(field, low or None, high or None)
        # Not numbers or dates: a value that happens to contain `..` (a version, a path), matched exactly.
    if not value:
        raise ValueError(f"the filter on {field!r} has no value")
    return ValueFilter(field, value)


def parse_filters(raw: Iterable[str], allowed: Sequence[str], max_filters: int) -> list[Filter]:
    filters = [parse_filter(item, allowed) for item in raw]
    if len(filters) > max_filters:
        raise ValueError(f"at most {max_filters} filters are accepted, got {len(filters)}")
    return filters


def _range_clause(item: RangeFilter) -> dict[str, Any]:
    bounds: dict[str, str] = {key: end for key, end in (("gte", item.low), ("lte", item.high)) if end is not None}
    if item.date_format is not None:
        bounds["format"] = item.date_format
    return {"range": {item.field: bounds}}


def filter_clauses(filters: Iterable[Filter]) -> dict[str, dict[str, Any]]:
    """One clause per field (its values and ranges OR'd); the caller ANDs them (query filter or post_filter)."""
    by_field: dict[str, list[Filter]] = {}
    for item in filters:
        by_field.setdefault(item.field, []).append(item)
    clauses: dict[str, dict[str, Any]] = {}
    for field, items in by_field.items():
        values = list(dict.fromkeys(item.value for item in items if isinstance(item, ValueFilter)))
        alternatives = [_range_clause(item) for item in items if isinstance(item, RangeFilter)]
        if values:
            alternatives.insert(0, {"terms": {field: values}})
        clauses[field] = (
            alternatives[0] if len(alternatives) == 1 else {"bool": {"should": alternatives, "minimum_should_match": 1}}
        )
    return clauses


def within_tenant(query: dict[str, Any], tenant_filters: Sequence[Filter]) -> dict[str, Any]:
    """`query` with a tenant token's filters ANDed to it (tenants/): in a bool filter, so they neither score nor
    can be widened by anything the caller sends, which goes inside `query`."""
    if not tenant_filters:
        return query
    return {"bool": {"must": query, "filter": list(filter_clauses(tenant_filters).values())}}
