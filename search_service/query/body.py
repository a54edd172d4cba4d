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


def build_highlight(*, fields: list[str], max_analyzed_chars: int, highlight_text: str | None) -> dict[str, Any]:
    """Snippets with the matches marked; HTML-escaped so a client can insert them as they are.

    Highlighting re-analyses each hit's text; for a wildcard, fuzzy, regex or range clause it rebuilds the
    clause's automaton for every hit and field and matches every expanded term: measured straight on
    Elasticsearch (make bench, 200,000 documents), a fuzzy query with 100 hits took 2,660 ms highlighted and
    22 ms not, a wildcard one 1,794 ms and 39 ms, and the search `timeout` does not cover it (highlighting runs
    after the query phase). So a term-expanding query is highlighted with its plain terms only
    (`highlight_text`, see policy.CheckedQuery). `max_analyzed_offset` caps how much of a field is read (past it
    the field is simply not highlighted further, no error)."""
    highlight: dict[str, Any] = {
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "fragment_size": HIGHLIGHT_FRAGMENT_SIZE,
        "number_of_fragments": HIGHLIGHT_FRAGMENTS,
        "max_analyzed_offset": max_analyzed_chars,
        "fields": {strip_boost(field): {} for field in fields},
    }
    if highlight_text is not None:
        highlight["highlight_query"] = {
            "query_string": {"query": highlight_text, "fields": fields, "default_operator": "OR", "lenient": True}
        }
    return highlight


def build_search_body(
    *,
    query: str,
    page: int,
    size: int,
    fields: list[str],
    source_fields: list[str] | None = None,
    timeout_seconds: float | None = None,
    highlight_max_chars: int = 10_000,
    highlight_text: str | None = None,
) -> dict[str, Any]:
    """The `_search` body for one page of results; `page` counts from 1. `source_fields` limits what each
    hit returns of its document (None or empty: all of it). `timeout_seconds` makes Elasticsearch stop
    collecting after that long and answer with what it has, flagged `timed_out`. `highlight_text`: None
    highlights with the query, "" not at all, any other text with that query instead."""
    body: dict[str, Any] = {
        "query": build_query(query=query, fields=fields),
        "from": (page - 1) * size,
        "size": size,
    }
    if highlight_text != "":
        body["highlight"] = build_highlight(
            fields=fields, max_analyzed_chars=highlight_max_chars, highlight_text=highlight_text
        )
    if timeout_seconds is not None:
        body["timeout"] = f"{round(timeout_seconds * 1000)}ms"
    if source_fields:
        body["_source"] = source_fields
    return body
