"""The field settings against a mapping: one line per problem, naming the variable, the field and the types."""

from typing import Any

import pytest

from search_service.mapping.check import check_mapping
from search_service.mapping.fields import index_fields_from_mapping
from search_service.settings import ServiceSettings
from tests.products import PRODUCT_ENVIRONMENT, PRODUCT_MAPPING

PRODUCTS = index_fields_from_mapping("products", {"products-1": {"mappings": PRODUCT_MAPPING}})


def errors_for(**overrides: Any) -> list[str]:
    return check_mapping(ServiceSettings(**(PRODUCT_ENVIRONMENT | overrides)), PRODUCTS).errors


def test_settings_that_fit_have_no_errors_and_no_warnings():
    assert check_mapping(ServiceSettings(**PRODUCT_ENVIRONMENT), PRODUCTS).errors == []
    assert check_mapping(ServiceSettings(**PRODUCT_ENVIRONMENT), PRODUCTS).warnings == []


def test_the_demo_defaults_against_another_index_point_at_inspect_index():
    errors = check_mapping(ServiceSettings(), PRODUCTS).errors

    assert len(errors) == 1
    assert "still hold the demo's defaults" in errors[0]
    assert "manage.py inspect_index" in errors[0]
    assert "SEARCH_FIELDS" in errors[0]
    assert "SEARCH_RANK_FIELD" in errors[0]


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        (
            {"search_filter_fields": "brand,prise"},
            "SEARCH_FILTER_FIELDS: 'prise' is not a field of index 'products'; did you mean 'price'?",
        ),
        (
            {"search_facet_fields": "title"},
            "SEARCH_FACET_FIELDS: 'title' is mapped as text; it must be a keyword, numeric, date, boolean or ip "
            "field with doc values (its sub-field 'title.keyword' is one)",
        ),
        (
            {"search_sort_fields": "description"},
            "SEARCH_SORT_FIELDS: 'description' is mapped as text; it must be a keyword, numeric, date, boolean or "
            "ip field with doc values",
        ),
        (
            {"search_rank_field": "brand"},
            "SEARCH_RANK_FIELD: 'brand' is mapped as keyword; it must be a numeric field with doc values",
        ),
        (
            {"search_rank_field": "-in_stock"},
            "SEARCH_RANK_FIELD: 'in_stock' is mapped as boolean; it must be a numeric field with doc values",
        ),
        (
            {"search_source_fields": "title.keyword"},
            "SEARCH_SOURCE_FIELDS: 'title.keyword' is a sub-field or runtime field: it is never in a document's "
            "_source; list 'title' instead",
        ),
        ({"search_fields": "price"}, "SEARCH_FIELDS: 'price' is mapped as float; it must be a text field"),
        ({"search_suggest_field": "price"}, "SEARCH_SUGGEST_FIELD: 'price' is mapped as float; it must be a keyword"),
        ({"search_query_fields": "title,nope"}, "SEARCH_QUERY_FIELDS: 'nope' is not a field of index 'products'"),
        ({"search_fields": "meta.*"}, "SEARCH_FIELDS: 'meta.*' is not a field of index 'products'"),
    ],
)
def test_each_misfit_is_one_line_naming_variable_field_and_types(overrides, line):
    errors = errors_for(**overrides)

    assert len(errors) == 1, errors
    assert errors[0].startswith(line)


def test_a_keyword_field_searched_is_a_warning_not_an_error():
    check = check_mapping(ServiceSettings(**(PRODUCT_ENVIRONMENT | {"search_fields": "title,brand"})), PRODUCTS)

    assert check.errors == []
    assert check.warnings == [
        "SEARCH_FIELDS: 'brand' is mapped as keyword: it matches only the whole, case-sensitive value"
    ]


def test_a_nested_object_may_be_returned_whole_but_not_filtered():
    nested = {
        "properties": {"title": {"type": "text"}, "reviews": {"type": "nested", "properties": {"s": {"type": "long"}}}}
    }
    fields = index_fields_from_mapping("r", {"r": {"mappings": nested}})
    base: dict[str, Any] = {
        "search_fields": "title",
        "search_query_fields": "title",
        "search_rank_field": "",
        "search_suggest_field": "",
        "search_filter_fields": "",
        "search_facet_fields": "",
        "search_sort_fields": "",
    }

    returned = check_mapping(ServiceSettings(**(base | {"search_source_fields": "title,reviews"})), fields)
    filtered = check_mapping(ServiceSettings(**(base | {"search_filter_fields": "reviews.s"})), fields)

    assert returned.errors == []
    assert filtered.errors == [
        "SEARCH_FILTER_FIELDS: 'reviews.s' is inside a nested object (long); it must be a keyword, numeric, date, "
        "boolean or ip field that is indexed"
    ]


def test_patterns_and_the_wildcard_need_only_match_something():
    assert errors_for(search_fields="ti*", search_query_fields="*", search_source_fields="*") == []
