"""The search page's view at `/`: what the server renders and when. What the page does is in tests/browser/."""

import json
import re
from typing import Any

import pytest

from search_service.admission.cost import ORDINARY_FACET_BUCKETS
from search_service.mapping.fields import index_fields_from_mapping
from search_service.page import field_label, sort_options, stats_budget
from search_service.query.stats import STATS_COST_IN_BUCKETS
from tests.products import PRODUCT_ENVIRONMENT, PRODUCT_MAPPING

PRODUCT_FIELDS = index_fields_from_mapping("products", {"products": {"mappings": PRODUCT_MAPPING}})


def page_config(html: str) -> dict[str, Any]:
    match = re.search(r'<script id="page-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, html
    config: dict[str, Any] = json.loads(match.group(1))
    return config


async def test_the_page_is_served_at_the_root_with_a_labelled_search_box(api):
    response = await api.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert '<label for="q">' in html
    assert 'role="search"' in html
    assert 'aria-live="polite"' in html
    assert "https://" not in html  # nothing from elsewhere: no CDN, no external font


async def test_the_page_may_run_only_its_own_scripts_and_talk_only_to_the_service(api):
    policy = (await api.get("/")).headers["content-security-policy"]

    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy


async def test_the_page_is_told_what_the_settings_allow(api, configure_service):
    configure_service(
        search_facet_fields="kind",
        search_filter_fields="kind,module,popularity",
        search_sort_fields="module",
        search_source_fields="qualname,kind,popularity",
    )

    html = (await api.get("/")).text

    assert page_config(html) == {
        "searchUrl": "/search",
        "documentUrl": "/documents/",
        "facets": ["kind"],
        "facetSize": 10,
        "filters": ["kind", "module", "popularity"],
        "ranges": ["popularity"],
        "stats": ["popularity"],
        "sorts": ["module"],
        "rankField": "popularity",
        "types": {
            "qualname": "text",
            "kind": "keyword",
            "popularity": "number",
            "name": "text",
            "summary": "text",
            "docstring": "text",
            "module": "keyword",
        },
        "floatBits": {},
        "labels": {
            "qualname": "Qualname",
            "kind": "Kind",
            "popularity": "Popularity",
            "name": "Name",
            "summary": "Summary",
            "docstring": "Docstring",
            "module": "Module",
        },
        "placeholder": "e.g. json dumps",  # the demo's own index (FIXTURE_DOCUMENTS in DEMO_MAPPING)
        "example": "module:json",
        "pageSize": 10,
        "maxResultWindow": 10_000,
    }
    assert '<option value="-module">module, descending</option>' in html
    assert 'placeholder="e.g. json dumps"' in html


async def test_on_a_product_index_the_page_is_told_each_fields_type_and_no_demo_words(
    api, configure_service, product_index
):
    configure_service(elasticsearch_index=product_index, **PRODUCT_ENVIRONMENT)

    html = (await api.get("/")).text
    config = page_config(html)

    assert config["types"] == {
        "title": "text",
        "description": "text",
        "brand": "keyword",
        "category": "keyword",
        "price": "number",
        "rating": "number",
        "in_stock": "boolean",
        "released": "date",
        "tags": "keyword",
        "title.keyword": "keyword",
    }
    assert "cost" not in html  # a field no setting hands out is not named to the page either
    assert config["floatBits"] == {"price": 24, "rating": 11}
    assert config["ranges"] == config["stats"] == ["price", "rating", "released"]
    assert config["labels"]["in_stock"] == "In stock"
    assert config["labels"]["title.keyword"] == "Title"
    assert config["placeholder"] == "Search title, description"
    assert config["example"] == "brand:value"
    assert 'placeholder="Search title, description"' in html
    assert "<code>brand:value</code>" in html
    assert "dumps" not in html
    assert "module:json" not in html
    assert '<option value="title.keyword">title, ascending</option>' in html
    # Its searches stay cheap: an expensive one is limited to 2 a second, less than a user typing makes.
    cost = len(config["facets"]) * config["facetSize"] + len(config["stats"]) * STATS_COST_IN_BUCKETS
    assert cost <= ORDINARY_FACET_BUCKETS
    search = await api.get(
        "/search",
        params={"facets": ",".join(config["facets"]), "facet_size": config["facetSize"], "stats": "price,released"},
    )
    assert search.status_code == 200


async def test_without_a_readable_mapping_the_page_still_opens_without_types(api, configure_service):
    configure_service(elasticsearch_index="no-such-index-for-the-page")

    response = await api.get("/")

    assert response.status_code == 200
    config = page_config(response.text)
    assert config["types"] == {}
    assert config["ranges"] == config["stats"] == []
    assert config["labels"]["module"] == "Module"  # names need no mapping
    assert config["placeholder"] == "Search qualname, name, summary, docstring"


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("in_stock", "In stock"),
        ("release_date", "Release date"),
        ("releaseDate", "Release date"),
        ("title.keyword", "Title"),
        ("qualname.raw", "Qualname"),
        ("meta.year", "Meta year"),
        ("SKU", "SKU"),
        ("user_ID", "User ID"),
        ("price", "Price"),
    ],
)
def test_field_names_read_as_headings(name, label):
    assert field_label(name) == label


