"""InstantSearch.js, unmodified, against the service's Algolia-protocol endpoints, in Chromium.

tests/frontend/ holds a front end as a developer would write it: the libraries pinned by package-lock.json
(installed here by `npm ci` when node_modules is missing or older than the lock), and a page wiring every widget
the service supports to it. The page is served from a second loopback origin, so every search is a cross-origin
call, as from a real front end, with an API key the service requires. Each test drives widgets and, after every
step, compares what the whole page shows (hits, totals, pages, facet counts, range bounds, refinements) with the
service's own `GET /search` answer for the same state: the two APIs must agree. Both clients the libraries
document are driven: algoliasearch 5's `liteClient` and algoliasearch 4's `algoliasearch/lite`.
"""

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from http.server import ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import serve_app
from tests.browser.instantsearch_page import (
    CLIENTS,
    FRONTEND,
    SORT_INDICES,
    Frontend,
    FrontendFiles,
    Opened,
    Service,
    State,
    check,
    facet_counts,
    facet_hits_shown,
    install_frontend,
    marked,
    open_page,
    service_search,
    settled,
)
from tests.conftest import REPO, serve_environment
from tests.products import PRODUCT_ENVIRONMENT


@pytest.fixture(scope="module")
def frontend() -> Iterator[Frontend]:
    """The test page and node_modules on a loopback port of their own: the front end's origin."""
    install_frontend()
    served: list[tuple[str, int]] = []
    handler = type("Handler", (FrontendFiles,), {"served": served})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(FRONTEND)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Frontend(f"http://127.0.0.1:{server.server_address[1]}", served)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def service(product_index: str, frontend: Frontend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on the product catalogue with its sort indices, requiring an API key, allowing the front end's
    origin, and a key made for the page by `manage.py create_api_key`."""
    data = tmp_path_factory.mktemp("instantsearch-data")
    environment = {name.upper(): value for name, value in PRODUCT_ENVIRONMENT.items()} | {
        "SEARCH_SORT_INDICES": ",".join(f"{name}={sort}" for name, sort in SORT_INDICES.items()),
        "CORS_ALLOWED_ORIGINS": frontend.origin,
        "SEARCH_REQUIRE_API_KEY": "true",
        "DATA_DIR": str(data),
    }
    with serve_app(product_index, data / "app.log", **environment) as url:
        created = subprocess.run(
            [sys.executable, "manage.py", "create_api_key", "front end", "--scope", "search"],
            cwd=REPO,
            env=serve_environment(product_index, 0, **environment),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        yield Service(url, product_index, created.stdout.strip().splitlines()[-1])


@pytest.fixture(params=CLIENTS)
def opened(
    request: pytest.FixtureRequest, browser: BrowserContext, service: Service, frontend: Frontend
) -> Iterator[Opened]:
    """The test page with the client `request.param` and the service's key, its first results shown; afterwards,
    besides open_page's checks, every call to the service was answered 200."""
    with open_page(browser, service, frontend, request.param, service.key) as opened:
        expect(opened.page.locator("#hits .hit").first).to_be_visible()
        yield opened
    assert opened.service_answers, "the page never called the service"
    assert [(url, status) for url, status in opened.service_answers if status != 200] == []


def test_the_first_page_and_the_search_box_show_what_search_answers(opened: Opened):
    page = opened.page
    check(opened, State())

    page.locator("#searchbox input").press_sequentially("kettle")
    check(opened, State(query="kettle"))
    # A typo, forgiven as /search?mode=simple forgives it, and the word being typed, completed.
    page.locator("#searchbox input").fill("blendr")
    check(opened, State(query="blendr"))
    page.locator("#searchbox input").fill("smart lam")
    check(opened, State(query="smart lam"))


def test_hits_highlight_and_snippet_what_search_highlights(opened: Opened):
    page = opened.page
    page.locator("#searchbox input").fill("steel kettle")
    expected = check(opened, State(query="steel kettle"))
    answer = service_search(opened.service, State(query="steel kettle"))
    hits = page.locator("#hits .hit")
    expect(hits).to_have_count(len(expected["hits"]))
    assert len(expected["hits"]) == 10
    snippets_marked = 0
    for hit, found in zip(hits.all(), answer["hits"], strict=True):
        source, highlight = found["source"], found.get("highlight", {})
        title = hit.locator(".hit-title")
        # The whole title, as text: InstantSearch escaped it and turned only its own tags into <mark>.
        expect(title).to_have_text(source["title"])
        shown_marks = {text.lower() for text in title.locator("mark.ais-Highlight-highlighted").all_inner_texts()}
        assert shown_marks == marked(highlight.get("title", [])), (found["id"], highlight)
        assert shown_marks, found["id"]
        # The snippet: at most 4 words of the description, in a row, "…" where it was cut, marks among /search's.
        snippet = hit.locator(".hit-description").inner_text()
        words = snippet.replace("…", " ").split()
        assert 0 < len(words) <= 4, snippet
        assert " ".join(words) in source["description"], (snippet, source["description"])
        if " ".join(words) != source["description"]:
            assert "…" in snippet, snippet
        snippet_marks = {text.lower() for text in hit.locator("mark.ais-Snippet-highlighted").all_inner_texts()}
        assert snippet_marks <= marked(highlight.get("description", [])), (found["id"], snippet, highlight)
        snippets_marked += bool(snippet_marks)
    assert snippets_marked > 0


def test_refinements_of_every_kind_and_clearing_them(opened: Opened):
    page = opened.page
    state = State()
    check(opened, state)

    page.locator('#brand-list input[value="Acme"]').check()
    check(opened, state := replace(state, brands=("Acme",)))
    page.locator('#brand-list input[value="Globex"]').check()  # OR within the list; its counts stay the brands'
    check(opened, state := replace(state, brands=("Acme", "Globex")))
    page.locator("#category-menu .ais-Menu-link").filter(has_text=re.compile(r"^lamps\d+$")).click()
    check(opened, state := replace(state, category="lamps"))
    page.locator("#price-range input").nth(0).fill("100")
    page.locator("#price-range input").nth(1).fill("400")
    page.locator("#price-range button").click()
    check(opened, state := replace(state, price=(100, 400)))
    page.locator("#rating-menu label").filter(has_text="2 to 4").click()
    check(opened, state := replace(state, rating="2 to 4"))
    page.locator("#in-stock-toggle input").check()
    check(opened, state := replace(state, in_stock=True))
    assert int(check(opened, state)["nb_hits"]) > 0  # the walk ends on hits, not on an empty page

    page.locator("#current-refinements .ais-CurrentRefinements-category").filter(has_text="Globex").locator(
        "button"
    ).click()
    check(opened, state := replace(state, brands=("Acme",)))
    page.locator("#rating-menu label").filter(has_text="4 and up").click()
    check(opened, state := replace(state, rating="4 and up"))
    page.locator("#clear-refinements button").click()
    check(opened, State())


def test_a_range_bounded_on_one_side_and_a_menu_entry_under_a_query(opened: Opened):
    page = opened.page
    page.locator("#searchbox input").fill("lamp")
    check(opened, state := State(query="lamp"))
    page.locator("#price-range input").nth(1).fill("250")
    page.locator("#price-range button").click()
    check(opened, state := replace(state, price=(None, 250)))
    page.locator("#rating-menu label").filter(has_text="Under 2").click()
    check(opened, state := replace(state, rating="Under 2"))
    page.locator("#in-stock-toggle input").check()
    check(opened, state := replace(state, in_stock=True))
    page.locator("#in-stock-toggle input").uncheck()
    check(opened, replace(state, in_stock=False))


def test_searching_the_brand_lists_values_finds_them_as_the_facets_count_them(opened: Opened):
    page = opened.page
    page.locator("#searchbox input").fill("steel")
    check(opened, State(query="steel"))
    page.locator("#category-menu .ais-Menu-link").filter(has_text=re.compile(r"^kettles\d+$")).click()
    state = State(query="steel", category="kettles")
    check(opened, state)
    # The values are searched among the hits of the query and the other filters, counted as /search counts them.
    counts = facet_counts(service_search(opened.service, state), "brand")
    assert len(counts) == 5, counts
    assert sum(counts.values()) < 100, counts  # the query narrowed them

    for typed in ("h", "GLO", "um"):
        box = page.locator("#brand-list .ais-SearchBox-input")
        box.fill(typed)
        expected = {value: str(count) for value, count in counts.items() if value.lower().startswith(typed.lower())}
        assert expected, typed
        assert settled(page, lambda: facet_hits_shown(page), expected) == expected, typed
        # The typed letters are marked in each value, case as the value has it.
        for value in expected:
            mark = page.locator("#brand-list li").filter(has_text=value).locator("mark")
            expect(mark).to_have_text(value[: len(typed)])
    expect(page.locator("#brand-list li")).to_have_count(1)  # "um": Umbrella alone
    page.locator('#brand-list input[value="Umbrella"]').check()
    check(opened, replace(state, brands=("Umbrella",)))
    expect(page.locator("#brand-list .ais-SearchBox-input")).to_have_value("")  # the list is whole again


def test_sorting_paging_and_hits_per_page(opened: Opened):
    page = opened.page
    page.locator("#sort-by select").select_option("products_price_asc")
    check(opened, state := State(index="products_price_asc"))
    page.locator('#pagination a[aria-label="Page 2"]').click()
    check(opened, state := replace(state, page=1))
    page.locator('#pagination a[aria-label^="Last Page"]').click()
    expected = check(opened, state := replace(state, page=29))
    assert expected["nb_pages"] == "30"
    page.locator("#hits-per-page select").select_option("20")
    check(opened, state := replace(state, size=20, page=0))
    page.locator('#pagination a[aria-label="Page 3"]').click()
    check(opened, state := replace(state, page=2))
    page.locator("#sort-by select").select_option("products_price_desc")
    check(opened, state := replace(state, index="products_price_desc", page=0))
    page.locator("#searchbox input").fill("toaster")
    check(opened, state := replace(state, query="toaster"))
    page.locator("#sort-by select").select_option(opened.service.index)
    check(opened, replace(state, index=None))


@pytest.mark.parametrize("client", CLIENTS)
def test_a_wrong_key_is_refused_and_the_page_says_what_the_service_said(
    browser: BrowserContext, service: Service, frontend: Frontend, client: str
):
    wrong = service.key[:-4] + ("AAAA" if not service.key.endswith("AAAA") else "BBBB")
    refusal = httpx.post(
        f"{service.url}/1/indexes/*/queries",
        json={"requests": [{"indexName": service.index, "params": "query="}]},
        headers={"X-Algolia-API-Key": wrong},
        timeout=10,
    )
    assert refusal.status_code == 401, refusal.text
    message = refusal.json()["message"]
    assert refusal.json()["status"] == 401

    with open_page(browser, service, frontend, client, wrong, refused=401) as opened:
        expect(opened.page.locator("#error")).to_have_text(message)
        expect(opened.page.locator("#hits .hit")).to_have_count(0)
    assert opened.service_answers
    assert {status for _url, status in opened.service_answers} == {401}
