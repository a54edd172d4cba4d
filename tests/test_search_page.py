"""The search page's view at `/`: what the server renders and when. What the page does is in tests/browser/."""

import json
import re
from typing import Any

from search_service.page import sort_options


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
    configure_service(search_facet_fields="kind", search_filter_fields="kind,module", search_sort_fields="module")

    html = (await api.get("/")).text

    assert page_config(html) == {
        "searchUrl": "/search",
        "documentUrl": "/documents/",
        "facets": ["kind"],
        "filters": ["kind", "module"],
        "pageSize": 10,
        "maxResultWindow": 10_000,
    }
    assert '<option value="-module">module, descending</option>' in html
    assert "popularity" not in html


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
