"""The Algolia parameters as algoliasearch v4 (a URL-encoded string) and v5 (an object, or flattened) send them."""

from urllib.parse import urlencode

import orjson
import pytest

from search_service.instantsearch.errors import AlgoliaRequestError
from search_service.instantsearch.params import read_params

SKIP = frozenset({"indexName", "type", "facet"})

# What InstantSearch.js sends for a page with a search box, hits, a refined refinement list and a range input.
INSTANTSEARCH_V4 = urlencode(
    {
        "facets": orjson.dumps(["brand", "price"]).decode(),
        "highlightPostTag": "__/ais-highlight__",
        "highlightPreTag": "__ais-highlight__",
        "maxValuesPerFacet": "10",
        "page": "1",
        "query": "kettle",
        "tagFilters": "",
        "facetFilters": orjson.dumps([["brand:Acme", "brand:Hooli"]]).decode(),
        "numericFilters": orjson.dumps(["price>=10", "price<=20"]).decode(),
        "attributesToSnippet": orjson.dumps(["description:10"]).decode(),
        "clickAnalytics": "true",
        "userToken": "anonymous-123",
    }
)


def test_a_v4_params_string_is_read_with_its_arrays_and_numbers() -> None:
    params = read_params({"indexName": "products", "params": INSTANTSEARCH_V4}, skip=SKIP)
    assert params.query == "kettle"
    assert params.page == 1
    assert params.max_values_per_facet == 10
    assert params.facets == ["brand", "price"]
    assert params.facet_filters == [["brand:Acme", "brand:Hooli"]]
    assert params.numeric_filters == ["price>=10", "price<=20"]
    assert params.attributes_to_snippet == ["description:10"]
    assert params.highlight_pre_tag == "__ais-highlight__"
    assert params.click_analytics is True


def test_a_v5_request_is_read_flattened_or_as_an_object() -> None:
    flattened = {"indexName": "products", "query": "lamp", "hitsPerPage": 5, "facets": ["brand"], "analytics": False}
    nested = {"indexName": "products", "params": {"query": "lamp", "hitsPerPage": 5, "facets": ["brand"]}}
    assert read_params(flattened, skip=SKIP).hits_per_page == 5
    assert read_params(flattened, skip=SKIP).analytics is False
    assert read_params(nested, skip=SKIP).facets == ["brand"]


def test_a_comma_separated_list_is_read_as_people_write_it() -> None:
    assert read_params({"params": "facets=brand,category"}, skip=SKIP).facets == ["brand", "category"]


@pytest.mark.parametrize(
    ("request_", "says"),
    [
        ({"params": "unknownThing=1"}, "unknownThing: is not a parameter"),
        ({"params": "hitsPerPage=-1"}, "hitsPerPage"),
        ({"params": "page=abc"}, "page"),
        ({"params": "facets=%5Bnot%20json"}, "facets"),
        ({"params": "tagFilters=%5B%22a%22%5D"}, "tag filters are not supported"),
        ({"params": 5}, "params must be"),
        ({"params": "query=" + "x" * 1001}, "query"),
        ({"params": "&".join(f"a{n}=1" for n in range(200))}, "more than 100 fields"),
        ({"facetFilters": [[["too", "deep"]]]}, "facetFilters"),
        ({"maxFacetHits": 101}, "maxFacetHits"),
    ],
)
def test_what_is_refused_is_named(request_: dict[str, object], says: str) -> None:
    with pytest.raises(AlgoliaRequestError, match=says.replace("[", r"\[")):
        read_params(request_, skip=SKIP)


def test_a_json_array_nested_past_the_parser_depth_is_a_400_not_a_crash() -> None:
    with pytest.raises(AlgoliaRequestError, match="facetFilters"):
        read_params({"params": urlencode({"facetFilters": "[" * 5000})}, skip=SKIP)


def test_what_instantsearch_sends_by_default_is_accepted_and_ignored() -> None:
    params = read_params(
        {"params": "analytics=false&clickAnalytics=true&getRankingInfo=true&analyticsTags=%5B%22a%22%5D&tagFilters="},
        skip=SKIP,
    )
    assert params.analytics is False
