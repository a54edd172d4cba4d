"""Filters, facets, sorting and cursors as pure functions: parsing, the field policy, the bodies built. No server."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search_service.query.body import build_search_body
from search_service.query.cursor import Cursor, read_cursor, write_cursor
from search_service.query.facets import facet_aggregations, parse_facets
from search_service.query.filters import RangeFilter, ValueFilter, filter_clauses, parse_filter, parse_filters
from search_service.query.rules import QueryRefused
from search_service.query.sorting import SortKey, parse_sort, sort_clauses

ALLOWED = ["category", "price", "released"]


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("category:books", ValueFilter("category", "books")),
        (" category : books ", ValueFilter("category", "books")),
        ("category:a:b", ValueFilter("category", "a:b")),
        ("price:10..20", RangeFilter("price", "10", "20")),
        ("price:10..", RangeFilter("price", "10", None)),
        ("price:..-2.5", RangeFilter("price", None, "-2.5")),
        ("released:2024-01-01..2024-12-31T23:59:59Z", RangeFilter("released", "2024-01-01", "2024-12-31T23:59:59Z")),
        ("category:1.2..beta", ValueFilter("category", "1.2..beta")),  # not numbers or dates: a value
        ('category:"10..20"', ValueFilter("category", "10..20")),  # quoted: always a value
    ],
)
def test_filters_parse(raw, parsed):
    assert parse_filter(raw, ALLOWED) == parsed


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("secret:x", "cannot filter on 'secret'; allowed: category, price, released"),
        ("category", "is not field:value"),
        (":x", "is not field:value"),
        ("price:..", "needs at least one end"),
        ("category:", "has no value"),
        ("category:" + "x" * 257, "longer than 256"),
    ],
)
def test_bad_filters_say_why(raw, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_filter(raw, ALLOWED)


def test_no_filter_fields_means_filtering_is_off():
    with pytest.raises(ValueError, match=r"turned off \(SEARCH_FILTER_FIELDS is empty\)"):
        parse_filter("category:x", [])


def test_filter_clauses_or_within_a_field_and_across():
    filters = parse_filters(["category:a", "category:b", "price:..5", "released:2024-01-01.."], ALLOWED, 10)
    assert filter_clauses(filters) == {
        "category": {"terms": {"category": ["a", "b"]}},
        "price": {"range": {"price": {"lte": "5"}}},
        "released": {"range": {"released": {"gte": "2024-01-01"}}},
    }
    mixed = filter_clauses(parse_filters(["price:1", "price:5..6"], ALLOWED, 10))
    assert mixed["price"] == {
        "bool": {
            "should": [{"terms": {"price": ["1"]}}, {"range": {"price": {"gte": "5", "lte": "6"}}}],
            "minimum_should_match": 1,
        }
    }


def test_filters_go_to_the_query_unless_their_field_is_faceted():
    filters = parse_filters(["category:a", "price:1.."], ALLOWED, 10)
    body = build_search_body(query="x", size=10, fields=["name"], filters=filters, facets=["category"])
    assert body["query"]["bool"]["filter"] == [{"range": {"price": {"gte": "1"}}}]
    assert body["post_filter"] == {"bool": {"filter": [{"terms": {"category": ["a"]}}]}}
    assert body["aggs"]["facet:category"]["filter"] == {"match_all": {}}


def test_each_facet_counts_under_the_other_facets_filters():
    post = {"category": {"terms": {"category": ["a"]}}, "tags": {"terms": {"tags": ["t"]}}}
    aggregations = facet_aggregations(["category", "tags"], post, 5)
    assert aggregations["facet:category"]["filter"] == {"bool": {"filter": [post["tags"]]}}
    assert aggregations["facet:tags"]["filter"] == {"bool": {"filter": [post["category"]]}}
    assert aggregations["facet:tags"]["aggs"]["values"]["terms"] == {"field": "tags", "size": 5}


def test_facets_parse_and_dedupe():
    assert parse_facets(["category", " price", "category", ""], ALLOWED) == ["category", "price"]
    with pytest.raises(ValueError, match="cannot facet on 'tags'"):
        parse_facets(["tags"], ALLOWED)


def test_sort_parses_and_builds():
    keys = parse_sort(["-score", "price", "-released"], ALLOWED)
    assert keys == [SortKey("score", True), SortKey("price", False), SortKey("released", True)]
    clauses = sort_clauses(keys, tiebreaker="_shard_doc")
    assert clauses[0] == {"_score": {"order": "desc"}}
    assert clauses[1] == {"price": {"order": "asc", "missing": "_last", "unmapped_type": "keyword"}}
    assert clauses[-1] == {"_shard_doc": {"order": "asc"}}
    assert parse_sort([], ALLOWED) == [SortKey("score", True)]


@pytest.mark.parametrize(
    ("raw", "message"),
    [(["secret"], "cannot sort on 'secret'"), (["price", "-price"], "appears twice"), (["-"], "empty sort key")],
)
def test_bad_sorts_say_why(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_sort(raw, ALLOWED)


def test_the_default_sort_leaves_the_body_as_before():
    assert "sort" not in build_search_body(query="x", size=10, fields=["name"])
    assert build_search_body(query="x", size=10, fields=["name"], offset=30)["from"] == 30
    after = build_search_body(query="x", size=10, fields=["name"], search_after=[1.5, 7], tiebreaker="_shard_doc")
    assert "from" not in after
    assert after["search_after"] == [1.5, 7]
    assert after["sort"] == [{"_score": {"order": "desc"}}, {"_shard_doc": {"order": "asc"}}]


KEY = "test-secret-key"


def test_a_cursor_round_trips():
    cursor = Cursor(digest="abc", offset=20, pit_id="pit==", search_after=[1.25, "x", None, 2**62])
    assert read_cursor(write_cursor(cursor, key=KEY), key=KEY, digest="abc", max_age=60) == cursor


@pytest.mark.parametrize(
    ("token", "digest", "key", "max_age", "code"),
    [
        (None, "abc", "other-key", 60, "invalid_cursor"),
        ("garbage", "abc", KEY, 60, "invalid_cursor"),
        (None, "another-search", KEY, 60, "cursor_mismatch"),
        (None, "abc", KEY, -1, "cursor_expired"),
    ],
)
def test_bad_cursors_are_refused_with_their_own_codes(token, digest, key, max_age, code):
    token = token or write_cursor(Cursor(digest="abc", offset=10), key=KEY)
    with pytest.raises(QueryRefused) as refused:
        read_cursor(token, key=key, digest=digest, max_age=max_age)
    assert refused.value.code == code


@given(st.text(max_size=300))
def test_any_cursor_text_is_refused_cleanly(token):
    with pytest.raises(QueryRefused):
        read_cursor(token, key=KEY, digest="abc", max_age=60)


@given(st.lists(st.text(max_size=80), max_size=20))
def test_any_filter_parameters_give_clauses_on_allowed_fields_or_a_value_error(raw: Any):
    try:
        filters = parse_filters(raw, ALLOWED, 16)
    except ValueError:
        return
    assert set(filter_clauses(filters)) <= set(ALLOWED)


@given(st.lists(st.text(max_size=40), max_size=8))
def test_any_sort_parameters_give_allowed_keys_or_a_value_error(raw: Any):
    try:
        keys = parse_sort(raw, ALLOWED)
    except ValueError:
        return
    assert {key.field for key in keys} <= {"score", *ALLOWED}
