"""The field settings checked against the index's mapping. Pure: settings and fields in, lines for the operator out.

A setting that names a field the index lacks, or a field of the wrong type, used to answer 200 and do nothing (a
filter found 0 hits, a facet `[]`) or 400 on every search; now it stops the service at startup with one line naming
the variable, the field, its mapped type and what it must be.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from search_service.mapping.fields import (
    FACET,
    FILTER,
    KEYWORD_TYPES,
    OBJECT_TYPES,
    RANK,
    SEARCH,
    SORT,
    SUGGEST,
    TEXT_TYPES,
    FieldInfo,
    IndexFields,
)
from search_service.settings import ServiceSettings

INSPECT_COMMAND = "python manage.py inspect_index"

# What each role needs, in the words of the message.
NEEDS: dict[str, str] = {
    SEARCH: "a text field (keyword is accepted, but matches only the exact, case-sensitive value)",
    FILTER: "a keyword, numeric, date, boolean or ip field that is indexed",
    FACET: "a keyword, numeric, date, boolean or ip field with doc values",
    SORT: "a keyword, numeric, date, boolean or ip field with doc values",
    RANK: "a numeric field with doc values",
    SUGGEST: "a keyword or text field",
}

# The field settings, in the order the messages list them: variable, attribute, role (None: present is enough).
FIELD_SETTINGS: tuple[tuple[str, str, str | None], ...] = (
    ("SEARCH_FIELDS", "search_fields", SEARCH),
    ("SEARCH_QUERY_FIELDS", "search_query_fields", None),
    ("SEARCH_SOURCE_FIELDS", "search_source_fields", None),
    ("SEARCH_FILTER_FIELDS", "search_filter_fields", FILTER),
    ("SEARCH_FACET_FIELDS", "search_facet_fields", FACET),
    ("SEARCH_SORT_FIELDS", "search_sort_fields", SORT),
    ("SEARCH_RANK_FIELD", "search_rank_field", RANK),
    ("SEARCH_SUGGEST_FIELD", "search_suggest_field", SUGGEST),
)


@dataclass(frozen=True)
class MappingCheck:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Problem:
    variable: str
    name: str
    line: str
    missing: bool  # the index has no such field at all


def configured_names(config: ServiceSettings, attribute: str) -> list[str]:
    """The field names (or patterns) a setting holds, without boosts (`title^3`) or a rank's `-`."""
    value = getattr(config, attribute)
    names = value if isinstance(value, list) else [value] if value else []
    return [name.partition("^")[0].removeprefix("-") for name in names]


def check_mapping(config: ServiceSettings, fields: IndexFields) -> MappingCheck:
    """Every field setting against the mapping of `fields`; errors stop the service, warnings are logged."""
    problems: list[_Problem] = []
    warnings: list[str] = []
    for variable, attribute, role in FIELD_SETTINGS:
        for name in configured_names(config, attribute):
            problem, warning = _check_one(variable, name, role, fields, source=attribute == "search_source_fields")
            if problem is not None:
                problems.append(problem)
            if warning is not None:
                warnings.append(warning)
    return MappingCheck(errors=_summarise_demo_defaults(config, fields, problems), warnings=warnings)


def _check_one(
    variable: str, name: str, role: str | None, fields: IndexFields, *, source: bool
) -> tuple[_Problem | None, str | None]:
    if name == "*":
        return None, None
    matches = fields.matching(name)
    if not matches:
        line = f"{variable}: {name!r} is not a field of index {fields.name!r}{_close_names(name, fields)}"
        return _Problem(variable, name, line, missing=True), None
    if "*" in name:  # a pattern: what it matches is Elasticsearch's business; matching something is ours
        return None, None
    info = fields.fields[name]
    if source and not info.in_source:
        parent = name.rpartition(".")[0]
        line = f"{variable}: {name!r} is a sub-field or runtime field: it is never in a document's _source" + (
            f"; list {parent!r} instead" if parent in fields.fields else ""
        )
        return _Problem(variable, name, line, missing=False), None
    if info.type in OBJECT_TYPES and not source:  # an object, nested or not, is in `_source` whole
        inner = [other for other in fields.fields if other.startswith(name + ".")][:5]
        line = f"{variable}: {name!r} is mapped as {info.type}; name one of its fields" + (
            f" ({', '.join(inner)})" if inner else ""
        )
        return _Problem(variable, name, line, missing=False), None
    if role is None:
        return None, None
    if role == SEARCH and info.type in KEYWORD_TYPES and info.searchable:
        return None, (f"{variable}: {name!r} is mapped as {info.type}: it matches only the whole, case-sensitive value")
    if role not in info.roles():
        return _Problem(variable, name, _wrong_type_line(variable, info, role, fields), missing=False), None
    return None, None


def _wrong_type_line(variable: str, info: FieldInfo, role: str, fields: IndexFields) -> str:
    if info.in_nested:
        mapped = f"inside a nested object ({info.type})"
    elif info.types_seen:
        mapped = f"mapped differently by the indices behind it ({', '.join(info.types_seen)})"
    else:
        mapped = (
            "mapped as "
            + info.type
            + ("" if info.searchable else " with index: false")
            + (" without doc values" if not info.aggregatable and info.type not in TEXT_TYPES | OBJECT_TYPES else "")
        )
    line = f"{variable}: {info.name!r} is {mapped}; it must be {NEEDS[role]}"
    twins = [
        other for other in fields.fields if other.startswith(info.name + ".") and role in fields.fields[other].roles()
    ]
    if twins:
        line += f" (its sub-field {twins[0]!r} is one)"
    return line


def _close_names(name: str, fields: IndexFields) -> str:
    """`; did you mean 'price'?` for a typo in a setting."""
    from difflib import get_close_matches  # only on the error path

    close = get_close_matches(name, list(fields.fields), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def _summarise_demo_defaults(config: ServiceSettings, fields: IndexFields, problems: list[_Problem]) -> list[str]:
    """The demo's default field settings against an index without the demo's fields: one line pointing at
    `inspect_index`, rather than a line per demo field the operator never chose."""
    defaulted = {variable for variable, attribute, _ in FIELD_SETTINGS if attribute not in config.model_fields_set}
    demo = [problem for problem in problems if problem.variable in defaulted and problem.missing]
    lines = [problem.line for problem in problems if problem not in demo]
    if demo:
        variables = ", ".join(dict.fromkeys(problem.variable for problem in demo))
        lines.insert(
            0,
            f"ELASTICSEARCH_INDEX={fields.name}: {variables} still hold the demo's defaults, and this index lacks "
            f"their fields ({_listed([problem.name for problem in demo])}): run `{INSPECT_COMMAND}` for settings "
            "that fit it",
        )
    return lines


def _listed(names: Sequence[str], most: int = 6) -> str:
    unique = list(dict.fromkeys(names))
    return ", ".join(unique[:most]) + (f" and {len(unique) - most} more" if len(unique) > most else "")
