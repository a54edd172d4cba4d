"""An index's fields and their types, read from Elasticsearch's `GET <index>/_mapping` answer. Pure.

The answer has one entry per concrete index (an alias may stand for several); their fields are merged, and a field
mapped differently in two of them is marked as a conflict, which no role accepts. Objects are walked into their
dotted leaves (`meta.year`); multi-fields (`title.keyword`) and runtime fields are fields too, but they are not in a
hit's `_source`, which matters for SEARCH_SOURCE_FIELDS.
"""

import fnmatch
import math
import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

TEXT_TYPES = frozenset({"text", "match_only_text", "search_as_you_type"})
KEYWORD_TYPES = frozenset({"keyword", "constant_keyword", "wildcard"})
# The integer types with the values they hold, so that a filter value out of range is the caller's 422, not
# Elasticsearch's 400.
INTEGER_RANGES: Mapping[str, tuple[int, int]] = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
    "unsigned_long": (0, 2**64 - 1),
}
FLOAT_TYPES = frozenset({"double", "float", "half_float", "scaled_float"})
NUMERIC_TYPES = frozenset(INTEGER_RANGES) | FLOAT_TYPES
DATE_TYPES = frozenset({"date", "date_nanos"})
BOOLEAN_TYPE = "boolean"
IP_TYPE = "ip"
# Types with doc values by default: they can be aggregated (facets, stats) and sorted on.
_DOC_VALUE_TYPES = NUMERIC_TYPES | DATE_TYPES | {BOOLEAN_TYPE, IP_TYPE, "keyword", "constant_keyword"}
OBJECT_TYPES = frozenset({"object", "nested", "flattened"})
CONFLICT = "conflict"

# What a field can be used for, by setting; the words the messages and `inspect_index` use.
SEARCH, FILTER, FACET, SORT, RANK, SUGGEST, STATS = "search", "filter", "facet", "sort", "rank", "suggest", "stats"


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: str
    searchable: bool = True  # `index: false` turns it off
    aggregatable: bool = False  # doc values: facets, stats, sort
    in_source: bool = True  # False for multi-fields and runtime fields: never in a hit's `_source`
    in_nested: bool = False  # under a `nested` object: a plain query does not reach it
    date_format: str | None = None  # a date field's `format`, when not Elasticsearch's default
    types_seen: tuple[str, ...] = ()  # for a conflict: the types the indices give it
    alias_of: str | None = None  # a field alias's target, until it is resolved
    runtime: bool = False  # computed per document at search time: a script runs for every hit it touches

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def is_date(self) -> bool:
        return self.type in DATE_TYPES

    def roles(self) -> list[str]:
        """The settings this field may appear in (SEARCH for text; keyword is allowed there with a warning)."""
        if self.in_nested or self.type in OBJECT_TYPES or self.type == CONFLICT:
            return []
        found = []
        if self.searchable and self.type in TEXT_TYPES:
            found.append(SEARCH)
        exact = self.type in KEYWORD_TYPES | NUMERIC_TYPES | DATE_TYPES | {BOOLEAN_TYPE, IP_TYPE}
        if self.searchable and exact:
            found.append(FILTER)
        if self.aggregatable and self.type != "wildcard" and exact:
            found += [FACET, SORT]
        if self.aggregatable and (self.is_numeric or self.is_date):
            found.append(STATS)
        if self.aggregatable and self.is_numeric:
            found.append(RANK)
        if self.searchable and self.type in TEXT_TYPES | {"keyword", "constant_keyword"}:
            found.append(SUGGEST)
        return found


@dataclass(frozen=True)
class IndexFields:
    """The fields of the index (or of the indices behind the alias) the service searches."""

    name: str  # ELASTICSEARCH_INDEX as configured: an index or an alias
    indices: tuple[str, ...]  # the concrete indices behind it, sorted: a change of these is a new generation
    fields: Mapping[str, FieldInfo] = field(default_factory=dict)

    def get(self, name: str) -> FieldInfo | None:
        return self.fields.get(name)

    def matching(self, pattern: str) -> list[str]:
        """Field names a `meta.*` pattern (or a plain name) stands for, as Elasticsearch expands them."""
        if "*" not in pattern:
            return [pattern] if pattern in self.fields else []
        return [name for name in self.fields if fnmatch.fnmatchcase(name, pattern)]

    def with_role(self, role: str) -> list[str]:
        return [name for name, info in self.fields.items() if role in info.roles()]

    def any_runtime(self, names: Iterable[str]) -> bool:
        """Whether any of these fields is a runtime field (a script per document: priced as expensive)."""
        return any((info := self.fields.get(name)) is not None and info.runtime for name in names)

    @cached_property  # asked on every search: worked out once per mapping read, not per request
    def sort_casts(self) -> dict[str, str]:
        """Fields to sort as another numeric type: Elasticsearch 8.19 fails a sort on a `half_float` field over a
        match_all with a 500 (`unsupported_operation_exception`, its sort optimisation), and sorts it fine as
        `double` (found by the fuzz run on tests/products.py's `rating`)."""
        return {name: "double" for name, info in self.fields.items() if info.type == "half_float"}


# struct's formats of the floating types narrower than a double (scaled_float is a long scaled: exact enough).
_NARROW_FORMATS = {"float": "<f", "half_float": "<e"}


