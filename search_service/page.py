"""The search page at `/`: a template whose script (static/search_service/page.js) calls the JSON API.

It is the API's first client: the page gets nothing from the server that another client could not, except
the settings a client would otherwise have to guess (which fields facet, filter and sort) and the types the
index's mapping gives those fields, so that a price reads as a price and a flag as yes or no.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from search_service.admission.cost import ORDINARY_FACET_BUCKETS
from search_service.demo import DEMO_MAPPING
from search_service.elastic import get_client
from search_service.mapping.fields import BOOLEAN_TYPE, OBJECT_TYPES, TEXT_TYPES, FieldInfo, IndexFields
from search_service.mapping.loaded import readable_index_fields
from search_service.query.body import MAX_RESULT_WINDOW
from search_service.query.stats import STATS_COST_IN_BUCKETS
from search_service.settings import ServiceSettings

PAGE_SIZE = 10
FACET_SIZE = 10  # the API's default
# Below this many values a facet is no longer worth its place: the page asks fewer stats instead.
MIN_FACET_SIZE = 5
# The page loads only its own files and talks only to this service. Inline scripts and styles are refused,
# so even text that slipped past the page's own escaping could not run.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Sub-fields that only twin their parent (`title.keyword`), for when the mapping cannot say so.
TWIN_SUFFIXES = ("keyword", "raw")
# The significand's bits of the floating types narrower than a double. Their stats and facet values come widened to
# a double (5.989999771118164 for a float 5.99); the page shows the shortest decimal that is the same float.
FLOAT_BITS = {"float": 24, "half_float": 11}
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def field_kind(info: FieldInfo) -> str:
    """How the page shows a field's values: `number`, `date`, `boolean`, `text` (prose), `keyword` (exact values,
    shown as badges) or `other` (objects; the page reads their values as they come)."""
    if info.is_numeric:
        return "number"
    if info.is_date:
        return "date"
    if info.type == BOOLEAN_TYPE:
        return "boolean"
    if info.type in TEXT_TYPES:
        return "text"
    if info.type in OBJECT_TYPES:
        return "other"
    return "keyword"


def field_label(name: str, fields: IndexFields | None = None) -> str:
    """A field name as a heading: `in_stock` → "In stock", `title.keyword` → "Title", `releaseDate` → "Release date".
    A sub-field that twins its parent (a keyword for sorting) is called by its parent's name."""
    parent, _, last = name.rpartition(".")
    if parent:
        info, parent_info = (fields.get(name), fields.get(parent)) if fields else (None, None)
        if info is not None and parent_info is not None:
            if not info.in_source and parent_info.type not in OBJECT_TYPES:
                name = parent
        elif last in TWIN_SUFFIXES:
            name = parent
    words = _CAMEL_HUMP.sub(" ", name).replace("_", " ").replace(".", " ").replace("-", " ").split()
    if not words:
        return name
    # "Date" (a camel hump) reads as a word; "SKU" or "ID" stay as written.
    rest = [word.lower() if word[:1].isupper() and word[1:].islower() else word for word in words[1:]]
    return " ".join([words[0][:1].upper() + words[0][1:], *rest])


def in_text(label: str) -> str:
    """A heading as it reads inside a sentence: "In stock" → "in stock", but "SKU" stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() or len(label) == 1 else label


def sort_options(fields: list[str], index: IndexFields | None = None) -> list[tuple[str, str]]:
    """(value of `sort`, label) for the page's sort menu: relevance, then each field both ways."""
    options = [("", "Relevance")]
    for field in fields:
        label = in_text(field_label(field, index))
        options += [(field, f"{label}, ascending"), (f"-{field}", f"{label}, descending")]
    return options


def stats_budget(facets: Sequence[str], ranges: Sequence[str], max_facet_size: int) -> tuple[int, list[str]]:
    """(facet_size, stats fields) for the page's searches, so that they stay out of the expensive lane.

    The admission prices facets by their buckets and each stats field as STATS_COST_IN_BUCKETS of them;
    ORDINARY_FACET_BUCKETS keeps a search well clear of the expensive lane, which runs a few at a time. Facets
    shrink to MIN_FACET_SIZE values each at the least; the range fields that still do not fit go without stats
    (their inputs work, without bounds)."""
    facet_size = min(FACET_SIZE, max_facet_size)
    stats = list(ranges)
    while len(facets) * facet_size + len(stats) * STATS_COST_IN_BUCKETS > ORDINARY_FACET_BUCKETS:
        if facets and facet_size > MIN_FACET_SIZE:
            facet_size -= 1
        elif stats:
            stats.pop()
        else:
            break  # more facets than the budget holds even at their smallest: expensive, as configured
    return facet_size, stats


