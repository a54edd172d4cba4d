"""The Algolia protocol's endpoints (endpoints/instantsearch.py) on the real node, over an index unlike the demo's
(tests/products.py): each answer compared with what /search answers for the same search, the field policy held on
every parameter that names a field, one `_msearch` per call counted at a proxy, and errors in Algolia's shape."""

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest

from search_service.instantsearch.params import MAX_BODY_BYTES
from tests.conftest import ES_URL
from tests.products import PRODUCT_ENVIRONMENT
from tests.recording_proxy import recording_proxy

SORT_INDICES = "products_price_asc=price,products_price_desc=-price,products_newest=-released|title.keyword"
HIDDEN = ("cost", "sku", "stock_count")  # in the mapping, in no setting: never to be seen


@pytest.fixture
def configure(configure_service, product_index):
    def configure(**overrides: Any) -> str:
        configure_service(
            elasticsearch_index=product_index, search_sort_indices=SORT_INDICES, **PRODUCT_ENVIRONMENT | overrides
        )
        return str(product_index)

    return configure


def v4(**params: Any) -> str:
    """A `params` string as algoliasearch v4 writes it: arrays as JSON."""
    return urlencode(
        {name: value if isinstance(value, str) else orjson.dumps(value).decode() for name, value in params.items()}
    )


async def queries(api, *requests: dict[str, Any], **query: str) -> Any:
    response = await api.post(
        "/1/indexes/*/queries",
        params={"x-algolia-agent": "Algolia for JavaScript (4.24.0); Browser (lite)", **query},
        content=orjson.dumps({"requests": list(requests)}),
        headers={"content-type": "application/x-www-form-urlencoded"},  # as the browser client sends it
    )
    return response


