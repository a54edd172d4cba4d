"""Pure functions from checked search parameters to Elasticsearch `_search` bodies. No I/O here."""

from typing import Any

# Elasticsearch refuses `from + size` past index.max_result_window, 10,000 unless an index raises it.
MAX_RESULT_WINDOW = 10_000
MAX_QUERY_LENGTH = 1_000
HIGHLIGHT_FRAGMENT_SIZE = 150
HIGHLIGHT_FRAGMENTS = 3

# Elasticsearch's own guards, on every search, behind the service's policy (query/policy.py):
# a fuzzy term expands to at most this many terms (Elasticsearch's default is 50) ...
FUZZY_MAX_EXPANSIONS = 20
# ... and must match its first character exactly, which spares scanning the whole term dictionary.
FUZZY_PREFIX_LENGTH = 1
# A regular expression may compile to an automaton of at most this many states (default 10,000).
MAX_DETERMINIZED_STATES = 2_000


def strip_boost(field: str) -> str:
    """`title^3` -> `title`: highlighting takes plain field names."""
    return field.partition("^")[0]


def build_query(*, query: str, fields: list[str]) -> dict[str, Any]:
    """The `query_string` query for a query text already checked and re-written by query.policy."""
    return {
        "query_string": {
            "query": query,
            "fields": fields,
            "default_operator": "OR",
            # A value of the wrong type for a field (text against a date, say) matches nothing instead of
            # failing the whole search.
            "lenient": True,
            # `*foo` walks every term of the index; the policy refuses it first, this is the second lock.
            "allow_leading_wildcard": False,
            "fuzzy_max_expansions": FUZZY_MAX_EXPANSIONS,
            "fuzzy_prefix_length": FUZZY_PREFIX_LENGTH,
            "max_determinized_states": MAX_DETERMINIZED_STATES,
        }
    }


def build_highlight(*, fields: list[str], max_analyzed_chars: int) -> dict[str, Any]:
    """Snippets with the matches marked; HTML-escaped so a client can insert them as they are.

    Highlighting re-analyses each hit's text and, for wildcard and fuzzy clauses, matches every expanded
    term against it: most of the CPU an expensive query costs. `max_analyzed_offset` caps how much of a
    field it reads (past it the field is simply not highlighted further, no error)."""
    return {
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "fragment_size": HIGHLIGHT_FRAGMENT_SIZE,
        "number_of_fragments": HIGHLIGHT_FRAGMENTS,
        "max_analyzed_offset": max_analyzed_chars,
        "fields": {strip_boost(field): {} for field in fields},
    }


def build_search_body(
    *,
    query: str,
    page: int,
    size: int,
    fields: list[str],
    source_fields: list[str] | None = None,
    timeout_seconds: float | None = None,
    highlight_max_chars: int = 10_000,
) -> dict[str, Any]:
    """The `_search` body for one page of results; `page` counts from 1. `source_fields` limits what each
    hit returns of its document (None or empty: all of it). `timeout_seconds` makes Elasticsearch stop
    collecting after that long and answer with what it has, flagged `timed_out`."""
    body: dict[str, Any] = {
        "query": build_query(query=query, fields=fields),
        "from": (page - 1) * size,
        "size": size,
        "highlight": build_highlight(fields=fields, max_analyzed_chars=highlight_max_chars),
    }
    if timeout_seconds is not None:
        body["timeout"] = f"{round(timeout_seconds * 1000)}ms"
    if source_fields:
        body["_source"] = source_fields
    return body
