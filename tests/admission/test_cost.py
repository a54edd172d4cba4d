"""The cost estimate: ordinary searches cost about one unit, and each knob near its limit adds up. No server."""

import pytest

from search_service.admission.cost import (
    EXPENSIVE_UNITS,
    LOOKUP,
    ORDINARY_HITS,
    ORDINARY_TERMS,
    SPELLING_LETTERS_PER_UNIT,
    UNITS_FOR_FACET_VALUE_SEARCH,
    UNITS_FOR_POINT_IN_TIME,
    UNITS_FOR_SCRIPTS,
    UNITS_PER_EXPANDING_TERM,
    UNITS_PER_EXTRA_HIT,
    UNITS_PER_EXTRA_TERM,
    UNITS_PER_FACET_BUCKET,
    Cost,
    batch_cost,
    facet_search_cost,
    search_cost,
    spelling_cost,
    tolerant_cost,
)
from search_service.query.policy import QueryCost

ORDINARY = QueryCost(clauses=2)


def units(query: QueryCost = ORDINARY, *, words: int = 2, page: int = 1, size: int = 10, **more) -> float:
    return search_cost(query, words=words, page=page, size=size, **more).units


def test_an_ordinary_search_costs_one_unit():
    assert units() == 1.0


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


def test_expensive_starts_exactly_at_expensive_units():
    assert not Cost(EXPENSIVE_UNITS - 0.01).expensive
    assert Cost(EXPENSIVE_UNITS).expensive
    assert Cost(EXPENSIVE_UNITS + 0.01).expensive


@pytest.mark.parametrize(
    ("what", "added"),
    [
        # Words and clauses: the larger of the two counts, each past the ordinary two.
        ({"words": ORDINARY_TERMS + 1}, UNITS_PER_EXTRA_TERM),
        ({"query": QueryCost(clauses=ORDINARY_TERMS + 3)}, 3 * UNITS_PER_EXTRA_TERM),
        ({"query": QueryCost(clauses=1), "words": 1}, 0.0),  # fewer than ordinary costs no less
        # Hits past ten, one at a time.
        ({"size": ORDINARY_HITS + 1}, UNITS_PER_EXTRA_HIT),
        ({"size": 1}, 0.0),
        # Depth: (page - 1) x size hits, 2 units a thousand; page 1 is no depth at all.
        ({"page": 2}, 0.02),
        ({"page": 101, "size": 100}, 20.0 + 90 * UNITS_PER_EXTRA_HIT),
        ({"page": 0}, 0.0),
        ({"facet_buckets": 1}, UNITS_PER_FACET_BUCKET),
        ({"runs_scripts": True}, UNITS_FOR_SCRIPTS),
        ({"opens_point_in_time": True}, UNITS_FOR_POINT_IN_TIME),
    ],
)
def test_each_knob_adds_its_own_weight(what, added):
    assert units(**what) == pytest.approx(1.0 + added)


@pytest.mark.parametrize("kind", ["wildcard_terms", "fuzzy_terms", "regex_terms", "range_terms"])
def test_each_term_expanding_clause_adds_its_weight(kind):
    one = QueryCost(clauses=1, **{kind: 1})
    two = QueryCost(clauses=2, **{kind: 2})
    assert units(one, words=1) == 1.0 + UNITS_PER_EXPANDING_TERM
    assert units(two) == 1.0 + 2 * UNITS_PER_EXPANDING_TERM


def test_the_expanding_kinds_add_up():
    every = QueryCost(clauses=2, wildcard_terms=1, fuzzy_terms=1, regex_terms=1, range_terms=1)
    assert units(every) == 1.0 + 4 * UNITS_PER_EXPANDING_TERM


def test_costs_are_rounded_to_hundredths():
    # Depth 11 costs 0.022 units: 1 + 0.05 + 0.022 is kept as 1.07, not 1.072, and not rounded to a whole unit.
    assert units(page=2, size=11) == 1.07
    assert units(words=3) == 1.35


def test_each_knob_adds_to_the_cost():
    base = units()
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


def test_the_spelling_call_costs_a_unit_a_word_and_one_per_six_letters():
    assert spelling_cost(["a" * SPELLING_LETTERS_PER_UNIT]).units == 2.0
    assert spelling_cost(["abcd"]).units == 1.67  # 1 + 4/6, in hundredths
    assert spelling_cost(["ab", "abcd"]).units == 3.0
    assert spelling_cost([]).units == 1.0  # never less than an ordinary search


def test_a_lookup_is_cheaper_than_any_search():
    assert LOOKUP.units < units(QueryCost(), words=0, size=0)
    assert not LOOKUP.expensive


def test_the_tolerant_pass_is_priced_on_top_of_its_search():
    search = Cost(1.5)
    assert tolerant_cost(search, typo_words=0, completed=False).units == 1.5
    assert tolerant_cost(search, typo_words=2, completed=True).units == 1.5 + 2 * 2.0 + 1.0
    # A one-letter completion walks the term dictionary like a wildcard: the expensive lane.
    assert tolerant_cost(search, typo_words=1, completed=True, short_completion=True).expensive
    assert not tolerant_cost(search, typo_words=1, completed=True).expensive


def test_the_lane_is_chosen_by_lane_units_when_given():
    assert not Cost(3 * EXPENSIVE_UNITS, lane_units=1.0).expensive
    assert Cost(1.0, lane_units=EXPENSIVE_UNITS).expensive
    assert not Cost(1.0, lane_units=EXPENSIVE_UNITS - 0.01).expensive


def test_a_batch_is_charged_its_sum_in_the_lane_of_its_costliest_search():
    # A search page: four searches with their facets (50 buckets each), 4 units apiece.
    page = [search_cost(ORDINARY, words=2, page=1, size=10, facet_buckets=50) for _ in range(4)]
    batch = batch_cost(page)
    assert batch.units == sum(cost.units for cost in page) == 16.0
    assert not batch.expensive  # no one of them is, though their sum is past EXPENSIVE_UNITS
    assert batch_cost([*page, Cost(EXPENSIVE_UNITS)]).expensive
    assert batch_cost([Cost(1.25), Cost(2.5)]) == Cost(3.75, lane_units=2.5)
    assert batch_cost([Cost(1.0)]) == Cost(1.0, lane_units=1.0)


def test_a_facet_value_search_costs_its_counts_and_a_unit_more():
    # maxFacetHits=10 over an ordinary query: 1 + 10 buckets, then the regular expression over the values.
    counts = search_cost(ORDINARY, words=2, page=1, size=0, facet_buckets=10)
    cost = facet_search_cost(counts)
    assert cost.units == 2.6 == counts.units + UNITS_FOR_FACET_VALUE_SEARCH
    assert not cost.expensive
    # maxFacetHits=100 counts 100 buckets: 7 units, 8 with the value search, in the expensive lane.
    assert facet_search_cost(search_cost(ORDINARY, words=2, page=1, size=0, facet_buckets=100)).expensive


def test_every_estimate_is_kept_in_hundredths_whatever_it_is_built_from():
    odd = Cost(1.234)
    assert tolerant_cost(odd, typo_words=0, completed=False).units == 1.23
    assert tolerant_cost(odd, typo_words=1, completed=True).units == 4.23
    assert facet_search_cost(odd).units == 2.23
    assert batch_cost([Cost(0.333)] * 3).units == 1.0
