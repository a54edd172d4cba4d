"""Query building and error descriptions are pure functions: no server needed."""

import pytest

from search_service.errors import describe_query_error, describe_validation_errors
from search_service.queries import (
    FieldsNotAllowed,
    UncheckableQuery,
    build_search_body,
    check_query_fields,
    named_fields,
)

FIELDS = ["title^3", "body"]


def test_search_body_runs_query_string_over_the_fields():
    body = build_search_body(query="json AND dumps", page=1, size=10, fields=FIELDS)

    query = body["query"]["query_string"]
    assert query["query"] == "json AND dumps"
    assert query["fields"] == FIELDS
    assert query["default_operator"] == "OR"
    assert query["allow_leading_wildcard"] is False


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


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("json AND dumps", set()),
        ('"reader object" -pickle dump?', set()),
        ("module:csv", {"module"}),
        ("kind:class AND module:(csv OR json)", {"kind", "module"}),
        ("_exists_:docstring", {"docstring"}),
        ("meta.author:x", {"meta.author"}),
        ("name:/re.*/", {"name"}),
        ("a\\:b", set()),  # an escaped colon names no field
    ],
)
def test_named_fields(query, fields):
    assert named_fields(query) == fields


def test_query_without_a_colon_is_not_parsed_at_all():
    assert named_fields("(unclosed") == set()  # Elasticsearch reports the syntax error


def test_unparseable_query_naming_fields_cannot_be_checked():
    with pytest.raises(UncheckableQuery):
        named_fields("title:(unclosed")


@pytest.mark.parametrize(
    ("query", "allowed"),
    [
        ("json", ["title"]),
        ("title:json", ["title"]),
        ("meta.author:x", ["title", "meta.*"]),
        ("secret:x", ["*"]),
    ],
)
def test_allowed_fields_pass(query, allowed):
    check_query_fields(query, allowed)


def test_refused_fields_are_all_named_in_order():
    with pytest.raises(FieldsNotAllowed) as raised:
        check_query_fields("zeta:1 AND title:x AND _exists_:alpha", ["title"])

    assert raised.value.fields == ["alpha", "zeta"]
    assert str(raised.value) == "cannot search alpha, zeta; fields open to search: title"


PARSE_FAILURE = {
    "error": {
        "root_cause": [{"type": "query_shard_exception", "reason": "Failed to parse query [a/b]", "index": "idx-1"}],
        "type": "search_phase_execution_exception",
        "reason": "all shards failed",
        "failed_shards": [
            {
                "shard": 0,
                "index": "idx-1",
                "node": "NU7swBpYSnKX",
                "reason": {
                    "type": "query_shard_exception",
                    "reason": "Failed to parse query [a/b]",
                    "index_uuid": "FCtfYSdOTiS59CB",
                    "index": "idx-1",
                    "caused_by": {
                        "type": "parse_exception",
                        "reason": (
                            "Cannot parse 'a/b': Lexical error at line 1, column 4.\nWas expecting one of:\n  <AND>"
                        ),
                        "caused_by": {
                            "type": "token_mgr_error",
                            "reason": "Lexical error at line 1, column 4.\nWas expecting one of:\n  <AND>",
                        },
                    },
                },
            }
        ],
    },
    "status": 400,
}


def test_query_error_keeps_each_new_reason_once_without_token_lists_or_ids():
    detail = describe_query_error(PARSE_FAILURE)

    assert detail == "Failed to parse query [a/b]: Cannot parse 'a/b': Lexical error at line 1, column 4."
    for leaked in ("idx-1", "NU7swBpYSnKX", "FCtfYSdOTiS59CB", "Was expecting"):
        assert leaked not in detail


def test_query_error_without_shard_failures_uses_the_top_level_reason():
    body = {"error": {"type": "illegal_argument_exception", "reason": "field expansion matches too many fields"}}

    assert describe_query_error(body) == "field expansion matches too many fields"


@pytest.mark.parametrize("body", [None, "text", {}, {"error": "flat string"}])
def test_query_error_of_unexpected_shape_has_a_generic_reason(body):
    assert describe_query_error(body) == "Elasticsearch could not run this query"


def test_query_error_is_bounded_in_length():
    body = {"error": {"reason": "x" * 5000}}

    assert len(describe_query_error(body)) == 500


def test_validation_errors_name_the_parameter_first():
    errors = [
        {"loc": ("query", "size"), "msg": "Value error, must be at most 100"},
        {"loc": ("query", "q"), "msg": "Field required"},
    ]

    assert describe_validation_errors(errors) == "size: must be at most 100; q: Field required"
