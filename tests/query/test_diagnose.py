"""Syntax problems are named with their position, case by case and for any string. Pure: no server."""

import os
from decimal import InvalidOperation

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from luqum.parser import parser

from search_service.query.diagnose import diagnose_syntax
from tests.lucene_strings import lucene_queries

EXAMPLES = int(os.environ.get("POLICY_FUZZ_EXAMPLES", "2000"))
# Mostly syntax characters, so that most strings are broken somewhere interesting.
SYNTAX_SOUP = st.text(alphabet="ab:\"'/\\*?~^()[]{} -+!&|><=.1TONDR\u3000\n", max_size=16)
queries = st.one_of(lucene_queries, SYNTAX_SOUP, st.text(max_size=30))
fuzz_settings = settings(
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize(
    ("query", "position", "wording"),
    [
        # Unbalanced parentheses, quotes, brackets, braces and slashes: where they opened.
        ("title:(unclosed", 6, "the ( at position 6 (the 7th character, in `title:(unclosed`) is never closed"),
        ("module:csv AND (json", 15, "the ( at position 15"),
        ("(a (b) c", 0, "the ( at position 0"),
        ("a (b (c)", 2, "the ( at position 2"),
        ("(", 0, "is never closed"),
        ("json)", 4, "the ) at position 4 (the 5th character, in `json)`) closes nothing"),
        ("(a))", 3, "closes nothing"),
        ("()", 0, "the group at position 0 (the 1st character, in `()`) is empty"),
        ("a () b", 2, "is empty"),
        ('"json dumps', 0, 'the quote at position 0 (the 1st character, in `"json dumps`) is never closed'),
        ('"json" "dumps', 7, "the quote at position 7"),
        ('title:("json', 7, "the quote at position 7"),
        ('a\\" "b', 4, "the quote at position 4"),  # the first quote is escaped
        ("/json", 0, "the / at position 0 (the 1st character, in `/json`) starts a regular expression"),
        ("a /b\\/c", 2, "never closed"),  # an escaped slash does not close it
        ("a/b", None, None),  # a slash inside a word is a character of the word
        ("[a TO b", 0, "the bracket at position 0 (the 1st character, in `[a TO b`) opens a range"),
        ("x:{a TO", 2, "the brace at position 2"),
        ("[a b]", 3, "the b at position 3 (the 4th character, in `[a b]`) does not fit in the range opened at"),
        ("[a TO ]", 6, "a range is written [low TO high]"),
        ("[TO b]", 1, "TO at position 1"),
        ("a ]", 2, "the ] at position 2 (the 3rd character, in `a ]`) closes no range"),
        ("a }", 2, "escape it as \\}"),
        # Dangling operators.
        ("json AND", 5, "AND at position 5 (the 6th character, in `json AND`) has nothing after it"),
        ("json OR ", 5, "OR at position 5"),
        ("AND json", 0, "AND at position 0 (the 1st character, in `AND json`) has nothing before it"),
        ("(OR json)", 1, "has nothing before it"),
        ("a OR OR b", 5, "OR at position 5 (the 6th character, in `a OR OR b`) follows OR with no term between"),
        ("a AND (b OR)", 9, "OR at position 9"),
        ("NOT", 0, "NOT at position 0 (the 1st character, in `NOT`) has nothing after it"),
        ("json NOT AND x", 9, "AND at position 9 (the 10th character, in `json NOT AND x`) follows NOT"),
        ("json -", 5, "the - at position 5 (the 6th character, in `json -`) has nothing after it"),
        ("json +", 5, "escape it as \\+"),
        # A lone colon, a field without value.
        (":json", 0, "the colon at position 0 (the 1st character, in `:json`) has no field name before it"),
        ("a (:b)", 3, "has no field name before it"),
        ("a :b", None, None),  # luqum reads `a:b`, as spaces between tokens are dropped
        ('"json":x', 6, "has no field name before it"),
        ("title:", 5, "the colon after title at position 5 (the 6th character, in `title:`) has nothing after it"),
        ("title:  ", 5, "Write title:value"),
        ("title:)", 5, "the colon after title"),
        ("(title:)", 6, "the colon after title"),
        ("title:AND x", 5, "the colon after title"),
        # ^ and ~ with no term, or in the wrong place.
        ("^2", 0, "the ^ at position 0 (the 1st character, in `^2`) boosts nothing"),
        ("a AND ^2", 6, "boosts nothing"),
        ("~1", 0, "the ~ at position 0 (the 1st character, in `~1`) can only follow a word or a phrase"),
        ("(json)~1", 6, "can only follow a word or a phrase"),
        ("/js.n/~1", 6, "can only follow a word or a phrase"),
        ("[a TO b]~1", 8, "can only follow a word or a phrase"),
        ("json^2~1", 6, "the ~ at position 6 (the 7th character, in `json^2~1`) comes after a ^"),
        ("json~1~1", 6, "follows another ~"),
        ("json^1.2.3", 4, "the boost ^1.2.3 at position 4 (the 5th character, in `json^1.2.3`) is not a number"),
        ("json^.", 4, "is not a number"),
        ("json~1.2.3", 4, "the ~1.2.3 at position 4"),
        ('"json dumps"~1.5', 12, "after a phrase is not a whole number of words"),
        (">", 0, "the > at position 0 (the 1st character, in `>`) has no value after it"),
        ("x:>=(a)", 2, "the >= at position 2"),
        # Characters luqum refuses.
        ("'json'", 0, "the ' at position 0 (the 1st character, in `'json'`) cannot start a word"),
        ("a 'b", 2, "cannot start a word"),
        ("a\\", 1, "the backslash at position 1 (the 2nd character, in `a\\`) escapes nothing"),
        # Valid queries: nothing to say.
        ("json AND dumps", None, None),
        ("title:(json OR dumps)^2", None, None),
        ('"json dumps"~2 [a TO b} >=3 -x +y NOT z', None, None),
        ("2020-01-01T10:00:00", None, None),
        ("a\\:b \\(c\\) d\\'s", None, None),
        ("json ^2 dumps ~1", None, None),  # luqum lets the modifier stand apart from its word
    ],
)
def test_the_first_problem_is_named_with_its_position(query, position, wording):
    problem = diagnose_syntax(query)

    if position is None:
        assert problem is None
    else:
        assert problem is not None
        assert problem.position == position
        assert wording in problem.detail


def test_the_first_problem_from_the_left_is_the_one_named():
    # Both the quote and the parenthesis are never closed: the quote stops luqum first.
    problem = diagnose_syntax('(a "b')

    assert problem is not None
    assert (problem.position, problem.detail[:9]) == (3, "the quote")


def test_a_long_query_is_quoted_only_around_the_position():
    query = "x " * 200 + "AND"

    problem = diagnose_syntax(query)

    assert problem is not None
    assert problem.position == 400
    assert "in `…x x x x x AND`" in problem.detail
    assert len(problem.detail) < 150


def test_the_position_counts_characters_not_bytes():
    problem = diagnose_syntax("café 😀 (x")

    assert problem is not None
    assert problem.position == 7


def test_deep_nesting_is_diagnosed_without_recursion():
    problem = diagnose_syntax("(" * 5000 + "x")

    assert problem is not None
    assert problem.position == 4999


@fuzz_settings
@given(queries)
def test_any_string_is_diagnosed_without_raising_and_within_itself(query):
    problem = diagnose_syntax(query)

    if problem is not None:
        assert 0 <= problem.position < len(query)
        assert problem.detail


@fuzz_settings
@given(queries)
def test_a_problem_is_found_exactly_when_luqum_refuses_the_query(query):
    # The diagnosis walks luqum's grammar: it must neither invent a problem in a query luqum parses nor miss
    # one in a query it refuses (a blank query aside: the API refuses it before, with a 422).
    try:
        parser.parse(query)
    except (ValueError, InvalidOperation):  # ParseError is a ValueError; so is int()'s for `"a b"~1.5`
        refused = True
    else:
        refused = False

    assert (diagnose_syntax(query) is not None) == (refused and bool(query.strip()))
