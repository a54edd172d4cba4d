"""The InstantSearch endpoints' bodies and errors, for the OpenAPI document (endpoints/instantsearch.py reads the
bodies itself: its clients send JSON as `text/plain` or a form's type, which ninja would not parse as JSON).
docs/instantsearch.md describes the protocol; Algolia's reference describes each parameter."""

from typing import Any

from search_service.schemas.common import ERRORS, ErrorResponse

INSTANTSEARCH_ERRORS = {**ERRORS, 404: ErrorResponse, 413: ErrorResponse}

_PARAMS: dict[str, Any] = {
    "description": "Algolia's search parameters: a URL-encoded string (algoliasearch v4) or an object (v5)",
    "oneOf": [
        {"type": "string", "example": "query=kettle&hitsPerPage=10&facets=%5B%22brand%22%5D"},
        {"type": "object", "additionalProperties": True},
    ],
}
_REQUEST: dict[str, Any] = {
    "type": "object",
    "properties": {
        "indexName": {"type": "string", "description": "ELASTICSEARCH_INDEX, or a name of SEARCH_SORT_INDICES"},
        "params": _PARAMS,
        "type": {"type": "string", "enum": ["default", "facet"]},
        "facet": {"type": "string", "description": "`type: facet`: the facet whose values are searched"},
    },
    "additionalProperties": True,
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


QUERIES_BODY = _body(
    {
        "type": "object",
        "required": ["requests"],
        "properties": {"requests": {"type": "array", "items": _REQUEST, "maxItems": 32}},
    }
)
QUERY_BODY = _body({"type": "object", "properties": {"params": _PARAMS}, "additionalProperties": True})
