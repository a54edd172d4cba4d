"""Every limit of the query policy at its value (accepted) and one past it (refused with its code and detail), under
the defaults and under a policy whose limits all differ from them; and what each query costs. No server."""

from dataclasses import replace

import pytest

from search_service.query.policy import QueryCost, QueryPolicy, QueryRefused, check_query

DEFAULT = QueryPolicy(allowed_fields=("title", "body"), allow_regex=True)
# Every limit moved off its default, so that a limit read from the wrong place (or a constant) shows.
OTHER = QueryPolicy(
    allowed_fields=("title", "body"),
    allow_regex=True,
    max_clauses=5,
    max_depth=2,
    max_wildcard_terms=1,
    min_wildcard_prefix=4,
    max_fuzzy_terms=1,
    max_fuzzy_edits=1,
    max_phrase_slop=4,
)


def refusal(query: str, policy: QueryPolicy) -> tuple[str, str]:
    with pytest.raises(QueryRefused) as raised:
        check_query(query, policy)
    return raised.value.code, raised.value.detail


def words(count: int, separator: str = " ") -> str:
    return separator.join(f"w{number}" for number in range(count))


def nested(depth: int, inner: str = "x") -> str:
    return "(" * depth + inner + ")" * depth


def fuzzy(count: int) -> str:
    return " ".join(f"w{number}~1" for number in range(count))


@pytest.mark.parametrize(
    ("policy", "at_limit", "past_limit", "code", "detail"),
    [
        (DEFAULT, words(32), words(33), "too_many_clauses", "the query has 33 terms; at most 32 are allowed"),
        (OTHER, words(5), words(6), "too_many_clauses", "the query has 6 terms; at most 5 are allowed"),
        # The same through the parser (an operator makes the query more than plain words).
        (
            DEFAULT,
            words(32, " OR "),
            words(33, " OR "),
            "too_many_clauses",
            "the query has 33 terms; at most 32 are allowed",
        ),
        (OTHER, words(5, " OR "), words(6, " OR "), "too_many_clauses", "the query has 6 terms; at most 5 are allowed"),
        # _exists_ is a clause too.
        (
            OTHER,
            words(4) + " _exists_:title",
            words(5) + " _exists_:title",
            "too_many_clauses",
            "the query has 6 terms; at most 5 are allowed",
        ),
        (DEFAULT, nested(6), nested(7), "query_too_deep", "the query nests groups deeper than 6 levels"),
        (OTHER, nested(2), nested(3), "query_too_deep", "the query nests groups deeper than 2 levels"),
        # A field's group is a level like any other.
        (OTHER, "title:((x))", "title:(((x)))", "query_too_deep", "the query nests groups deeper than 2 levels"),
        (
            DEFAULT,
            "ab* cd* ef*",
            "ab* cd* ef* gh*",
            "too_many_wildcards",
            "the query has more than 3 wildcard terms (* or ?)",
        ),
        (OTHER, "abcd*", "abcd* efgh*", "too_many_wildcards", "the query has more than 1 wildcard terms (* or ?)"),
        (
            DEFAULT,
            "ab*",
            "a*",
            "wildcard_prefix_too_short",
            "a*: a wildcard needs at least 2 characters before the first * or ?",
        ),
        (
            DEFAULT,
            "ab?d",
            "a?cd",
            "wildcard_prefix_too_short",
            "a?cd: a wildcard needs at least 2 characters before the first * or ?",
        ),
        (
            OTHER,
            "abcd*",
            "abc*",
            "wildcard_prefix_too_short",
            "abc*: a wildcard needs at least 4 characters before the first * or ?",
        ),
        (DEFAULT, fuzzy(3), fuzzy(4), "too_many_fuzzy_terms", "the query has more than 3 fuzzy terms (~)"),
        (OTHER, fuzzy(1), fuzzy(2), "too_many_fuzzy_terms", "the query has more than 1 fuzzy terms (~)"),
        (DEFAULT, "jsn~2", "jsn~3", "fuzzy_distance_too_large", "~3: a fuzzy term may differ by at most 2 edits"),
        (OTHER, "jsn~1", "jsn~2", "fuzzy_distance_too_large", "~2: a fuzzy term may differ by at most 1 edits"),
        (DEFAULT, '"a b"~10', '"a b"~11', "phrase_slop_too_large", "~11: a phrase's slop may be at most 10"),
        (OTHER, '"a b"~4', '"a b"~5', "phrase_slop_too_large", "~5: a phrase's slop may be at most 4"),
        (DEFAULT, "x^1000", "x^1001", "invalid_query", "^1001: a boost is a number from 0 to 1000"),
        (DEFAULT, "x^1000.0", "x^1000.01", "invalid_query", "^1000.01: a boost is a number from 0 to 1000"),
    ],
)
def test_a_limit_is_accepted_at_its_value_and_refused_one_past_it(policy, at_limit, past_limit, code, detail):
    assert check_query(at_limit, policy).text
    assert refusal(past_limit, policy) == (code, detail)


