"""The cost estimate: ordinary searches cost about one unit, and each knob near its limit adds up. No server."""

import pytest

from search_service.admission.cost import EXPENSIVE_UNITS, search_cost, spelling_cost
from search_service.query.policy import QueryCost


def test_an_ordinary_search_costs_one_unit():
    assert search_cost(QueryCost(clauses=2), words=2, page=1, size=10).units == 1.0


@pytest.mark.parametrize(
    ("query", "words", "page", "size", "buckets", "expensive"),
    [
        (QueryCost(clauses=2), 2, 1, 10, 0, False),
        (QueryCost(clauses=1, wildcard_terms=1), 1, 1, 10, 0, True),
        (QueryCost(clauses=1, fuzzy_terms=1), 1, 1, 10, 0, True),
        (QueryCost(clauses=1), 1, 1, 100, 0, False),  # a cursor walk at size=100 is not expensive on its own
        (QueryCost(clauses=1), 1, 100, 10, 0, False),
        (QueryCost(clauses=1), 1, 1, 10, 50, False),  # the search page's facets
        # Every knob just under its limit at once: 12 words, size 50, page 20, 2 facets x 25 values.
        (QueryCost(clauses=12), 12, 20, 50, 50, True),
        # A 245-word phrase is one clause, and costs as its words do.
        (QueryCost(clauses=1), 245, 1, 10, 0, True),
    ],
)
def test_what_counts_as_expensive(query, words, page, size, buckets, expensive):
    cost = search_cost(query, words=words, page=page, size=size, facet_buckets=buckets)
    assert cost.expensive is expensive


def test_each_knob_adds_to_the_cost():
    base = search_cost(QueryCost(clauses=2), words=2, page=1, size=10).units
    for more in (
        search_cost(QueryCost(clauses=6), words=6, page=1, size=10),
        search_cost(QueryCost(clauses=2), words=2, page=1, size=30),
        search_cost(QueryCost(clauses=2), words=2, page=30, size=10),
        search_cost(QueryCost(clauses=2), words=2, page=1, size=10, facet_buckets=20),
    ):
        assert base < more.units < EXPENSIVE_UNITS


def test_scripts_and_opening_a_point_in_time_are_expensive():
    plain = QueryCost(clauses=1)
    assert search_cost(plain, words=1, page=1, size=10, runs_scripts=True).expensive
    assert search_cost(plain, words=1, page=1, size=10, opens_point_in_time=True).expensive


def test_the_spelling_call_costs_by_its_words_and_their_length():
    assert not spelling_cost(["pyhton"]).expensive  # an ordinary typo
    assert not spelling_cost(["jsn", "dumps", "indnet"]).expensive
    # Long nonsense, the did-you-mean amplification of issue 19: into the lane, or left out when it is busy.
    assert spelling_cost(["dfjnppckzvuxa", "fbfoktukcstkr", "oneqkuocfed", "csalmdmnjxwx"]).expensive
    assert spelling_cost([]).units > 0
