"""facetFilters, numericFilters and the `filters` language into one tree, and the tree into one clause. No server."""

from typing import Any

import pytest

from search_service.instantsearch.errors import AlgoliaRequestError
from search_service.instantsearch.filters import (
    MAX_LEAVES,
    All,
    AnyOf,
    Between,
    Compare,
    Equals,
    Not,
    filter_clause,
    parse_filter_text,
    read_filters,
)
from search_service.query.filters import RangeFilter, ValueFilter

ALLOWED = ["brand", "category", "price", "in_stock"]


def as_written(item: ValueFilter | RangeFilter) -> ValueFilter | RangeFilter:
    return item


def test_facet_filters_or_inside_and_across_with_negation() -> None:
    tree = read_filters(facet_filters=[["brand:Acme", "brand:Hooli"], "-category:lamps"], allowed=ALLOWED)
    assert tree == All((AnyOf((Equals("brand", "Acme"), Equals("brand", "Hooli"))), Not(Equals("category", "lamps"))))


def test_an_escaped_dash_is_a_value_and_a_colon_in_a_value_stays() -> None:
    assert read_filters(facet_filters=["brand:\\-minus"], allowed=ALLOWED) == Equals("brand", "-minus")
    assert read_filters(facet_filters=["brand:-minus"], allowed=ALLOWED) == Not(Equals("brand", "minus"))
    assert read_filters(facet_filters="category:a:b", allowed=ALLOWED) == Equals("category", "a:b")


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("price>=10", Compare("price", ">=", "10")),
        ("price < 5.5", Compare("price", "<", "5.5")),
        ("price=3", Equals("price", "3")),
        ("price!=3", Not(Equals("price", "3"))),
        ("price:10 TO 20", Between("price", "10", "20")),
    ],
)
def test_numeric_filters(text: str, node: Any) -> None:
    assert read_filters(numeric_filters=[text], allowed=ALLOWED) == node


def test_the_filter_language_with_precedence_quotes_and_parentheses() -> None:
    tree = parse_filter_text(
        'brand:"Big Acme" AND (category:lamps OR NOT in_stock:true) AND price > 10 OR price:1 TO 2'
    )
    assert tree == AnyOf(
        (
            All(
                (
                    Equals("brand", "Big Acme"),
                    AnyOf((Equals("category", "lamps"), Not(Equals("in_stock", "true")))),
                    Compare("price", ">", "10"),
                )
            ),
            Between("price", "1", "2"),
        )
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("brand:", "expected word"),
        ("(brand:a", "not closed"),
        ("brand:a brand:b", "expected AND or OR"),
        ("brand:a AND", "expected"),
        ("price >", "expected"),
        ("(" * 20 + "brand:a" + ")" * 20, "nested deeper"),
        ('brand:"unclosed', "cannot read"),
    ],
)
def test_malformed_filters_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(AlgoliaRequestError, match=says):
        parse_filter_text(text)


def test_a_field_outside_the_filter_fields_is_refused_wherever_it_is_written() -> None:
    for kwargs in (
        {"facet_filters": ["cost:1"]},
        {"numeric_filters": [["cost>1"]]},
        {"filters": "brand:a OR NOT (cost:1)"},
    ):
        with pytest.raises(AlgoliaRequestError, match="cannot filter on 'cost'"):
            read_filters(allowed=ALLOWED, **kwargs)


def test_the_number_of_filters_is_bounded() -> None:
    with pytest.raises(AlgoliaRequestError, match=f"at most {MAX_LEAVES}"):
        read_filters(facet_filters=[f"brand:{n}" for n in range(MAX_LEAVES + 1)], allowed=ALLOWED)


def test_clauses() -> None:
    tree = parse_filter_text("brand:Acme AND NOT (price > 10 OR price:1 TO 2)")
    assert filter_clause(tree, as_written) == {
        "bool": {
            "filter": [
                {"term": {"brand": "Acme"}},
                {
                    "bool": {
                        "must_not": [
                            {
                                "bool": {
                                    "should": [
                                        {"range": {"price": {"gt": "10"}}},
                                        {"range": {"price": {"gte": "1", "lte": "2"}}},
                                    ],
                                    "minimum_should_match": 1,
                                }
                            }
                        ]
                    }
                },
            ]
        }
    }


def test_a_comparison_on_a_field_without_order_is_refused() -> None:
    with pytest.raises(AlgoliaRequestError, match="has no order"):
        filter_clause(Compare("brand", ">", "a"), lambda item: ValueFilter(item.field, "a..b"))
