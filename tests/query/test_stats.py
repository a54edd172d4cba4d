"""`stats=`: which fields may be asked, and the answer read back. No server needed."""

import pytest

from search_service.mapping.fields import index_fields_from_mapping
from search_service.query.stats import check_stats_types, stats_from_answer

FIELDS = index_fields_from_mapping(
    "i",
    {
        "i": {
            "mappings": {
                "properties": {
                    "price": {"type": "float"},
                    "brand": {"type": "keyword"},
                    "hidden_values": {"type": "long", "doc_values": False},
                }
            }
        }
    },
)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("brand", "no stats on 'brand': it is a keyword field, not a number or a date; allowed: price$"),
        ("cost", "no stats on 'cost'; allowed: price$"),
        # Found by the attack run: accepted, then a 503 from Elasticsearch on every request.
        ("hidden_values", "no stats on 'hidden_values': the index keeps no doc values for it; allowed: price$"),
    ],
)
def test_stats_need_a_numeric_or_date_field_with_doc_values(field, message):
    with pytest.raises(ValueError, match=message):
        check_stats_types([field], FIELDS, ["price", "brand", "hidden_values"])


def test_float_stats_come_back_as_indexed_and_the_average_as_computed():
    answer = {"stats:price": {"values": {"count": 2, "min": 5.989999771118164, "max": 504.989990234375, "avg": 255.49}}}

    assert stats_from_answer(answer, ["price"], {"price": "float"}) == {
        "price": {"min": 5.99, "max": 504.99, "avg": 255.49, "count": 2}
    }
