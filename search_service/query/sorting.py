"""`sort=-score,module,-popularity`: parsed, checked against SEARCH_SORT_FIELDS, built into Elasticsearch's `sort`.
Pure: no I/O, no Django."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from search_service.query.filters import describe_allowed

SCORE = "score"
MAX_SORT_KEYS = 4
DEFAULT_SORT = ("-score",)


@dataclass(frozen=True)
class SortKey:
    field: str  # SCORE for relevance
    descending: bool


def rank_sort(rank_field: str) -> list[SortKey]:
    """How browsing (no query, no relevance to rank by) is ordered: by SEARCH_RANK_FIELD, best first (`-field`: lower
    is better)."""
    return [SortKey(rank_field.removeprefix("-"), descending=not rank_field.startswith("-"))]


def parse_sort(raw: Iterable[str], allowed: Sequence[str]) -> list[SortKey]:
    """`-field` sorts descending, `field` ascending; `score` is relevance. ValueError names what is wrong."""
    keys: list[SortKey] = []
    for item in raw:
        name = item.strip()
        descending = name.startswith("-")
        field = name.removeprefix("-").removeprefix("+").strip()
        if not field:
            raise ValueError("an empty sort key; write field or -field")
        if field != SCORE and field not in allowed:
            options = [SCORE, *allowed]
            raise ValueError(
                f"cannot sort on {field[:60]!r}; "
                f"{describe_allowed('sorting', options, 'SEARCH_SORT_FIELDS')}, each optionally with - for descending"
            )
        if any(key.field == field for key in keys):
            raise ValueError(f"{field!r} appears twice")
        keys.append(SortKey(field, descending))
    if len(keys) > MAX_SORT_KEYS:
        raise ValueError(f"at most {MAX_SORT_KEYS} sort keys are accepted")
    return keys or [SortKey(SCORE, descending=True)]


def sort_clauses(
    keys: Sequence[SortKey], *, tiebreaker: str | None = None, casts: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Elasticsearch's `sort`. Missing values sort last either way; a field the index does not map sorts as if
    every document lacked it instead of failing. `tiebreaker` (`_shard_doc` under a point in time) makes the
    order total, which `search_after` needs so that no hit is skipped or repeated between pages. `casts` sorts
    those fields as another numeric type (mapping.fields.IndexFields.sort_casts says why)."""
    clauses: list[dict[str, Any]] = []
    for key in keys:
        order = "desc" if key.descending else "asc"
        if key.field == SCORE:
            clauses.append({"_score": {"order": order}})
        else:
            clause = {"order": order, "missing": "_last", "unmapped_type": "keyword"}
            if casts and key.field in casts:
                clause["numeric_type"] = casts[key.field]
            clauses.append({key.field: clause})
    if tiebreaker is not None:
        clauses.append({tiebreaker: {"order": "asc"}})
    return clauses


def sorts_by_score(keys: Sequence[SortKey]) -> bool:
    return any(key.field == SCORE for key in keys)
