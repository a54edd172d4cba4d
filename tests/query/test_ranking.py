"""Custom ranking bodies are pure functions of the query and the field: no server needed (tests/test_ranking.py
runs them on the real node)."""

import copy
import json
import math
from typing import Any

import pytest

from search_service.query.body import build_query
from search_service.query.ranking import BOOST_PER_DECADE, MAX_BOOST, RANK_DECADES, rank_query

QUERY = build_query(query="requests", fields=["name^3", "summary"])


def multiplier(body: dict[str, Any], value: float | None) -> float:
    """What the function_score multiplies a document's text score by, for the field's value (None: missing),
    evaluated the way Elasticsearch documents each part."""
    function_score = body["function_score"]
    assert (function_score["score_mode"], function_score["boost_mode"]) == ("sum", "multiply")
    total = 0.0
    for function in function_score["functions"]:
        if "filter" in function:
            [bounds] = function["filter"]["range"].values()
            if value is None or not all(
                {"gt": value > limit, "gte": value >= limit, "lt": value < limit}[op] for op, limit in bounds.items()
            ):
                continue
        factor = 1.0
        if "field_value_factor" in function:
            assert function["field_value_factor"]["modifier"] == "log1p"
            assert value is not None
            factor = math.log10(1 + value)
        total += function["weight"] * factor
    return min(total, float(function_score["max_boost"]))


def test_no_field_leaves_the_query_as_it_is():
    assert rank_query(QUERY, "") is QUERY


@pytest.mark.parametrize("rank_field", ["popularity", "-rank"])
def test_the_text_query_is_wrapped_unchanged_and_multiplied(rank_field):
    original = copy.deepcopy(QUERY)

    body = rank_query(QUERY, rank_field)

    assert body["function_score"]["query"] == original
    assert original == QUERY
    assert body["function_score"]["boost_mode"] == "multiply"


@pytest.mark.parametrize("rank_field", ["popularity", "-rank"])
def test_only_core_functions_that_work_on_any_numeric_mapping(rank_field):
    text = json.dumps(rank_query(QUERY, rank_field))

    # Scripts are off on the test distribution; rank_feature needs its own mapping; decay functions refuse an
    # index where the field is unmapped.
    for refused in ("script", "rank_feature", '"exp"', '"gauss"', '"linear"'):
        assert refused not in text


def test_popularity_is_log_scaled_and_capped():
    body = rank_query(QUERY, "popularity")

    assert [multiplier(body, value) for value in (9, 99, 999, 9_999)] == pytest.approx([1.5, 2, 2.5, 3])
    assert multiplier(body, 999_999) == pytest.approx(MAX_BOOST)
    assert multiplier(body, 10**12) == MAX_BOOST
    # Each tenfold adds the same, so the gain from 500 to 50,000 is smaller than from 5 to 50,000.
    assert multiplier(body, 50_000) / multiplier(body, 500) == pytest.approx(1.43, abs=0.01)


@pytest.mark.parametrize("value", [None, 0, -1, -5, -(10**9)])
def test_missing_zero_and_negative_values_are_not_boosted(value):
    assert multiplier(rank_query(QUERY, "popularity"), value) == 1
    if value != 0:
        assert multiplier(rank_query(QUERY, "-rank"), value) == 1


def test_popularity_guards_each_value_it_cannot_take():
    [floor, popularity] = rank_query(QUERY, "popularity")["function_score"]["functions"]

    assert floor == {"weight": 1}
    # log10(1 + x) fails the search for x <= -1; `missing` lets an index without the field answer.
    assert popularity["filter"] == {"range": {"popularity": {"gt": 0}}}
    assert popularity["field_value_factor"] == {"field": "popularity", "modifier": "log1p", "missing": 0}
    assert popularity["weight"] == BOOST_PER_DECADE


@pytest.mark.parametrize(
    ("rank", "expected"),
    [(0, MAX_BOOST), (9, MAX_BOOST), (10, 3.5), (99, 3.5), (100, 3), (12_345, 2), (999_999, 1.5), (10**6, 1)],
)
def test_lower_is_better_steps_down_a_decade_at_a_time(rank, expected):
    body = rank_query(QUERY, "-rank")

    assert multiplier(body, rank) == pytest.approx(expected)


def test_lower_is_better_names_the_field_without_its_minus():
    functions = rank_query(QUERY, "-rank")["function_score"]["functions"]

    assert [function["filter"]["range"] for function in functions[1:]] == [
        {"rank": {"gte": 0, "lt": decade}} for decade in RANK_DECADES
    ]
