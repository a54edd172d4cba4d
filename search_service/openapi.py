"""The OpenAPI document made to describe the configured index: which fields filter, facet, give stats and sort, of
which type, with examples built from them. Pure: the document, the settings and the fields in, the document out.

The schemas' own descriptions are written once, for any index; without this, /docs showed every user the demo's
`kind:function` and "json dumps", and named settings instead of the fields a caller may actually send.
"""

from collections.abc import Sequence
from typing import Any

from search_service.mapping.fields import BOOLEAN_TYPE, IndexFields
from search_service.query.stats import stats_fields
from search_service.settings import ServiceSettings


def _typed(names: Sequence[str], fields: IndexFields | None) -> str:
    if not names:
        return "none (turned off)"
    described = []
    for name in names:
        info = fields.get(name) if fields is not None else None
        described.append(f"`{name}` ({info.type})" if info is not None else f"`{name}`")
    return ", ".join(described)


def _filter_example(name: str, fields: IndexFields | None) -> str:
    info = fields.get(name) if fields is not None else None
    if info is None:
        return f"{name}:value"
    if info.type == BOOLEAN_TYPE:
        return f"{name}:true"
    if info.is_numeric:
        return f"{name}:10..100"
    if info.is_date:
        return f"{name}:2024-01-01.."
    return f"{name}:value"


def describe_configured_fields(
    document: dict[str, Any], config: ServiceSettings, fields: IndexFields | None
) -> dict[str, Any]:
    """`document` with /search's field parameters describing this index (`fields`: None before the mapping is read,
    then the names are listed without types)."""
    searched = ", ".join(f"`{field.partition('^')[0]}`" for field in config.search_fields)
    stats = [] if fields is None else stats_fields(config.search_filter_fields, fields)
    sort_example = f"-{config.search_sort_fields[0]}" if config.search_sort_fields else "-score"
    edits: dict[str, tuple[str, list[Any] | None]] = {
        # The demo's example query means nothing to another index.
        "q": (f"Searched fields: {searched}.", None if "search_fields" not in config.model_fields_set else []),
        "filter": (
            f"Fields here: {_typed(config.search_filter_fields, fields)}.",
            [[_filter_example(name, fields) for name in config.search_filter_fields[:2]]]
            if config.search_filter_fields
            else [],
        ),
        "facets": (
            f"Fields here: {_typed(config.search_facet_fields, fields)}.",
            [[",".join(config.search_facet_fields[:2])]] if config.search_facet_fields else [],
        ),
        "stats": (f"Fields here: {_typed(stats, fields)}.", [[",".join(stats[:2])]] if stats else []),
        "sort": (f"Fields here: `score`, {_typed(config.search_sort_fields, fields)}.", [[sort_example]]),
        "rank": (
            f"Rank field here: {_typed([config.search_rank_field.removeprefix('-')], fields)}."
            if config.search_rank_field
            else "No rank field is set here: `custom` is relevance alone.",
            None,
        ),
    }
    search = document.get("paths", {}).get("/search", {}).get("get", {})
    for parameter in search.get("parameters", []):
        edit = edits.get(parameter.get("name"))
        if edit is not None:
            _apply(parameter, *edit)
    return document


def _apply(parameter: dict[str, Any], sentence: str, examples: list[Any] | None) -> None:
    """Append `sentence` to the description; replace the examples (None: keep them; []: drop them)."""
    schema = parameter.setdefault("schema", {})
    for holder in (parameter, schema):
        if "description" in holder:
            holder["description"] = f"{holder['description']}. {sentence}"
    for holder in (parameter, schema):  # ninja writes the examples in both
        if examples:
            holder["examples"] = examples
        elif examples is not None:
            holder.pop("examples", None)