async def search(api, **params: Any) -> Any:
    response = await api.get("/search", params={"mode": "simple", **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_search_answers_what_search_answers(api, configure):
    index = configure()
    response = await queries(
        api,
        {
            "indexName": index,
            "params": v4(
                query="kettle",
                hitsPerPage=7,
                page=1,
                facets=["category", "in_stock"],
                facetFilters=[["brand:Acme", "brand:Hooli"]],
            ),
        },
    )
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    expected = await search(
        api, q="kettle", size=7, page=2, filter=["brand:Acme", "brand:Hooli"], facets="category,in_stock"
    )

    assert [hit["objectID"] for hit in result["hits"]] == [hit["id"] for hit in expected["hits"]]
    assert result["nbHits"] == expected["total"]["value"] > 7
    assert result["page"] == 1
    assert result["nbPages"] == -(-expected["total"]["value"] // 7)
    assert result["hitsPerPage"] == 7
    assert result["index"] == index
    assert result["query"] == "kettle"
    # /search's facets are of fields it does not filter here (brand is): the same counts.
    assert result["facets"] == {
        name: {
            str(bucket["value"]).lower() if name == "in_stock" else str(bucket["value"]): bucket["count"]
            for bucket in buckets
        }
        for name, buckets in expected["facets"].items()
    }
    for hit in result["hits"]:
        assert hit["brand"] in ("Acme", "Hooli")
        assert not set(HIDDEN) & set(hit)
        assert hit["_highlightResult"]["title"]["matchLevel"] in ("full", "partial")
        assert "<em>" in hit["_highlightResult"]["title"]["value"]


async def test_three_requests_are_one_round_trip_to_elasticsearch(api, configure):
    index = configure()
    requests = [
        {
            "indexName": index,
            "params": v4(query="lamp", hitsPerPage=5, facets=["brand", "category"], facetFilters=[["brand:Acme"]]),
        },
        {"indexName": index, "params": v4(query="lamp", hitsPerPage=0, facets=["brand"], analytics="false")},
        {"indexName": "products_price_asc", "params": v4(query="lamp", hitsPerPage=3)},
    ]
    with recording_proxy(ES_URL) as proxy:
        configure(elasticsearch_hosts=proxy.url)
        await queries(api, *requests)  # the mapping is read once per worker: not what is counted
        proxy.requests.clear()
        response = await queries(api, *requests)
        assert response.status_code == 200, response.text
        assert len(response.json()["results"]) == 3
        assert proxy.requests == ["POST /_msearch"]


async def test_sort_indices_sort_and_an_unknown_index_is_a_404_in_algolias_shape(api, configure):
    configure()
    cheapest = (await queries(api, {"indexName": "products_price_asc", "params": v4(hitsPerPage=20)})).json()
    prices = [hit["price"] for hit in cheapest["results"][0]["hits"]]
    assert prices == sorted(prices)
    expected = await search(api, sort="price", size=20)
    assert [hit["objectID"] for hit in cheapest["results"][0]["hits"]] == [hit["id"] for hit in expected["hits"]]
    newest = (await queries(api, {"indexName": "products_newest", "params": v4(hitsPerPage=5)})).json()
    dates = [hit["released"] for hit in newest["results"][0]["hits"]]
    assert dates == sorted(dates, reverse=True)

    missing = await queries(api, {"indexName": "products_by_cost", "params": ""})
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "index_not_found",
        "detail": "Index does not exist",
        "message": "Index does not exist",
        "status": 404,
    }


async def test_numeric_and_filter_language_filters_hold_and_facets_stats_match_search(api, configure):
    index = configure()
    params = v4(
        query="",
        hitsPerPage=50,
        numericFilters=["price>=100", ["price<200", "price>450"]],
        filters='(category:lamps OR category:kettles) AND NOT brand:"Acme" AND in_stock:true',
        facets=["price", "rating", "brand"],
    )
    [result] = (await queries(api, {"indexName": index, "params": params})).json()["results"]
    assert result["nbHits"] > 0
    for hit in result["hits"]:
        assert 100 <= hit["price"] < 200 or hit["price"] > 450
        assert hit["category"] in ("lamps", "kettles")
        assert hit["brand"] != "Acme"
        assert hit["in_stock"] is True
    expected = await search(
        api,
        q="",
        size=0,
        filter=["price:100..199.99", "category:lamps", "category:kettles", "in_stock:true"],
        stats="rating",
    )
    assert set(result["facets_stats"]) == {"price", "rating"}  # brand is a keyword: counts only
    stats = result["facets_stats"]["rating"]
    assert stats["min"] >= expected["stats"]["rating"]["min"]
    assert stats["max"] <= expected["stats"]["rating"]["max"]
    assert stats["sum"] == pytest.approx(stats["avg"] * sum(1 for hit in result["hits"] if "rating" in hit))


async def test_a_facet_value_search_finds_values_by_a_word_start_in_any_case(api, configure):
    index = configure()
    body = {"params": v4(facetQuery="HO", query="lamp", facetFilters=["in_stock:true"])}
    response = await api.post(f"/1/indexes/{index}/facets/brand/query", content=orjson.dumps(body))
    assert response.status_code == 200, response.text
    hits = response.json()["facetHits"]
    expected = await search(api, q="lamp", size=0, filter="in_stock:true", facets="brand")
    counts = {bucket["value"]: bucket["count"] for bucket in expected["facets"]["brand"]}
    assert hits == [{"value": "Hooli", "highlighted": "<em>Ho</em>oli", "count": counts["Hooli"]}]
    # The same, as v5 sends it inside `queries`; and on a facet that is not text, a 400.
    [inside] = (
        await queries(
            api,
            {
                "indexName": index,
                "type": "facet",
                "facet": "brand",
                "facetQuery": "ho",
                "query": "lamp",
                "facetFilters": ["in_stock:true"],
            },
        )
    ).json()["results"]
    assert inside["facetHits"][0]["count"] == counts["Hooli"]
    not_text = await api.post(f"/1/indexes/{index}/facets/in_stock/query", content=b'{"params": "facetQuery=t"}')
    assert not_text.status_code == 400
    assert "not text" in not_text.json()["message"]


async def test_a_typo_is_tolerated_as_on_search(api, configure):
    index = configure()
    [result] = (await queries(api, {"indexName": index, "query": "toastr", "hitsPerPage": 5})).json()["results"]
    expected = await search(api, q="toastr", size=5)
    assert expected["tolerant"] is True
    assert result["nbHits"] == expected["total"]["value"] > 0
    assert [hit["objectID"] for hit in result["hits"]] == [hit["id"] for hit in expected["hits"]]


async def test_v4_and_v5_requests_are_the_same_search(api, configure):
    index = configure()
    fields = {"query": "smart lamp", "hitsPerPage": 4, "facets": ["brand"], "attributesToSnippet": ["description:3"]}
    as_v4 = (await queries(api, {"indexName": index, "params": v4(**fields)})).json()["results"][0]
    as_v5 = (await queries(api, {"indexName": index, **fields})).json()["results"][0]
    as_object = (await queries(api, {"indexName": index, "params": fields})).json()["results"][0]
    for result in (as_v5, as_object):
        assert result["hits"] == as_v4["hits"]
        assert result["facets"] == as_v4["facets"]
    snippet = as_v4["hits"][0]["_snippetResult"]["description"]["value"]
    assert len(snippet.strip("…").split()) == 3


@pytest.mark.parametrize(
    "params",
    [
        {"facetFilters": ["cost:2.5"]},
        {"facetFilters": [["brand:Acme", "-sku:SKU-000001"]]},
        {"numericFilters": ["stock_count>1"]},
        {"filters": "brand:Acme OR cost > 0"},
        {"facets": ["cost"]},
        {"facets": ["sku"]},
        {"attributesToRetrieve": ["title", "cost"]},
        {"attributesToRetrieve": ["*", "c*"]},
        {"attributesToHighlight": ["sku"]},
        {"attributesToSnippet": ["cost:5"]},
    ],
)
async def test_no_parameter_reaches_a_hidden_field(api, configure, params):
    index = configure()
    response = await queries(api, {"indexName": index, **params})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400
    assert body["message"] == body["detail"]
    assert index not in response.text


async def test_a_facet_search_on_a_hidden_field_is_refused(api, configure):
    index = configure()
    response = await api.post(f"/1/indexes/{index}/facets/sku/query", content=b'{"params": "facetQuery=S"}')
    assert response.status_code == 400
    assert "cannot search the values of facet 'sku'" in response.json()["message"]


async def test_every_hit_carries_only_retrievable_fields_whatever_is_asked(api, configure):
    index = configure()
    for retrieve in (None, ["*"], ["title", "price"], ["*", "-description"]):
        fields: dict[str, Any] = {"query": "steel", "hitsPerPage": 10}
        if retrieve is not None:
            fields["attributesToRetrieve"] = retrieve
        [result] = (await queries(api, {"indexName": index, **fields})).json()["results"]
        assert result["hits"]
        for hit in result["hits"]:
            assert not set(HIDDEN) & set(hit)
            if retrieve == ["title", "price"]:
                assert set(hit) <= {"title", "price", "objectID", "_highlightResult"}
            if retrieve == ["*", "-description"]:
                assert "description" not in hit
                assert "brand" in hit


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"not json", 400, "not JSON"),
        (b"[]", 400, "JSON object"),
        (b'{"requests": []}', 400, "requests"),
        (orjson.dumps({"requests": [{"indexName": "x"}] * 33}), 400, "at most 32"),
        (orjson.dumps({"requests": ["x"]}), 400, "each request"),
        (orjson.dumps({"requests": [{"indexName": "{index}", "type": "other"}]}), 400, "default"),
        (orjson.dumps({"requests": [{"indexName": "{index}", "params": "hitsPerPage=101"}]}), 400, "at most 100"),
        (
            orjson.dumps({"requests": [{"indexName": "{index}", "params": "page=600&hitsPerPage=20"}]}),
            400,
            "last page is 499",
        ),
        (
            orjson.dumps({"requests": [{"indexName": "{index}", "params": "maxValuesPerFacet=5000"}]}),
            400,
            "maxValuesPerFacet",
        ),
        (orjson.dumps({"requests": [{"indexName": "{index}", "numericFilters": ["price>cheap"]}]}), 400, "price"),
        (orjson.dumps({"requests": [{"indexName": "{index}", "filters": "in_stock > 1"}]}), 400, "no ranges"),
    ],
)
async def test_bad_calls_are_400s_that_say_what_is_wrong(api, configure, body, status, says):
    index = configure()
    response = await api.post("/1/indexes/*/queries", content=body.replace(b"{index}", index.encode()))
    assert response.status_code == status, response.text
    assert says in response.json()["message"]
    assert index not in response.json()["message"]


