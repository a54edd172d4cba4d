"""Pure functions from validated search parameters to Elasticsearch request bodies, and back. No I/O here."""

from fnmatch import fnmatchcase
from typing import Any

from luqum.exceptions import ParseError
from luqum.parser import parser
from luqum.tree import Item, SearchField

# Elasticsearch refuses `from + size` past index.max_result_window, 10,000 unless an index raises it.
MAX_RESULT_WINDOW = 10_000
MAX_QUERY_LENGTH = 1_000
HIGHLIGHT_FRAGMENT_SIZE = 150
HIGHLIGHT_FRAGMENTS = 3


def strip_boost(field: str) -> str:
    """`title^3` -> `title`: highlighting takes plain field names."""
    return field.partition("^")[0]


class UncheckableQuery(ValueError):
    """The query names fields but could not be parsed, so which fields it names is unknown."""


def named_fields(query: str) -> set[str]:
    """The fields `query` addresses: `field:value`, `field:(a OR b)`, and `_exists_:field`."""
    if ":" not in query:
        return set()  # no field can be named without a colon; skips parsing for most queries
    try:
        tree = parser.parse(query)
    except ParseError as error:
        raise UncheckableQuery(str(error)) from None
    fields: set[str] = set()
    pending: list[Item] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, SearchField):
            fields.add(str(node.expr).strip('"') if node.name == "_exists_" else node.name)
        pending.extend(node.children)
    return fields


class FieldsNotAllowed(ValueError):
    """The query names fields that are not open to searching."""

    def __init__(self, fields: list[str], allowed: list[str]) -> None:
        super().__init__(f"cannot search {', '.join(fields)}; fields open to search: {', '.join(allowed)}")
        self.fields = fields


def check_query_fields(query: str, allowed: list[str]) -> None:
    """Refuse a query that names a field outside `allowed` (names or patterns such as `meta.*`; `*` allows
    any). `query_string` would otherwise let a caller probe any field of the index, returned or not."""
    if "*" in allowed:
        return
    refused = sorted(
        field for field in named_fields(query) if not any(fnmatchcase(field, pattern) for pattern in allowed)
    )
    if refused:
        raise FieldsNotAllowed(refused, allowed)


def build_query(*, query: str, fields: list[str]) -> dict[str, Any]:
    """The `query_string` query for the user's text over the configured fields."""
    return {
        "query_string": {
            "query": query,
            "fields": fields,
            "default_operator": "OR",
            # A value of the wrong type for a field (text against a date, say) matches nothing instead of
            # failing the whole search.
            "lenient": True,
            # `*foo` walks every term of the index; refusing it keeps one request from loading the cluster.
            "allow_leading_wildcard": False,
        }
    }


def build_highlight(*, fields: list[str]) -> dict[str, Any]:
    """Snippets with the matches marked; HTML-escaped so a client can insert them as they are."""
    return {
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "fragment_size": HIGHLIGHT_FRAGMENT_SIZE,
        "number_of_fragments": HIGHLIGHT_FRAGMENTS,
        "fields": {strip_boost(field): {} for field in fields},
    }


def build_search_body(
    *, query: str, page: int, size: int, fields: list[str], source_fields: list[str] | None = None
) -> dict[str, Any]:
    """The `_search` body for one page of results; `page` counts from 1. `source_fields` limits what each
    hit returns of its document (None or empty: all of it)."""
    body: dict[str, Any] = {
        "query": build_query(query=query, fields=fields),
        "from": (page - 1) * size,
        "size": size,
        "highlight": build_highlight(fields=fields),
    }
    if source_fields:
        body["_source"] = source_fields
    return body


def search_response(result: dict[str, Any], *, query: str, page: int, size: int) -> dict[str, Any]:
    """The API's answer (schemas.SearchResponse) from Elasticsearch's `_search` answer."""
    hits = result["hits"]
    return {
        "query": query,
        "total": hits["total"],
        "took_ms": result["took"],
        "page": page,
        "size": size,
        "hits": [
            {
                "id": hit["_id"],
                "index": hit["_index"],
                "score": hit.get("_score"),
                "source": hit.get("_source", {}),
                "highlight": hit.get("highlight", {}),
            }
            for hit in hits["hits"]
        ],
    }
