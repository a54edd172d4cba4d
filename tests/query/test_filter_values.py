"""Filter values read by their field's mapped type, before Elasticsearch sees them: no server needed."""

import pytest

from search_service.mapping.fields import index_fields_from_mapping
from search_service.query.filter_values import DATE_QUERY_FORMAT, FilterValueError, type_filters
from search_service.query.filters import RangeFilter, ValueFilter, parse_filter

MAPPING = {
    "properties": {
        "brand": {"type": "keyword"},
        "price": {"type": "float"},
        "rating": {"type": "half_float"},
        "stock": {"type": "integer"},
        "tiny": {"type": "byte"},
        "in_stock": {"type": "boolean"},
        "released": {"type": "date", "format": "yyyy/MM/dd"},
        "address": {"type": "ip"},
        "nanos": {"type": "date_nanos"},
    }
}
FIELDS = index_fields_from_mapping("i", {"i": {"mappings": MAPPING}})


def typed(raw: str):
    [item] = type_filters([parse_filter(raw, list(FIELDS.fields))], FIELDS)
    return item


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("in_stock:True", ValueFilter("in_stock", "true")),
        ("in_stock:FALSE", ValueFilter("in_stock", "false")),
        ("price:9.99", ValueFilter("price", "9.99")),
        ("price:1e3", ValueFilter("price", "1000")),
        ("price:10..20", RangeFilter("price", "10", "20")),
        ("price:..20.5", RangeFilter("price", None, "20.5")),
        ("stock:-3", ValueFilter("stock", "-3")),
        ("stock:2.5..", RangeFilter("stock", "2.5", None)),
        ("released:2024-01-31", RangeFilter("released", "2024-01-31", "2024-01-31", DATE_QUERY_FORMAT)),
        ("released:now-7d/d..", RangeFilter("released", "now-7d/d", None, DATE_QUERY_FORMAT)),
        ("released:2024-01-01||+1M..now", RangeFilter("released", "2024-01-01||+1M", "now", DATE_QUERY_FORMAT)),
        ("brand:1..2", ValueFilter("brand", "1..2")),  # a keyword has no ranges: the text itself
        ("address:10.0.0.0/8", ValueFilter("address", "10.0.0.0/8")),
        ("address:::1", ValueFilter("address", "::1")),
        ("address:0:0:0:0:0:0:0:1", ValueFilter("address", "::1")),  # as its facet writes it
        ("address:::ffff:10.0.0.1", ValueFilter("address", "10.0.0.1")),
        (
            "released:2024-01-31T12:00:00-18:00",
            RangeFilter("released", "2024-01-31T12:00:00-18:00", "2024-01-31T12:00:00-18:00", DATE_QUERY_FORMAT),
        ),
        ("nanos:1970-01-01..2262-04-10", RangeFilter("nanos", "1970-01-01", "2262-04-10", DATE_QUERY_FORMAT)),
    ],
)
def test_values_are_made_what_elasticsearch_expects(raw, expected):
    assert typed(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("in_stock:yes", "'in_stock' is a boolean field; 'yes' is not true or false"),
        ("in_stock:true..false", "'in_stock' is a boolean field; 'true..false' is not true or false"),
        ("in_stock:1..2", "'in_stock' is a boolean field: it has no ranges"),
        ("price:100-200", "'price' is a float field; '100-200' is not a number such as 10 or 9.99, or a range"),
        ("price:cheap..", "'price' is a float field; 'cheap' is not a number"),
        ("price:1e999", "'price' is a float field; '1e999' is too large for it"),
        ("rating:70000", "'rating' is a half_float field; '70000' is too large for it"),
        ("stock:2.5", "'stock' is an integer field; '2.5' is not a whole number"),
        ("stock:99999999999", "'stock' is an integer field; '99999999999' is outside its range"),
        ("tiny:200", "'tiny' is a byte field; '200' is outside its range -128..127"),
        ("released:yesterday", "'released' is a date field; 'yesterday' is not an ISO date such as 2024-01-31"),
        ("released:2024-13-01", "'released' is a date field; '2024-13-01' is not an ISO date"),
        ("released:now-7x", "'released' is a date field; 'now-7x' is not an ISO date"),
        ("address:999.1.1.1", "'address' is an ip field; '999.1.1.1' is not an address"),
        # Found by the attack run: each reached Elasticsearch and came back as its 400.
        ("released:2024-02-30", "'released' is a date field; '2024-02-30' is not an ISO date"),
        ("released:2023-02-29..", "'released' is a date field; '2023-02-29' is not an ISO date"),
        ("released:2024-01-31 12:00", "'released' is a date field; '2024-01-31 12:00' is not an ISO date"),
        ("released:2024-01-31T12:00:00+99:99", "'released' is a date field; '2024-01-31T12:00:00+99:99' is not"),
        ("released:2024-01-31T12:00:00-18:01", "'released' is a date field; '2024-01-31T12:00:00-18:01' is not"),
        ("nanos:1969-12-31", "'nanos' is a date_nanos field; '1969-12-31' is outside the dates it holds"),
        ("nanos:2263-01-01..", "'nanos' is a date_nanos field; '2263-01-01' is outside the dates it holds"),
        ("address:::ffff:10.0.0.0/104", "'address' is an ip field; '::ffff:10.0.0.0/104' is not an address"),
        ("address:::1%eth0", "'address' is an ip field; '::1%eth0' is not an address"),
        ("stock:1e-999..1e-998", "'stock' is an integer field; '1e-999' has more than 100 digits"),
    ],
)
def test_a_value_that_does_not_fit_names_field_type_and_value(raw, message):
    with pytest.raises(FilterValueError) as raised:
        typed(raw)

    assert str(raised.value).startswith(message)