async def test_a_body_past_the_bound_or_without_a_length_is_refused_before_it_is_read(api, configure):
    configure()
    too_large = await api.post("/1/indexes/*/queries", content=b" " * (MAX_BODY_BYTES + 1))
    assert too_large.status_code == 413
    assert too_large.json()["status"] == 413

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"requests": []}'

    chunked = await api.post("/1/indexes/*/queries", content=chunks())
    assert chunked.status_code == 413
    elsewhere = await api.post("/search", content=b"{}")
    assert elsewhere.status_code == 413
    assert elsewhere.json()["error"] == "body_not_allowed"


async def test_cors_lets_a_front_end_post_with_algolias_headers(api, configure, settings):
    configure()
    settings.CORS_ALLOWED_ORIGINS = ["http://shop.example"]
    preflight = await api.options(
        "/1/indexes/*/queries",
        headers={
            "origin": "http://shop.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-algolia-api-key,x-algolia-application-id,content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "x-algolia-api-key" in preflight.headers["access-control-allow-headers"]


async def test_a_url_of_too_many_parameters_is_a_400_in_our_words(api, configure):
    index = configure()
    crowded = "&".join(f"a{n}=1" for n in range(1_200))
    body = orjson.dumps({"requests": [{"indexName": index}]})
    response = await api.post(f"/1/indexes/*/queries?{crowded}", content=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "too_many_parameters"
    assert response.json()["status"] == 400
    # With a key that is not valid, the key is what is refused first: in our words too.
    bad_key = await api.post(f"/1/indexes/*/queries?{crowded}", content=body, headers={"X-Algolia-API-Key": "ssk_bad"})
    assert bad_key.status_code == 401
    assert bad_key.json()["error"] == "unauthorized"


async def test_browsing_is_ranked_as_on_search_and_a_range_field_has_its_bounds(api, configure):
    index = configure()
    params = v4(query="", hitsPerPage=8, facets=["brand", "price"])
    [result] = (await queries(api, {"indexName": index, "params": params})).json()["results"]
    expected = await search(api, size=8, stats="price")
    assert [hit["objectID"] for hit in result["hits"]] == [hit["id"] for hit in expected["hits"]]
    # InstantSearch reads facets_stats only for a field `facets` has: a range slider's field is there, empty.
    assert result["facets"]["price"] == {}
    assert result["facets_stats"]["price"]["min"] == expected["stats"]["price"]["min"]
    assert result["facets_stats"]["price"]["max"] == expected["stats"]["price"]["max"]
