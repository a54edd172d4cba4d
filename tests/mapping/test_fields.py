"""The mapping read into fields and roles: no server needed."""

from typing import Any

import pytest

from search_service.mapping.fields import (
    CONFLICT,
    FACET,
    FILTER,
    RANK,
    SEARCH,
    SORT,
    STATS,
    FieldInfo,
    index_fields_from_mapping,
    narrowest_decimal,
)
from tests.products import PRODUCT_MAPPING


def fields_of(*mappings: dict[str, Any]) -> dict[str, FieldInfo]:
    answer = {f"index-{n}": {"mappings": mapping} for n, mapping in enumerate(mappings)}
    return dict(index_fields_from_mapping("alias", answer).fields)


def test_each_type_takes_the_roles_it_can():
    fields = fields_of(PRODUCT_MAPPING)

    assert fields["title"].roles() == [SEARCH, "suggest"]
    assert fields["brand"].roles() == [FILTER, FACET, SORT, "suggest"]
    assert fields["price"].roles() == [FILTER, FACET, SORT, STATS, RANK]
    assert fields["released"].roles() == [FILTER, FACET, SORT, STATS]
    assert fields["in_stock"].roles() == [FILTER, FACET, SORT]


def test_multi_fields_are_fields_but_not_in_source():
    fields = fields_of(PRODUCT_MAPPING)

    assert fields["title.keyword"].type == "keyword"
    assert not fields["title.keyword"].in_source
    assert fields["title"].in_source


def test_objects_are_walked_and_nested_leaves_take_no_role():
    fields = fields_of(
        {
            "properties": {
                "meta": {"properties": {"year": {"type": "integer"}}},
                "reviews": {"type": "nested", "properties": {"stars": {"type": "integer"}}},
            }
        }
    )

    assert fields["meta"].type == "object"
    assert fields["meta"].roles() == []
    assert RANK in fields["meta.year"].roles()
    assert fields["reviews.stars"].in_nested
    assert fields["reviews.stars"].roles() == []


def test_doc_values_and_index_switches_are_honoured():
    fields = fields_of(
        {"properties": {"a": {"type": "keyword", "doc_values": False}, "b": {"type": "long", "index": False}}}
    )

    assert fields["a"].roles() == [FILTER, "suggest"]  # no facet or sort without doc values
    assert FILTER not in fields["b"].roles()
    assert SORT in fields["b"].roles()


def test_a_numeric_field_widened_by_a_reindex_reads_as_the_wider_type():
    # integer in last year's index, long in this year's: an ordinary reindex, not a conflict (found by the attack run).
    fields = fields_of({"properties": {"n": {"type": "integer"}}}, {"properties": {"n": {"type": "long"}}})
    floats = fields_of({"properties": {"x": {"type": "float"}}}, {"properties": {"x": {"type": "half_float"}}})

    assert fields["n"].type == "long"
    assert RANK in fields["n"].roles()
    assert floats["x"].type == "double"


def test_runtime_fields_are_known_as_such():
    fields = index_fields_from_mapping(
        "i", {"i": {"mappings": {"properties": {"a": {"type": "long"}}, "runtime": {"r": {"type": "long"}}}}}
    )

    assert fields.any_runtime(["a", "r"])
    assert not fields.any_runtime(["a", "missing"])


def test_a_field_mapped_differently_behind_an_alias_is_a_conflict():
    fields = fields_of({"properties": {"x": {"type": "keyword"}}}, {"properties": {"x": {"type": "long"}}})

    assert fields["x"].type == CONFLICT
    assert fields["x"].types_seen == ("keyword", "long")
    assert fields["x"].roles() == []


def test_field_aliases_and_runtime_fields_take_their_targets_roles_outside_source():
    fields = fields_of(
        {
            "properties": {"price": {"type": "float"}, "cost_alias": {"type": "alias", "path": "price"}},
            "runtime": {"day": {"type": "keyword"}},
        }
    )

    assert fields["cost_alias"].type == "float"
    assert not fields["cost_alias"].in_source
    assert fields["day"].roles() == [FILTER, FACET, SORT, "suggest"]
    assert not fields["day"].in_source


def test_the_generation_is_the_sorted_concrete_indices():
    answer: dict[str, Any] = {"b-2": {"mappings": {}}, "a-1": {"mappings": {}}}

    assert index_fields_from_mapping("alias", answer).indices == ("a-1", "b-2")


@pytest.mark.parametrize(
    ("value", "field_type", "expected"),
    [
        (5.989999771118164, "float", 5.99),  # Elasticsearch's double for the float 5.99
        (504.989990234375, "float", 504.99),
        (4.5, "half_float", 4.5),
        (2.30078125, "half_float", 2.3),
        (65504.0, "half_float", 65500.0),  # 7e4 overflows a half_float on the way: skipped, not a 500
        (0.1, "double", 0.1),
        (5.989999771118164, "double", 5.989999771118164),  # a double is what it says
        (1e39, "float", 1e39),  # beyond a float: left alone
    ],
)
def test_floats_come_back_as_the_decimals_that_were_indexed(value, field_type, expected):
    assert narrowest_decimal(value, field_type) == expected
