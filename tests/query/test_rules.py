"""The policy's rules as data: which field names a policy opens, what counts as costly, where the rules come from.
No server."""

import pytest

from search_service.query.rules import QueryCost, QueryPolicy, QueryRefused, policy_from_settings, too_many_clauses
from search_service.settings import ServiceSettings


@pytest.mark.parametrize(
    ("allowed", "name", "allows"),
    [
        (("title", "body"), "title", True),
        (("title", "body"), "body", True),
        (("title", "body"), "Title", False),  # names are case-sensitive, as in the mapping
        (("title", "body"), "title.raw", False),  # a sub-field is another field
        (("title", "body"), "_id", False),
        (("meta.*",), "meta.author", True),
        (("meta.*",), "meta", False),
        (("meta.*",), "metadata.x", False),
        (("meta.?",), "meta.a", True),
        (("meta.*",), "meta.XY", True),
        # A name that is itself a pattern expands inside Elasticsearch to fields nobody checked, even when the
        # allow-list's own pattern would match the pattern's text.
        (("meta.*",), "meta.*", False),
        (("meta.*",), "meta.?", False),
        (("title",), "ti*", False),
        (("title",), "titl?", False),
        # `*` in the allow-list opens everything, patterns included.
        (("*",), "_id", True),
        (("*",), "anything.at.all", True),
        (("title", "*"), "ti*", True),
        (("x*",), "x?y", False),
    ],
)
def test_a_policy_opens_exactly_its_fields(allowed, name, allows):
    assert QueryPolicy(allowed_fields=allowed).allows_field(name) is allows


def test_the_defaults_are_the_documented_limits():
    policy = QueryPolicy(allowed_fields=("title",))

    assert (
        policy.allow_regex,
        policy.max_clauses,
        policy.max_depth,
        policy.max_wildcard_terms,
        policy.min_wildcard_prefix,
        policy.max_fuzzy_terms,
        policy.max_fuzzy_edits,
        policy.max_phrase_slop,
    ) == (False, 32, 6, 3, 2, 3, 2, 10)


def test_the_policy_is_read_from_the_settings_one_for_one():
    config = ServiceSettings(
        search_query_fields=["title", "meta.*"],
        search_allow_regex=True,
        search_max_clauses=5,
        search_max_depth=4,
        search_max_wildcard_terms=7,
        search_min_wildcard_prefix=3,
        search_max_fuzzy_terms=1,
        search_max_fuzzy_edits=0,
        search_max_phrase_slop=9,
    )

    assert policy_from_settings(config) == QueryPolicy(
        allowed_fields=("title", "meta.*"),
        allow_regex=True,
        max_clauses=5,
        max_depth=4,
        max_wildcard_terms=7,
        min_wildcard_prefix=3,
        max_fuzzy_terms=1,
        max_fuzzy_edits=0,
        max_phrase_slop=9,
    )


def test_a_refusal_carries_its_code_detail_and_where_known_position_and_hint():
    refused = QueryRefused("invalid_query", "the ( at position 3 is never closed", position=3, hint="try mode=simple")

    assert (refused.code, refused.detail, refused.position, refused.hint) == (
        "invalid_query",
        "the ( at position 3 is never closed",
        3,
        "try mode=simple",
    )
    assert str(refused) == "the ( at position 3 is never closed"  # what a log line shows
    assert isinstance(refused, ValueError)


def test_a_refusal_has_no_position_or_hint_unless_given():
    refused = QueryRefused("field_not_allowed", "cannot search x")

    assert (refused.position, refused.hint) == (None, None)


def test_too_many_clauses_says_how_many_and_the_limit():
    refused = too_many_clauses(40, QueryPolicy(allowed_fields=("title",), max_clauses=12))

    assert (refused.code, refused.detail) == ("too_many_clauses", "the query has 40 terms; at most 12 are allowed")


@pytest.mark.parametrize(
    ("cost", "expands"),
    [
        (QueryCost(), False),
        (QueryCost(clauses=30, depth=6), False),  # many plain terms are cheap
        (QueryCost(wildcard_terms=1), True),
        (QueryCost(fuzzy_terms=1), True),
        (QueryCost(regex_terms=1), True),
        (QueryCost(range_terms=1), True),
    ],
)
def test_only_term_expanding_clauses_make_a_query_costly(cost, expands):
    assert cost.expands_terms is expands


def test_a_cost_starts_at_nothing():
    assert QueryCost() == QueryCost(0, 0, 0, 0, 0, 0)
