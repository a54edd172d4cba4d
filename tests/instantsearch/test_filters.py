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
    leaves,
    parse_filter_text,
    read_facet_filter,
    read_filters,
    read_numeric_filter,
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


def test_empty_filter_parameters_are_no_filter() -> None:
    # InstantSearch sends `facetFilters: ""` or `[[]]` when no refinement is chosen.
    assert read_filters(facet_filters="", numeric_filters="", filters="  ", allowed=ALLOWED) is None
    assert read_filters(facet_filters=[], numeric_filters=[[]], allowed=ALLOWED) is None


def test_a_group_of_one_is_that_filter_alone() -> None:
    assert read_filters(facet_filters=[["brand:Acme"]], allowed=ALLOWED) == Equals("brand", "Acme")
    assert read_filters(numeric_filters=[["price>1"]], allowed=ALLOWED) == Compare("price", ">", "1")


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ('brand:"Big Acme"', Equals("brand", "Big Acme")),
        ('-brand:"Big Acme"', Not(Equals("brand", "Big Acme"))),
        ('brand:""', Equals("brand", "")),
        # A quote at one end only is part of the value: twelve inches.
        ('size:12"', Equals("size", '12"')),
        ('size:"12', Equals("size", '"12')),
        ('size:"', Equals("size", '"')),
    ],
)
def test_a_quoted_facet_value_is_its_inside(text: str, node: Any) -> None:
    assert read_facet_filter(text) == node


@pytest.mark.parametrize("text", ["brand", ":Acme", "-:Acme", " :Acme"])
def test_a_facet_filter_needs_a_field_and_a_colon(text: str) -> None:
    with pytest.raises(AlgoliaRequestError) as raised:
        read_facet_filter(text)
    assert str(raised.value) == f"facetFilters: {text!r} is not field:value"


def test_a_refusal_quotes_at_most_sixty_characters_of_what_was_sent() -> None:
    long = "x" * 100
    with pytest.raises(AlgoliaRequestError) as raised:
        read_facet_filter(long)
    assert str(raised.value) == f"facetFilters: {'x' * 60!r} is not field:value"
    with pytest.raises(AlgoliaRequestError) as raised:
        read_numeric_filter(long)
    assert str(raised.value) == (
        f"numericFilters: {'x' * 60!r} is not `field op number` (<, <=, =, !=, >=, >) or `field:low TO high`"
    )
    with pytest.raises(AlgoliaRequestError) as raised:
        read_filters(facet_filters=[f"{long}:1"], allowed=ALLOWED)
    assert str(raised.value).startswith(f"cannot filter on {'x' * 60!r}; ")


def test_a_refused_field_is_answered_with_the_fields_that_are_allowed() -> None:
    with pytest.raises(AlgoliaRequestError) as raised:
        read_filters(facet_filters=["cost:1"], allowed=ALLOWED)
    assert str(raised.value) == "cannot filter on 'cost'; allowed: brand, category, price, in_stock"
    with pytest.raises(AlgoliaRequestError) as raised:
        read_filters(filters="brand:a", allowed=())
    assert str(raised.value) == "cannot filter on 'brand'; filtering is turned off (SEARCH_FILTER_FIELDS is empty)"


def test_exactly_the_maximum_number_of_filters_is_accepted() -> None:
    tree = read_filters(facet_filters=[f"brand:{n}" for n in range(MAX_LEAVES)], allowed=ALLOWED)
    assert tree is not None
    assert len(leaves(tree)) == MAX_LEAVES
