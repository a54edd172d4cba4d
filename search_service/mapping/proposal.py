"""Settings that fit an index, proposed from its mapping for `manage.py inspect_index`. Pure.

A proposal, never applied by the service itself: SEARCH_SOURCE_FIELDS and the others are allow-lists, and only the
operator knows which fields callers may see (a `cost` or `internal_notes` field looks like any other here). So the
block lists every candidate and says which to review, and the service reads only what the operator then sets.
"""

from dataclasses import dataclass

from search_service.mapping.fields import (
    FACET,
    FILTER,
    RANK,
    SEARCH,
    SORT,
    SUGGEST,
    TEXT_TYPES,
    IndexFields,
)

# Names that usually hold what ranks documents, best first (a higher value is better for all of them).
_RANK_NAMES = ("popularity", "downloads", "rating", "score", "stars", "views", "sales", "likes")
# Names that usually hold the text people search for first: boosted.
_TITLE_NAMES = ("title", "name", "qualname", "headline", "label", "subject")
TITLE_BOOST = 3


@dataclass(frozen=True)
class Proposal:
    lines: list[str]  # `NAME=value` lines, ready to edit
    notes: list[str]  # what the operator should review


def field_table(fields: IndexFields) -> list[tuple[str, str, str]]:
    """(field, type, roles) for every field, in mapping order, for the command's table."""
    rows = []
    for name, info in fields.fields.items():
        roles = info.roles()
        shown = ", ".join(roles) if roles else ("-" if info.type not in ("object", "nested") else "(object)")
        if not info.in_source:
            shown += " [not in _source]"
        rows.append((name, info.type, shown))
    return rows


def propose_settings(fields: IndexFields) -> Proposal:
    text = fields.with_role(SEARCH)
    top_level_text = [name for name in text if fields.fields[name].in_source]
    searched = [_boosted(name) for name in top_level_text] or text or ["*"]
    exact = [name for name in fields.with_role(FILTER) if name not in text]
    filterable = [name for name in exact if fields.fields[name].in_source]
    facets = [
        name
        for name in fields.with_role(FACET)
        if fields.fields[name].in_source and not fields.fields[name].is_date and not fields.fields[name].is_numeric
    ]
    # Runtime fields run a script for every document they sort or count: usable, but the operator's choice.
    sortable = [
        name for name in fields.with_role(SORT) if _sorts_meaningfully(fields, name) and not fields.fields[name].runtime
    ]
    rank = next((name for word in _RANK_NAMES for name in fields.with_role(RANK) if word in name.lower()), "")
    suggest = _suggest_field(fields)
    source = [name for name, info in fields.fields.items() if info.in_source and "." not in name]
    lines = [
        f"ELASTICSEARCH_INDEX={fields.name}",
        f"SEARCH_FIELDS={','.join(searched)}",
        f"SEARCH_QUERY_FIELDS={','.join(dict.fromkeys([*top_level_text, *filterable]))}",
        f"SEARCH_SOURCE_FIELDS={','.join(source)}",
        f"SEARCH_FILTER_FIELDS={','.join(filterable)}",
        f"SEARCH_FACET_FIELDS={','.join(facets)}",
        f"SEARCH_SORT_FIELDS={','.join(sortable)}",
        f"SEARCH_RANK_FIELD={rank}",
        f"SEARCH_SUGGEST_FIELD={suggest}",
    ]
    notes = [
        "Every field in SEARCH_SOURCE_FIELDS, SEARCH_QUERY_FIELDS and SEARCH_FILTER_FIELDS is visible to callers: "
        "remove the ones they must not see (costs, internal notes, personal data).",
    ]
    if not rank:
        candidates = fields.with_role(RANK)
        if candidates:
            notes.append(
                f"SEARCH_RANK_FIELD is empty: set it to a numeric field where higher is better (one of "
                f"{', '.join(candidates[:8])}), or `-field` where lower is better."
            )
    if not text:
        notes.append("The index has no text field: searches will match whole keyword values only.")
    return Proposal(lines=lines, notes=notes)


def _boosted(name: str) -> str:
    return f"{name}^{TITLE_BOOST}" if name.split(".")[-1].lower() in _TITLE_NAMES else name


def _sorts_meaningfully(fields: IndexFields, name: str) -> bool:
    """Numbers, dates and the keyword twin of a title sort usefully; other keywords (brands, tags) rarely do."""
    info = fields.fields[name]
    if info.is_numeric or info.is_date:
        return True
    parent = name.rpartition(".")[0]
    return bool(parent) and parent.split(".")[-1].lower() in _TITLE_NAMES


def _suggest_field(fields: IndexFields) -> str:
    """A keyword twin of a title-like text field (whole values complete best), else the first title-like text."""
    candidates = fields.with_role(SUGGEST)
    for name in candidates:
        parent = name.rpartition(".")[0]
        if parent and parent.split(".")[-1].lower() in _TITLE_NAMES and fields.fields[name].type not in TEXT_TYPES:
            return name
    for name in candidates:
        if name.split(".")[-1].lower() in _TITLE_NAMES:
            return name
    return ""