def narrowest_decimal(value: float, field_type: str) -> float:
    """`value` as the shortest decimal that is the same number in `field_type`: Elasticsearch widens a float's
    5.99 to the double 5.989999771118164 in stats and facet keys, which no one typed and no slider should show."""
    layout = _NARROW_FORMATS.get(field_type)
    if layout is None or not math.isfinite(value):
        return value
    try:
        stored = struct.pack(layout, value)
    except OverflowError:
        return value
    for digits in range(1, 18):
        candidate = float(f"{value:.{digits}g}")
        try:
            if struct.pack(layout, candidate) == stored:
                return candidate
        except OverflowError:  # rounded up past the type's largest value (65504 → 7e4 for a half_float)
            continue
    return value


def index_fields_from_mapping(name: str, answer: Mapping[str, Any]) -> IndexFields:
    """IndexFields from a `GET <name>/_mapping` answer ({concrete index: {"mappings": {...}}}). ValueError if it is
    not one."""
    merged: dict[str, FieldInfo] = {}
    for mapping in answer.values():
        mappings = mapping.get("mappings") if isinstance(mapping, dict) else None
        if not isinstance(mappings, dict):
            raise ValueError("the mapping answer has an index without `mappings`")
        for info in _index_fields(mappings):
            seen = merged.get(info.name)
            merged[info.name] = info if seen is None else _merge(seen, info)
    return IndexFields(name=name, indices=tuple(sorted(answer)), fields=dict(sorted(merged.items())))


def _widest(first: str, second: str) -> str | None:
    """The type two indices' numeric types read as together: the wider integer (`integer` and `long`: a reindex
    that widened a field), `double` for two floating types; None when they are not of one family."""
    if first in INTEGER_RANGES and second in INTEGER_RANGES and "unsigned_long" not in (first, second):
        return max(first, second, key=lambda kind: INTEGER_RANGES[kind][1])
    if first in FLOAT_TYPES and second in FLOAT_TYPES:
        return "double"
    return None


def _merge(seen: FieldInfo, other: FieldInfo) -> FieldInfo:
    widest = None if seen.type == other.type else _widest(seen.type, other.type)
    if widest is not None:
        seen, other = replace(seen, type=widest), replace(other, type=widest)
    if seen.type == other.type and seen.type != CONFLICT:
        # The field is usable only as far as every index allows.
        return replace(
            seen,
            searchable=seen.searchable and other.searchable,
            aggregatable=seen.aggregatable and other.aggregatable,
            in_nested=seen.in_nested or other.in_nested,
            date_format=seen.date_format or other.date_format,
        )
    types = tuple(sorted({*(seen.types_seen or (seen.type,)), *(other.types_seen or (other.type,))}))
    return FieldInfo(name=seen.name, type=CONFLICT, searchable=False, types_seen=types)


def _index_fields(mappings: Mapping[str, Any]) -> Iterator[FieldInfo]:
    properties = mappings.get("properties", {})
    found = dict(_walk(properties if isinstance(properties, dict) else {}, prefix="", in_nested=False))
    runtime = mappings.get("runtime", {})
    for name, definition in (runtime if isinstance(runtime, dict) else {}).items():
        kind = definition.get("type", "keyword") if isinstance(definition, dict) else "keyword"
        found[name] = FieldInfo(name=name, type=kind, aggregatable=kind != "text", in_source=False, runtime=True)
    for info in found.values():
        yield _resolve_alias(info, found) if info.type == "alias" else info


def _walk(properties: Mapping[str, Any], *, prefix: str, in_nested: bool) -> Iterator[tuple[str, FieldInfo]]:
    for key, definition in properties.items():
        if not isinstance(definition, dict):
            continue
        name = prefix + key
        kind = str(definition.get("type", "object"))
        if isinstance(definition.get("properties"), dict):
            yield name, FieldInfo(name=name, type=kind, searchable=False, in_nested=in_nested)
            inner_nested = in_nested or kind == "nested"
            yield from _walk(definition["properties"], prefix=name + ".", in_nested=inner_nested)
            continue
        info = _leaf(name, kind, definition, in_nested=in_nested)
        yield name, replace(info, alias_of=str(definition.get("path", ""))) if kind == "alias" else info
        for sub, sub_definition in (definition.get("fields") or {}).items():
            if isinstance(sub_definition, dict):
                sub_kind = str(sub_definition.get("type", "object"))
                yield (
                    f"{name}.{sub}",
                    replace(_leaf(f"{name}.{sub}", sub_kind, sub_definition, in_nested=in_nested), in_source=False),
                )


def _leaf(name: str, kind: str, definition: Mapping[str, Any], *, in_nested: bool) -> FieldInfo:
    date_format = definition.get("format") if kind in DATE_TYPES else None
    return FieldInfo(
        name=name,
        type=kind,
        searchable=definition.get("index", True) is not False,
        aggregatable=kind in _DOC_VALUE_TYPES and definition.get("doc_values", True) is not False,
        in_nested=in_nested,
        date_format=str(date_format) if date_format else None,
    )


def _resolve_alias(alias: FieldInfo, found: Mapping[str, FieldInfo]) -> FieldInfo:
    """A field alias (`type: alias`, `path: target`) is its target, except that it is not in `_source`."""
    target = found.get(alias.alias_of or "")
    if target is None or target.type == "alias":
        return FieldInfo(name=alias.name, type=CONFLICT, searchable=False, types_seen=("alias",))
    return replace(target, name=alias.name, in_source=False)
