"""The InstantSearch endpoints fuzzed over their parameters (as a v4 `params` string and as a v5 object), with the real
node behind them and an index whose mapping has fields no setting allows (tests/products.py): whatever is sent, the
answer is a 200 or a 4xx in our words, and no hidden field's name, value or count reaches the caller through
filters, facets, highlights, retrieved attributes or sorting indices."""

import asyncio
from typing import Any
from urllib.parse import urlencode

import orjson
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.products import PRODUCT_ENVIRONMENT
from tests.test_api_fuzz import EXAMPLES, VALUE_TEXT, fuzz_settings, leaks, send
from tests.test_instantsearch import HIDDEN, SORT_INDICES

ALLOWED = PRODUCT_ENVIRONMENT["search_source_fields"].split(",")
# Allowed fields more often than not, so that most requests are answered and their answers checked.
FIELDS = [*ALLOWED, *ALLOWED, *HIDDEN, "title.keyword", "*", "-description", "nope", ""]
FACETS = PRODUCT_ENVIRONMENT["search_facet_fields"].split(",")
# The values a hidden field holds that no allowed field does: seeing one is a leak.
HIDDEN_VALUES = ("SKU-",)

field = st.sampled_from(FIELDS)
word = st.sampled_from(["Acme", "lamp", "true", "10", "2020-01-01", "-x", "a:b", '"q"', "\\-y"]) | VALUE_TEXT
facet_filter = st.builds(lambda f, neg, v: f"{'-' if neg else ''}{f}:{v}", field, st.booleans(), word)
numeric_filter = st.builds(
    lambda f, op, v: f"{f}{op}{v}", field, st.sampled_from([">", ">=", "<", "<=", "=", "!=", ":"]), word
) | st.builds(lambda f, a, b: f"{f}:{a} TO {b}", field, word, word)
filter_text = st.lists(
    st.one_of(facet_filter, numeric_filter, st.sampled_from(["AND", "OR", "NOT", "(", ")", "TO"])), max_size=8
).map(" ".join)
nested = st.lists(st.one_of(facet_filter, st.lists(facet_filter, max_size=3)), max_size=4)
numeric_nested = st.lists(st.one_of(numeric_filter, st.lists(numeric_filter, max_size=3)), max_size=4)

algolia_params = st.fixed_dictionaries(
    {},
    optional={
        "query": st.sampled_from(["", "lamp", "ketle", "smart lamp", "SKU-000001", "cost"]) | VALUE_TEXT,
        "page": st.integers(0, 5) | st.integers(-1, 600),
        "hitsPerPage": st.integers(0, 30) | st.integers(-1, 120),
        "facets": st.lists(st.sampled_from([*FIELDS, "price", "rating"]), max_size=4),
        "maxValuesPerFacet": st.integers(1, 20) | st.integers(0, 200),
        "facetFilters": nested | facet_filter,
        "numericFilters": numeric_nested | numeric_filter,
        "filters": filter_text,
        "attributesToRetrieve": st.lists(field, max_size=4),
        "attributesToHighlight": st.lists(field, max_size=4),
        "attributesToSnippet": st.lists(st.builds(lambda f, n: f"{f}:{n}", field, st.integers(0, 30)), max_size=3),
        "highlightPreTag": st.sampled_from(["<em>", "__ais-highlight__", "", "<"]),
        "analytics": st.booleans(),
        "tagFilters": st.sampled_from(["", "", "", "x"]),
    },
)
index_names = st.sampled_from(["{index}"] * 4 + ["products_price_asc", "products_newest", "nope", "products_by_cost"])


def as_v4(params: dict[str, Any]) -> str:
    return urlencode({k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in params.items()})


def assert_nothing_hidden(result: dict[str, Any]) -> None:
    for hit in result.get("hits", []):
        shown = set(hit) - {"objectID", "_highlightResult", "_snippetResult"}
        assert shown <= set(ALLOWED), hit
        assert set(hit.get("_highlightResult", {})) <= set(ALLOWED)
        assert set(hit.get("_snippetResult", {})) <= set(ALLOWED)
    for name, values in result.get("facets", {}).items():  # a range field's is there, empty, for its facets_stats
        assert name in FACETS or (name in ("price", "rating") and values == {}), (name, values)
    assert set(result.get("facets_stats", {})) <= {"price", "rating"}
    text = orjson.dumps(result).decode()
    assert not any(value in text for value in HIDDEN_VALUES) or "SKU-" in result.get("query", ""), text[:300]


# Three times the API fuzz run's examples: most requests are refused, and the answered ones are what is checked.
@settings(fuzz_settings, max_examples=3 * EXAMPLES)
@given(
    params=algolia_params,
    index=index_names,
    v5=st.booleans(),
    facet=st.sampled_from([None] * 6 + [*FACETS, *HIDDEN, "price"]),
    facet_query=st.sampled_from(["", "a", "SKU", "(", "\\"]),
)
def test_any_instantsearch_request_answers_in_our_words_and_shows_nothing_hidden(
    configure_service, product_index, params, index, v5, facet, facet_query
):
    configure_service(elasticsearch_index=product_index, search_sort_indices=SORT_INDICES, **PRODUCT_ENVIRONMENT)
    request: dict[str, Any] = {"indexName": index.replace("{index}", product_index)}
    request |= params if v5 else {"params": as_v4(params)}
    if facet is not None:
        request |= {"type": "facet", "facet": facet, "facetQuery": facet_query}
    response = asyncio.run(send("POST", "/1/indexes/*/queries", content=orjson.dumps({"requests": [request]})))

    assert response.status_code in {200, 400, 404}, response.text
    event(f"status {response.status_code}")
    if response.status_code != 200:
        body = response.json()
        assert body["status"] == response.status_code
        assert leaks(response.text, (product_index,)) == [], response.text
        return
    [result] = response.json()["results"]
    if facet is not None:
        assert facet in FACETS
        assert all(not hit["value"].startswith("SKU-") for hit in result["facetHits"])
    else:
        assert_nothing_hidden(result)
