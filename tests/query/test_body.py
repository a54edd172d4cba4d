"""Search bodies are pure functions of checked parameters: no server needed."""

import pytest

from search_service.query.body import (
    FUZZY_MAX_EXPANSIONS,
    MAX_DETERMINIZED_STATES,
    build_search_body,
)

FIELDS = ["title^3", "body"]


def test_search_body_runs_query_string_over_the_fields():
    body = build_search_body(query="(json AND dumps)", page=1, size=10, fields=FIELDS)

    query = body["query"]["query_string"]
    assert query["query"] == "(json AND dumps)"
    assert query["fields"] == FIELDS
    assert query["default_operator"] == "OR"
    assert query["allow_leading_wildcard"] is False


def test_elasticsearchs_own_guards_are_on_every_search():
    body = build_search_body(query="x", page=1, size=10, fields=FIELDS, timeout_seconds=1.5, highlight_max_chars=500)

    query = body["query"]["query_string"]
    assert query["fuzzy_max_expansions"] == FUZZY_MAX_EXPANSIONS
    assert query["max_determinized_states"] == MAX_DETERMINIZED_STATES
    assert query["fuzzy_prefix_length"] >= 1
    assert body["timeout"] == "1500ms"
    assert body["highlight"]["max_analyzed_offset"] == 500


@pytest.mark.parametrize(
    ("page", "size", "expected_from"),
    [(1, 10, 0), (2, 10, 10), (3, 25, 50), (100, 100, 9900)],
)
def test_pages_translate_to_from_and_size(page, size, expected_from):
    body = build_search_body(query="x", page=page, size=size, fields=FIELDS)

    assert (body["from"], body["size"]) == (expected_from, size)


def test_source_is_whole_unless_fields_are_named():
    assert "_source" not in build_search_body(query="x", page=1, size=10, fields=FIELDS)
    assert "_source" not in build_search_body(query="x", page=1, size=10, fields=FIELDS, source_fields=[])

    body = build_search_body(query="x", page=1, size=10, fields=FIELDS, source_fields=["title", "meta.*"])

    assert body["_source"] == ["title", "meta.*"]


def test_highlight_uses_plain_field_names_and_escapes_html():
    highlight = build_search_body(query="x", page=1, size=10, fields=FIELDS)["highlight"]

    assert set(highlight["fields"]) == {"title", "body"}
    assert highlight["encoder"] == "html"


def test_a_term_expanding_query_is_highlighted_with_its_plain_terms_only():
    body = build_search_body(query="(deser* json)", page=1, size=10, fields=FIELDS, highlight_text="json")

    assert body["highlight"]["highlight_query"]["query_string"]["query"] == "json"
    assert body["highlight"]["highlight_query"]["query_string"]["fields"] == FIELDS


def test_a_query_with_no_plain_terms_is_not_highlighted():
    assert "highlight" not in build_search_body(query="deser*", page=1, size=10, fields=FIELDS, highlight_text="")
    assert "highlight_query" not in build_search_body(query="json", page=1, size=10, fields=FIELDS)["highlight"]