def _plain_names(names: Iterable[str]) -> list[str]:
    """Names without a boost (`title^3`) or a pattern (`meta.*`), in order, once each."""
    plain = (name.partition("^")[0] for name in names)
    return list(dict.fromkeys(name for name in plain if name and "*" not in name))


def is_demo_index(fields: IndexFields | None) -> bool:
    """Whether the index has the demo's fields (`manage.py load_demo`): then the page may suggest demo searches."""
    return fields is not None and all(
        (info := fields.get(name)) is not None and info.type == definition["type"]
        for name, definition in DEMO_MAPPING["properties"].items()
    )


def search_placeholder(config: ServiceSettings, fields: IndexFields | None) -> str:
    """The search box's placeholder: what `q` searches, from SEARCH_FIELDS ("Search title, description")."""
    if is_demo_index(fields):
        return "e.g. json dumps"
    names = [in_text(field_label(name, fields)) for name in _plain_names(config.search_fields)]
    return f"Search {', '.join(dict.fromkeys(names))}" if names else "Search"


def field_example(config: ServiceSettings, fields: IndexFields | None) -> str:
    """A `field:value` example for the syntax help, with a field a query may name (an exact one if there is)."""
    if is_demo_index(fields):
        return "module:json"
    names = _plain_names(config.search_query_fields) or ["field"]
    exact = [name for name in names if fields and (info := fields.get(name)) and field_kind(info) == "keyword"]
    return f"{(exact or names)[0]}:value"


def _shown_fields(config: ServiceSettings, fields: IndexFields) -> list[str]:
    """The fields whose values the page shows: those of `_source` it is given, and those it filters, facets and
    sorts by."""
    if config.search_source_fields:
        source = [name for pattern in config.search_source_fields for name in fields.matching(pattern)]
    else:  # the whole document: every field that can be in it
        source = [name for name, info in fields.fields.items() if info.in_source and info.type not in OBJECT_TYPES]
    configured = [*config.search_filter_fields, *config.search_facet_fields, *config.search_sort_fields]
    return list(dict.fromkeys([*source, *_plain_names(config.search_fields), *configured]))


def page_config(config: ServiceSettings, fields: IndexFields | None) -> dict[str, Any]:
    """What page.js reads at start-up (json_script): where the API is, what it allows, and the fields' types
    (`fields` None: the mapping could not be read, and the page reads values as they come)."""
    kinds: dict[str, str] = {}
    float_bits: dict[str, int] = {}
    if fields is not None:
        for name in _shown_fields(config, fields):
            info = fields.get(name)
            if info is not None:
                kinds[name] = field_kind(info)
                if info.type in FLOAT_BITS:
                    float_bits[name] = FLOAT_BITS[info.type]
    named = list(dict.fromkeys([*kinds, *config.search_facet_fields, *config.search_filter_fields]))
    ranges = [name for name in config.search_filter_fields if kinds.get(name) in ("number", "date")]
    facet_size, stats = stats_budget(config.search_facet_fields, ranges, config.search_max_facet_size)
    return {
        "searchUrl": reverse("search:search"),
        "documentUrl": reverse("search:document", args=["ID"]).removesuffix("ID"),
        "facets": config.search_facet_fields,
        "facetSize": facet_size,
        "filters": config.search_filter_fields,
        "ranges": ranges,
        "stats": stats,
        "sorts": config.search_sort_fields,
        "rankField": config.search_rank_field.removeprefix("-"),
        "types": kinds,
        "floatBits": float_bits,
        "labels": {name: field_label(name, fields) for name in named},
        "placeholder": search_placeholder(config, fields),
        "example": field_example(config, fields),
        "pageSize": min(PAGE_SIZE, config.search_max_size),
        "maxResultWindow": MAX_RESULT_WINDOW,
    }


async def _readable_fields(config: ServiceSettings) -> IndexFields | None:
    return await readable_index_fields(get_client(), config)


@require_safe
async def search_page(request: HttpRequest) -> HttpResponse:
    config = settings.SEARCH
    if not config.search_page:
        raise Http404("SEARCH_PAGE is off")
    fields = await _readable_fields(config)
    context: Mapping[str, Any] = {
        "config": page_config(config, fields),
        "sort_options": sort_options(config.search_sort_fields, fields),
    }
    response = render(request, "search_service/page.html", context)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "same-origin"  # a query in the URL is the user's business
    return response
