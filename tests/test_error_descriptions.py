"""Error descriptions are pure functions: no server needed."""

import pytest
from elastic_transport import ConnectionError

from search_service.elastic_errors import (
    describe_attempts,
    describe_query_error,
    describe_unavailable,
    locate_query_error,
)
from search_service.errors import describe_validation_errors

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


def parse_failure(query: str, reason: str) -> dict[str, object]:
    """Elasticsearch's answer when its parser refuses `query`, as PARSE_FAILURE nests it."""
    return {
        "error": {
            "failed_shards": [
                {
                    "reason": {
                        "reason": f"Failed to parse query [{query}]",
                        "caused_by": {
                            "reason": f"Cannot parse '{query}': {reason}\nWas expecting one of:\n  <AND>",
                            "caused_by": {"reason": f"{reason}\nWas expecting one of:\n  <AND>"},
                        },
                    }
                }
            ]
        }
    }


@pytest.mark.parametrize(
    ("query", "sent", "reason", "position"),
    [
        # "Encountered" counts the token's offset from 0; "Lexical error" its column from 1.
        ("(json))", "(json))", 'Encountered " ")" ") "" at line 1, column 6.', 6),
        ("json AND", "json AND", 'Encountered "<EOF>" at line 1, column 8.', 8),
        ("a/b", "a/b", 'Lexical error at line 1, column 4.  Encountered: <EOF> after prefix "/b"', 3),
        # Java counts UTF-16 units: the emoji is two of them, one character.
        ("😀 (b))", "😀 (b))", 'Encountered " ")" ") "" at line 1, column 7.', 6),
        # The whitespace around q is not part of the query checked and sent.
        ("(json))", "  (json))  ", 'Encountered " ")" ") "" at line 1, column 6.', 6),
        # Columns of another text (the re-written query) say nothing about q.
        ("(a\\-b))", "(a-b))", 'Encountered " ")" ") "" at line 1, column 7.', None),
        ("a/b", None, 'Lexical error at line 1, column 4.  Encountered: <EOF> after prefix "/b"', None),
        ("a/b", "a/b", "something without a column", None),
    ],
)
def test_query_error_position_is_read_from_the_column_of_the_query_sent(query, sent, reason, position):
    assert locate_query_error(parse_failure(query, reason), sent) == position


def test_query_error_position_of_unexpected_shape_is_unknown():
    assert locate_query_error({"error": "flat"}, "json") is None


def test_query_error_quotes_a_long_query_cut_and_on_one_line():
    query = "word\n" * 100

    detail = describe_query_error(parse_failure(query, 'Encountered "<EOF>" at line 1, column 500.'))

    assert "\n" not in detail
    assert "word word" in detail
    assert query.replace("\n", " ")[:101] not in detail
    assert detail.endswith('…\': Encountered "<EOF>" at line 1, column 500.')


def test_unavailable_names_the_error_and_its_root_causes():
    # Elasticsearch 8.19's answer to a search while every copy of the index's shards is unassigned.
    body = {
        "error": {
            "root_cause": [{"type": "no_shard_available_action_exception", "reason": None}],
            "type": "search_phase_execution_exception",
            "reason": "all shards failed",
            "phase": "query",
            "failed_shards": [],
        },
        "status": 503,
    }
    assert describe_unavailable(body) == (
        "search_phase_execution_exception (all shards failed); root causes: no_shard_available_action_exception"
    )


def test_unavailable_without_an_error_object_says_so():
    assert describe_unavailable("<html>502 Bad Gateway</html>").startswith("no error object in its answer: <html>")


def test_attempts_name_each_node_tried_oldest_first():
    # How elastic-transport gives up: the last attempt's error carries the earlier ones in `errors`.
    first = ConnectionError("Cannot connect to host 127.0.0.1:9262", errors=(OSError("refused"),))
    last = ConnectionError("Cannot connect to host 127.0.0.1:9260", errors=(OSError("refused"),))
    last.errors = (first,)
    assert describe_attempts(last) == (
        "attempt 1: ConnectionError(Cannot connect to host 127.0.0.1:9262); "
        "attempt 2: ConnectionError(Cannot connect to host 127.0.0.1:9260)"
    )