def test_a_sub_field_is_called_by_its_parent_only_when_the_mapping_makes_it_a_twin():
    fields = index_fields_from_mapping(
        "i",
        {
            "i": {
                "mappings": {
                    "properties": {
                        "name": {"type": "text", "fields": {"sort": {"type": "keyword"}}},
                        "meta": {"properties": {"keyword": {"type": "keyword"}}},
                    }
                }
            }
        },
    )

    assert field_label("name.sort", fields) == "Name"  # a twin whatever its name
    assert field_label("meta.keyword", fields) == "Meta keyword"  # an object's own field
    assert field_label("title.keyword", PRODUCT_FIELDS) == "Title"


@pytest.mark.parametrize(
    ("facets", "ranges", "expected"),
    [
        (["module", "kind"], ["popularity"], (10, ["popularity"])),  # the demo: room to spare
        (
            ["brand", "category", "in_stock", "tags"],
            ["price", "rating", "released"],
            (10, ["price", "rating", "released"]),  # the products: 4 x 10 + 3 x 2 = 46
        ),
        (["a", "b", "c", "d", "e"], ["x", "y", "z"], (8, ["x", "y", "z"])),  # fewer values a facet
        ([], ["a", "b", "c", "d", "e", "f"], (10, ["a", "b", "c", "d", "e", "f"])),
        (["a"] * 8, [], (6, [])),
        (["a"] * 12, ["x"], (5, [])),  # over the budget even so: as configured
    ],
)
def test_the_page_asks_facets_and_stats_within_the_cheap_lanes_budget(facets, ranges, expected):
    assert stats_budget(facets, ranges, max_facet_size=100) == expected


def test_the_facet_size_never_passes_the_configured_maximum():
    assert stats_budget(["a"], ["x"], max_facet_size=3) == (3, ["x"])


def test_sort_options_offer_relevance_then_each_field_both_ways():
    assert sort_options(["popularity", "qualname.raw"]) == [
        ("", "Relevance"),
        ("popularity", "popularity, ascending"),
        ("-popularity", "popularity, descending"),
        ("qualname.raw", "qualname, ascending"),
        ("-qualname.raw", "qualname, descending"),
    ]


async def test_with_search_page_off_the_root_is_a_json_404_and_the_api_still_answers(api, configure_service):
    configure_service(search_page=False)

    page = await api.get("/")
    search = await api.get("/search", params={"q": "json"})

    assert page.status_code == 404
    assert page.json() == {"error": "not_found", "detail": "No such endpoint: /"}
    assert search.status_code == 200


async def test_a_post_to_the_page_is_a_json_405(api):
    response = await api.post("/")

    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET, HEAD"