def test_the_wildcard_budget_is_shared_with_regular_expressions():
    # Wildcards and regular expressions walk the term dictionary alike: one budget for both, whichever comes first.
    assert check_query("ab* cd* /x.*/", DEFAULT).cost == QueryCost(clauses=3, wildcard_terms=2, regex_terms=1)
    assert refusal("ab* cd* ef* /x.*/", DEFAULT) == (
        "too_many_wildcards",
        "the query has more than 3 wildcard and regular-expression terms",
    )
    assert refusal("/x.*/ ab* cd* ef*", DEFAULT) == (
        "too_many_wildcards",
        "the query has more than 3 wildcard terms (* or ?)",
    )
    assert check_query("/a/ /b/ /c/", DEFAULT).cost.regex_terms == 3
    assert refusal("/a/ /b/ /c/ /d/", DEFAULT)[0] == "too_many_wildcards"
    assert check_query("/x.*/", OTHER).cost.regex_terms == 1
    assert refusal("/x.*/ /y.*/", OTHER) == (
        "too_many_wildcards",
        "the query has more than 1 wildcard and regular-expression terms",
    )
    assert refusal("abcd* /y.*/", OTHER)[0] == "too_many_wildcards"


def test_no_wildcards_at_all_when_the_budget_is_zero():
    none = replace(DEFAULT, max_wildcard_terms=0)

    assert refusal("abc*", none) == ("too_many_wildcards", "the query has more than 0 wildcard terms (* or ?)")
    assert refusal("/abc/", none)[0] == "too_many_wildcards"
    assert check_query("* title:*", none).text == "(* title:*)"  # every document: no wildcard to expand


@pytest.mark.parametrize(
    ("policy", "query", "text"),
    [
        (DEFAULT, "jsn~", "jsn~2"),  # a bare ~ allows as many edits as the policy does
        (OTHER, "jsn~", "jsn~1"),
        (replace(DEFAULT, max_fuzzy_edits=0), "jsn~", "jsn~0"),
        (DEFAULT, "jsn~0", "jsn~0"),
        (DEFAULT, "jsn~2.0", "jsn~2"),
        (DEFAULT, '"a b"~0', '"a b"~0'),
        (DEFAULT, '"a b"~', '"a b"~1'),  # luqum's reading of a bare ~ after a phrase
        (replace(DEFAULT, max_phrase_slop=0), '"a b"~0', '"a b"~0'),
        (DEFAULT, "x^0", "(x)^0"),
        (DEFAULT, "x^0.5", "(x)^0.5"),
        (DEFAULT, "x^2.50", "(x)^2.5"),
        (DEFAULT, "x^1000.0", "(x)^1000"),
        (DEFAULT, "x^", "(x)^1"),
        (replace(DEFAULT, min_wildcard_prefix=0), "*x", "*x"),
        (DEFAULT, "ab?", "ab?"),
        (DEFAULT, "a\\*", "a\\*"),  # an escaped star is a letter: no wildcard, no prefix needed
        (DEFAULT, "a\\*~1", "a\\*~1"),  # ... and so it may be fuzzy
    ],
)
def test_distances_slops_and_boosts_are_written_as_numbers_elasticsearch_reads(policy, query, text):
    assert check_query(query, policy).text == text


@pytest.mark.parametrize(
    ("query", "cost"),
    [
        ("json", QueryCost(clauses=1)),
        ("a b c", QueryCost(clauses=3)),
        ("a AND (b OR (c))", QueryCost(clauses=3, depth=2)),
        ("title:(a (b))", QueryCost(clauses=2, depth=2)),
        ("ab* cd? x", QueryCost(clauses=3, wildcard_terms=2)),
        ("a~1 b~ c", QueryCost(clauses=3, fuzzy_terms=2)),
        ("/ab/ x", QueryCost(clauses=2, regex_terms=1)),
        ("title:[a TO b] body:>c body:<=d", QueryCost(clauses=3, range_terms=3)),
        ('"a b"~2 x^2', QueryCost(clauses=2)),
        ("_exists_:title", QueryCost(clauses=1)),
        ("* title:*", QueryCost(clauses=2)),
    ],
)
def test_the_cost_counts_each_kind_of_clause(query, cost):
    assert check_query(query, DEFAULT).cost == cost
