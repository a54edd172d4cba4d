"""check_query's two edges: plain words, sent without the parser, and queries the parser cannot read, refused with
a reason. No server."""

import dataclasses
from decimal import InvalidOperation

import pytest

from search_service.query import policy as policy_module
from search_service.query.policy import MAX_REASON_LENGTH, QueryCost, QueryPolicy, QueryRefused, check_query

POLICY = QueryPolicy(allowed_fields=("title", "body"))
HINT = "Search for the words as typed with mode=simple"


@pytest.mark.parametrize(
    ("query", "text", "clauses"),
    [
        ("json", "json", 1),
        ("json dumps", "json dumps", 2),
        ("  json   dumps  ", "json dumps", 2),
        ("a or b", "a or b", 3),  # lower case: words, not operators
        ("to be", "to be", 2),
        ("TO", "TO", 1),  # alone it parses as a word
        ("Py3 utf8", "Py3 utf8", 2),
    ],
)
def test_plain_words_are_sent_as_they_are(query, text, clauses):
    checked = check_query(query, POLICY)

    assert (checked.text, checked.cost, checked.highlight_text) == (text, QueryCost(clauses=clauses), None)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        # An operator in capitals is syntax: the parser reads it and the writer puts the parentheses in.
        ("a OR b", "(a OR b)"),
        ("a AND b", "(a AND b)"),
        ("a NOT b", "(a NOT b)"),
        ("a TO b", "(a TO b)"),
        ("café latte", "(café latte)"),  # not ASCII: the parser reads it
        ("json\tdumps", "(json dumps)"),  # a tab is no space to the shortcut
        ("a_b", "a\\_b"),  # neither letter nor digit: escaped
    ],
)
def test_anything_but_plain_words_goes_through_the_parser(query, text):
    assert check_query(query, POLICY).text == text


@pytest.mark.parametrize("query", ["", " ", "   "])
def test_an_empty_query_is_refused(query):
    with pytest.raises(QueryRefused) as raised:
        check_query(query, POLICY)

    assert raised.value.code == "invalid_query"
    assert raised.value.hint == HINT


def test_luqums_own_reason_is_cut_to_the_limit():
    with pytest.raises(QueryRefused) as raised:
        check_query("", POLICY)

    reason = raised.value.detail.removeprefix("Cannot parse the query: ")
    assert raised.value.detail.startswith("Cannot parse the query: Syntax error in input")
    assert len(reason) == MAX_REASON_LENGTH + 1
    assert reason.endswith("…")
    assert raised.value.position is None


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ValueError("x" * MAX_REASON_LENGTH), "x" * MAX_REASON_LENGTH),
        (ValueError("x" * (MAX_REASON_LENGTH + 1)), "x" * MAX_REASON_LENGTH + "…"),
        (ValueError("unexpected ':'"), "unexpected ':'"),
        (InvalidOperation(), "a boost or distance is not a number"),
        (RecursionError(), "too deeply nested"),
    ],
)
def test_a_reason_is_kept_up_to_the_limit_and_cut_one_past_it(error, reason):
    # "json" parses: no diagnosis, so luqum's reason (or ours, for decimal's and the stack's errors) is given.
    refused = policy_module._unparseable("json", error)

    assert MAX_REASON_LENGTH == 100
    assert (refused.code, refused.detail, refused.position, refused.hint) == (
        "invalid_query",
        f"Cannot parse the query: {reason}",
        None,
        HINT,
    )


def test_a_diagnosed_problem_says_where():
    refused = policy_module._unparseable("title:(x", ValueError("luqum's words"))

    assert refused.detail == (
        "Cannot parse the query: the ( at position 6 (the 7th character, in `title:(x`) is never closed. "
        "Add a ) or escape it as \\( to search for it."
    )
    assert (refused.position, refused.hint) == (6, HINT)


def test_modifiers_nested_past_the_stack_are_refused_not_raised():
    # luqum's parser reads 600 nested `-` without recursion; each is a level of parentheses in what is sent, so
    # SEARCH_MAX_DEPTH refuses them long before the writer's recursion could run out of stack.
    with pytest.raises(QueryRefused) as raised:
        check_query("-" * 600 + "x", POLICY)
    assert raised.value.code == "query_too_deep"


def test_nesting_past_the_stack_under_a_policy_that_allows_it_is_refused_not_raised():
    """A policy allowing any depth (QueryPolicy is built by code too, not only from settings): the writer's
    recursion runs out of stack, and that is a refusal of the query, never a 500."""
    with pytest.raises(QueryRefused) as raised:
        check_query("-" * 5_000 + "x", dataclasses.replace(POLICY, max_depth=1_000_000))
    assert (raised.value.code, raised.value.detail) == ("invalid_query", "Cannot parse the query: too deeply nested")
    assert raised.value.hint == HINT


@pytest.mark.parametrize(
    ("nested", "levels"),
    [
        (lambda n: "-" * (n + 1) + "x", "modifiers on modifiers"),  # `--x` is one level: `-(-x)`
        (lambda n: "x" + "^2" * (n + 1), "boosts of boosts"),  # `x^2^2` is one level: `((x)^2)^2`
    ],
)
def test_modifier_and_boost_chains_count_as_depth_at_the_limit_and_one_past(nested, levels):
    check_query(nested(POLICY.max_depth), POLICY)  # at the limit: accepted
    with pytest.raises(QueryRefused) as raised:
        check_query(nested(POLICY.max_depth + 1), POLICY)
    assert raised.value.code == "query_too_deep", levels
