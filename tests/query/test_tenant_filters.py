"""A tenant token's filters in the search body (tenants/, issue 24): in the query itself, apart from the caller's."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from search_service.query.body import build_search_body
from search_service.query.filters import RangeFilter, ValueFilter

TENANT = [ValueFilter("customer", "acme")]
ACME = {"terms": {"customer": ["acme"]}}


def body(**arguments: Any) -> dict[str, Any]:
    return build_search_body(query="json", size=10, fields=["title"], tenant_filters=TENANT, **arguments)


def test_the_tenants_filter_is_in_the_query_even_alone():
    assert body()["query"]["bool"]["filter"] == [ACME]
    assert build_search_body(query="", size=10, fields=["title"], tenant_filters=TENANT)["query"] == {
        "bool": {"must": {"match_all": {}}, "filter": [ACME]}
    }


def test_a_callers_filter_on_the_same_field_narrows_and_never_widens():
    # The caller's own values of one field OR together; the tenant's stand apart, ANDed: customer:other finds none.
    query = body(filters=[ValueFilter("customer", "other")])["query"]["bool"]["filter"]
    assert ACME in query
    assert {"terms": {"customer": ["other"]}} in query
    assert len(query) == 2


def test_facets_and_stats_on_the_tenants_field_count_only_the_tenants_documents():
    # A faceted field's own filter is post-filtered (counts ignore it); the tenant's never is: aggregations run
    # over the query, so every count is within it.
    made = body(filters=[ValueFilter("customer", "other")], facets=["customer"], stats=["year"])
    assert made["query"]["bool"]["filter"] == [ACME]
    assert made["post_filter"] == {"bool": {"filter": [{"terms": {"customer": ["other"]}}]}}


@given(
    st.lists(st.sampled_from(["customer", "year", "language"]), max_size=3),
    st.lists(st.sampled_from(["customer", "year"]), max_size=2),
    st.sampled_from(["json", ""]),
)
def test_whatever_else_is_asked_the_tenants_filter_is_in_the_query(filtered, faceted, text):
    filters = [ValueFilter(field, "x") if field != "year" else RangeFilter(field, "1", None) for field in filtered]
    made = build_search_body(
        query=text, size=10, fields=["title"], filters=filters, facets=faceted, tenant_filters=TENANT
    )
    assert ACME in made["query"]["bool"]["filter"]
    assert ACME not in made.get("post_filter", {}).get("bool", {}).get("filter", [])
