"""The `filters` language read exactly, and comparisons and date ranges built into clauses with the index's types.
No server."""

import re
from typing import Any

import pytest

from search_service.instantsearch.errors import AlgoliaRequestError
from search_service.instantsearch.filters import (
    MAX_DEPTH,
    Between,
    Compare,
    Equals,
    Not,
    filter_clause,
    parse_filter_text,
    read_filters,
)
from search_service.mapping.fields import FieldInfo, IndexFields
from search_service.query.filter_values import DATE_QUERY_FORMAT, type_filters
from search_service.query.filters import RangeFilter, ValueFilter

FIELDS = IndexFields(
    name="products",
    indices=("products",),
    fields={
        "brand": FieldInfo("brand", "keyword"),
        "price": FieldInfo("price", "double"),
        "released": FieldInfo("released", "date"),
    },
)


def typed(item: ValueFilter | RangeFilter) -> ValueFilter | RangeFilter:
    """As the endpoint types a leaf: by the field's mapped type."""
    return type_filters([item], FIELDS)[0]


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("price = 3", Equals("price", "3")),
        ("price != 3", Not(Equals("price", "3"))),
        ("price <= 3", Compare("price", "<=", "3")),
        # A quoted attribute name, a quoted value, quoted range ends.
        ('"brand":Acme', Equals("brand", "Acme")),
        ('released:"2024-01-01" TO "2024-12-31"', Between("released", "2024-01-01", "2024-12-31")),
        # Inside quotes a backslash escapes the next character: a quote, or a backslash itself.
        (r'brand:"say \"hi\""', Equals("brand", 'say "hi"')),
        (r'brand:"a\\b"', Equals("brand", "a\\b")),
        # Spaces after the last filter (a front end's string building) are nothing.
        ("brand:Acme   ", Equals("brand", "Acme")),
    ],
)
def test_the_filter_language(text: str, node: Any) -> None:
    assert parse_filter_text(text) == node


def test_trailing_spaces_pass_through_the_request_reader() -> None:
    assert read_filters(filters="brand:Acme \t", allowed=["brand"]) == Equals("brand", "Acme")


def test_nesting_by_parentheses_or_not_is_accepted_up_to_max_depth() -> None:
    deepest = "(" * MAX_DEPTH + "brand:a" + ")" * MAX_DEPTH
    assert parse_filter_text(deepest) == Equals("brand", "a")
    negated: Any = Equals("brand", "a")
    for _ in range(MAX_DEPTH):
        negated = Not(negated)
    assert parse_filter_text("NOT " * MAX_DEPTH + "brand:a") == negated
    message = f"^filters: nested deeper than {MAX_DEPTH} levels$"
    for too_deep in (
        "(" * (MAX_DEPTH + 1) + "brand:a" + ")" * (MAX_DEPTH + 1),
        "NOT " * (MAX_DEPTH + 1) + "brand:a",
        # Far past any limit: refused as too deep, not a recursion error.
        "NOT " * 5_000 + "brand:a",
        "(" * 5_000 + "brand:a" + ")" * 5_000,
    ):
        with pytest.raises(AlgoliaRequestError, match=message):
            parse_filter_text(too_deep)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("brand:a brand:b", "filters: expected AND or OR, found 'brand'"),
        ("brand:", "filters: expected word or quoted, found the end"),
        ("brand:a AND price", "filters: expected op, found the end"),
        # What was found is quoted to 30 characters.
        ("brand:a " + "y" * 40, f"filters: expected AND or OR, found {'y' * 30!r}"),
        ("(brand:a", "filters: a parenthesis is not closed"),
        ("(brand:a OR brand:b", "filters: a parenthesis is not closed"),
        # What cannot be read is quoted to 20 characters.
        ('brand:"unclosed value that goes on', "filters: cannot read '\"unclosed value that'"),
        ('brand:a OR "', "filters: cannot read ' \"'"),
    ],
)
def test_malformed_filters_are_answered_exactly(text: str, message: str) -> None:
    with pytest.raises(AlgoliaRequestError, match=f"^{re.escape(message)}$"):
        parse_filter_text(text)


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("price > 1e3", {"gt": "1000"}),
        ("price >= 10", {"gte": "10"}),
        ("price < 5.50", {"lt": "5.5"}),
        ("price <= 5", {"lte": "5"}),
    ],
)
def test_a_comparison_is_a_one_sided_range_of_the_typed_number(text: str, bounds: dict[str, str]) -> None:
    assert filter_clause(parse_filter_text(text), typed) == {"range": {"price": bounds}}


def test_a_comparison_is_typed_as_the_open_range_it_means() -> None:
    # `price > 1` is read as /search's `price:1..` would be, `price < 3` as `price:..3`: the same typing rules.
    seen: list[ValueFilter | RangeFilter] = []

    def recording(item: ValueFilter | RangeFilter) -> ValueFilter | RangeFilter:
        seen.append(item)
        return item

    for text in ("price > 1", "price >= 2", "price < 3", "price <= 4"):
        filter_clause(parse_filter_text(text), recording)
    assert seen == [
        RangeFilter("price", "1", None),
        RangeFilter("price", "2", None),
        RangeFilter("price", None, "3"),
        RangeFilter("price", None, "4"),
    ]


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("released >= 2024-01-01", {"gte": "2024-01-01"}),
        ("released < now-7d/d", {"lt": "now-7d/d"}),
        ("released:2024-01-01 TO 2024-06-30", {"gte": "2024-01-01", "lte": "2024-06-30"}),
        ("released:2024", {"gte": "2024", "lte": "2024"}),  # the whole year
    ],
)
def test_a_date_filter_sends_the_format_its_ends_are_written_in(text: str, bounds: dict[str, str]) -> None:
    clause = filter_clause(parse_filter_text(text), typed)
    assert clause == {"range": {"released": {**bounds, "format": DATE_QUERY_FORMAT}}}


def test_a_keyword_value_is_a_term_and_a_number_range_has_no_format() -> None:
    assert filter_clause(parse_filter_text("brand:Acme"), typed) == {"term": {"brand": "Acme"}}
    assert filter_clause(parse_filter_text("price:1 TO 2"), typed) == {"range": {"price": {"gte": "1", "lte": "2"}}}
