"""`filter=` parsed and built, case by case: what is a range and what a value, the limits at their value and one
past, and what each refusal says. No server. (tests/query/test_parameters.py has the sweeping cases.)"""

import re

import pytest

from search_service.query.filters import (
    MAX_FILTER_VALUE_LENGTH,
    Filter,
    RangeFilter,
    ValueFilter,
    describe_allowed,
    filter_clauses,
    is_range_bound,
    parse_field_names,
    parse_filter,
    parse_filters,
)

ALLOWED = ["category", "price", "released"]


def refused_with(message: str) -> "pytest.RaisesExc[ValueError]":
    """Expects a ValueError saying exactly `message`: what the 422's detail tells the caller."""
    return pytest.raises(ValueError, match=f"^{re.escape(message)}$")


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "10",
        "+10",
        "-2.5",
        "2.",
        ".5",
        "1e5",
        "1E5",
        "1e+5",
        "2.5e-3",
        "2024",
        "2024-06",
        "2024-06-30",
        "2024-06-30T10",
        "2024-06-30 10:15",
        "2024-06-30T10:15:30",
        "2024-06-30T10:15:30.123456789",
        "2024-06-30T10:15:30Z",
        "2024-06-30T10:15:30+02:00",
        "2024-06-30T10:15-0530",
    ],
)
def test_numbers_and_iso_dates_are_range_ends(text):
    assert is_range_bound(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        ".",
        "e5",
        "1e",
        "1x",
        "x1",
        "1.2.3",
        "v1",
        "2024-06-3",
        "2024-6",
        "2024-06-30t10",  # Elasticsearch's date format wants the capital T
        "2024-06-30T10:15:30z",
        "2024-06-30T10:15:30.1234567890",
        "2024-06-30T10:15:30+2",
        " 10",
        "10 ",
    ],
)
def test_anything_else_is_not(text):
    assert not is_range_bound(text)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("price:1e3..2E3", RangeFilter("price", "1e3", "2E3")),
        ("price: 10 .. 20 ", RangeFilter("price", "10", "20")),
        ("price:1...2", RangeFilter("price", "1", ".2")),  # split at the first `..`
        ("released:2024-06-30T10:15:30Z..", RangeFilter("released", "2024-06-30T10:15:30Z", None)),
        ("category:..", None),  # refused: see below
        ("category:a..b", ValueFilter("category", "a..b")),  # not numbers: a value with `..` in it
        ("category:1..b", ValueFilter("category", "1..b")),  # one end a number is not enough
        ("category:1.2.3", ValueFilter("category", "1.2.3")),
        ('category:"x"', ValueFilter("category", "x")),
        ('category:""', ValueFilter("category", "")),  # quoted: exactly this value, even the empty one
        ('category:"', ValueFilter("category", '"')),  # one quote is no pair
        ('category:x"', ValueFilter("category", 'x"')),
    ],
)
def test_a_filter_is_a_range_only_when_its_ends_are_numbers_or_dates(raw, parsed):
    if parsed is None:
        with refused_with("the range for 'category' needs at least one end, e.g. category:10.. or category:..20"):
            parse_filter(raw, ALLOWED)
    else:
        assert parse_filter(raw, ALLOWED) == parsed


def test_a_value_may_be_as_long_as_the_limit_and_not_one_character_more():
    at_limit = "x" * MAX_FILTER_VALUE_LENGTH

    assert MAX_FILTER_VALUE_LENGTH == 256
    assert parse_filter(f"category:{at_limit}", ALLOWED) == ValueFilter("category", at_limit)
    assert parse_filter(f"category:  {at_limit}  ", ALLOWED) == ValueFilter("category", at_limit)  # blanks are cut
    with refused_with("the value for 'category' is longer than 256 characters"):
        parse_filter(f"category:{at_limit}x", ALLOWED)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("category", "'category' is not field:value or field:low..high"),
        (":x", "':x' is not field:value or field:low..high"),
        ("  :x", "'  :x' is not field:value or field:low..high"),
        ("c" * 70, f"{'c' * 60!r} is not field:value or field:low..high"),
        ("secret:x", "cannot filter on 'secret'; allowed: category, price, released"),
        ("s" * 70 + ":x", f"cannot filter on {'s' * 60!r}; allowed: category, price, released"),
        ("price:..", "the range for 'price' needs at least one end, e.g. price:10.. or price:..20"),
        ("price: .. ", "the range for 'price' needs at least one end, e.g. price:10.. or price:..20"),
        ("category:", "the filter on 'category' has no value"),
        ("category:   ", "the filter on 'category' has no value"),
    ],
)
def test_a_bad_filter_says_what_is_wrong(raw, message):
    with refused_with(message):
        parse_filter(raw, ALLOWED)


def test_with_no_filter_fields_filtering_is_off():
    with refused_with("cannot filter on 'category'; filtering is turned off (SEARCH_FILTER_FIELDS is empty)"):
        parse_filter("category:x", [])


def test_describe_allowed_lists_the_fields_or_says_the_feature_is_off():
    assert describe_allowed("sorting", ["a", "b"], "SEARCH_SORT_FIELDS") == "allowed: a, b"
    assert (
        describe_allowed("sorting", [], "SEARCH_SORT_FIELDS") == "sorting is turned off (SEARCH_SORT_FIELDS is empty)"
    )


def test_as_many_filters_as_allowed_and_not_one_more():
    four = ["category:a", "category:b", "price:1..", "released:2024"]

    assert len(parse_filters(four, ALLOWED, 4)) == 4
    with refused_with("at most 4 filters are accepted, got 5"):
        parse_filters([*four, "category:c"], ALLOWED, 4)


def test_field_names_are_trimmed_deduplicated_and_checked():
    facets = {"refusal": "cannot facet on", "feature": "faceting", "setting": "SEARCH_FACET_FIELDS"}

    assert parse_field_names(["", " price", "  ", "category ", "price"], ALLOWED, **facets) == ["price", "category"]
    with refused_with(f"cannot facet on {'t' * 60!r}; allowed: category, price, released"):
        parse_field_names(["t" * 70], ALLOWED, **facets)
    with refused_with("cannot facet on 'tags'; faceting is turned off (SEARCH_FACET_FIELDS is empty)"):
        parse_field_names(["tags"], [], **facets)


def test_one_value_is_a_terms_clause_and_repeats_are_dropped_in_order():
    filters = [ValueFilter("category", "b"), ValueFilter("category", "a"), ValueFilter("category", "b")]

    assert filter_clauses(filters) == {"category": {"terms": {"category": ["b", "a"]}}}


def test_a_range_names_only_the_ends_it_has_and_a_dates_format():
    filters = [
        RangeFilter("price", "1", None),
        RangeFilter("released", None, "2024-12-31", date_format="yyyy-MM-dd"),
    ]

    assert filter_clauses(filters) == {
        "price": {"range": {"price": {"gte": "1"}}},
        "released": {"range": {"released": {"lte": "2024-12-31", "format": "yyyy-MM-dd"}}},
    }


def test_values_come_before_ranges_in_a_fields_alternatives():
    filters: list[Filter] = [RangeFilter("price", "5", "6"), ValueFilter("price", "1"), RangeFilter("price", None, "0")]

    assert filter_clauses(filters) == {
        "price": {
            "bool": {
                "should": [
                    {"terms": {"price": ["1"]}},
                    {"range": {"price": {"gte": "5", "lte": "6"}}},
                    {"range": {"price": {"lte": "0"}}},
                ],
                "minimum_should_match": 1,
            }
        }
    }


def test_no_filters_make_no_clauses():
    assert filter_clauses([]) == {}
