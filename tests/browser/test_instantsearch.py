"""InstantSearch.js, unmodified, against the service's Algolia-protocol endpoints, in Chromium.

tests/frontend/ holds a front end as a developer would write it: the libraries pinned by package-lock.json
(installed here by `npm ci` when node_modules is missing or older than the lock), and a page wiring every widget
the service supports to it. The page is served from a second loopback origin, so every search is a cross-origin
call, as from a real front end, with an API key the service requires. Each test drives widgets and, after every
step, compares what the whole page shows (hits, totals, pages, facet counts, range bounds, refinements) with the
service's own `GET /search` answer for the same state: the two APIs must agree. Both clients the libraries
document are driven: algoliasearch 5's `liteClient` and algoliasearch 4's `algoliasearch/lite`.
"""

import math
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import serve_app
from tests.conftest import REPO, serve_environment
from tests.products import PRODUCT_ENVIRONMENT

FRONTEND = REPO / "tests" / "frontend"
SORT_INDICES = {"products_price_asc": "price", "products_price_desc": "-price"}
CLIENTS = ["v5", "v4"]  # algoliasearch 5's liteClient, algoliasearch 4's algoliasearch/lite (app.js)
SETTLE_SECONDS = 10  # the longest the page may take to show a state; a search here takes milliseconds
FACET_FIELDS = "brand,category,in_stock"  # the facets the page's widgets ask for, as /search takes them


def install_frontend() -> None:
    """`npm ci` when node_modules is missing or older than package.json or the lock (npm writes its own copy of
    the lock, node_modules/.package-lock.json, last)."""
    installed = FRONTEND / "node_modules" / ".package-lock.json"
    newest = max((FRONTEND / name).stat().st_mtime for name in ("package.json", "package-lock.json"))
    if installed.exists() and installed.stat().st_mtime >= newest:
        return
    assert shutil.which("npm"), "npm is missing: apt-get install nodejs npm (.ci/run does)"
    done = subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix", str(FRONTEND)],
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"


class FrontendFiles(SimpleHTTPRequestHandler):
    """tests/frontend/ as static files; what was asked for and answered is noted in `served`."""

    served: list[tuple[str, int]]

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.served.append((self.path, int(code)))

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@dataclass
class Frontend:
    origin: str
    served: list[tuple[str, int]]


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


@dataclass
class Service:
    url: str
    index: str
    key: str


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


CLIENT_SCRIPTS = {
    "v5": "/node_modules/algoliasearch/dist/lite/builds/browser.umd.js",
    "v4": "/node_modules/algoliasearch-v4/dist/algoliasearch-lite.umd.js",
}
PAGE_FILES = ("/index.html", "/app.js", "/node_modules/instantsearch.js/dist/instantsearch.production.min.js")


@dataclass
class Opened:
    page: Page
    service: Service
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    service_answers: list[tuple[str, int]] = field(default_factory=list)  # the calls to /1/…, with their status


@contextmanager
def open_page(
    browser: BrowserContext, service: Service, frontend: Frontend, client: str, key: str, refused: int | None = None
) -> Iterator[Opened]:
    """The test page in a new tab, searching with `client` and `key`. Afterwards: no script error, no console
    error (but Chromium's note of each answer with the status `refused`), nothing fetched but from the two
    loopback origins, every file the page references served."""
    tab = browser.new_page()
    opened = Opened(tab, service)
    tab.on("pageerror", lambda error: opened.errors.append(str(error)))
    tab.on("console", lambda message: opened.errors.append(message.text) if message.type == "error" else None)
    tab.on("request", lambda sent: opened.requests.append(sent.url))
    tab.on(
        "response",
        lambda answer: (
            opened.service_answers.append((answer.url, answer.status))
            if answer.url.startswith(f"{service.url}/1/")
            else None
        ),
    )
    served_before = len(frontend.served)
    query = urlencode({"service": service.url, "index": service.index, "key": key, "client": client})
    tab.goto(f"{frontend.origin}/index.html?{query}")
    yield opened
    tab.close()
    note = f"Failed to load resource: the server responded with a status of {refused} "
    assert [error for error in opened.errors if refused is None or not error.startswith(note)] == []
    assert [url for url in opened.requests if not url.startswith((frontend.origin + "/", service.url + "/1/"))] == []
    fetched = {path.partition("?")[0]: status for path, status in frontend.served[served_before:]}
    for path in (*PAGE_FILES, CLIENT_SCRIPTS[client]):
        assert fetched.get(path) == 200, (path, fetched)


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


@dataclass(frozen=True)
class State:
    """What the widgets have been told, as the test drove them: the state both APIs are asked about."""

    query: str = ""
    brands: tuple[str, ...] = ()
    category: str | None = None
    price: tuple[int | None, int | None] = (None, None)
    rating: str = "All"  # the numeric menu's label
    in_stock: bool = False
    index: str | None = None  # a sort index; None: relevance
    page: int = 0  # 0-based, as InstantSearch counts
    size: int = 10


RATINGS: dict[str, tuple[float | None, float | None]] = {
    "All": (None, None),
    "4 and up": (4, None),
    "2 to 4": (2, 4),
    "Under 2": (None, 2),
}


def number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def search_params(state: State) -> list[tuple[str, str | int | float | bool | None]]:
    """The /search parameters for `state`."""
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("mode", "simple"),
        ("size", state.size),
        ("page", state.page + 1),
    ]
    params += [("facets", FACET_FIELDS), ("stats", "price")]
    if state.query:
        params.append(("q", state.query))
    params += [("filter", f"brand:{brand}") for brand in state.brands]
    if state.category:
        params.append(("filter", f"category:{state.category}"))
    if state.price != (None, None):
        params.append(("filter", f"price:{number(state.price[0])}..{number(state.price[1])}"))
    if RATINGS[state.rating] != (None, None):
        low, high = RATINGS[state.rating]
        params.append(("filter", f"rating:{number(low)}..{number(high)}"))
    if state.in_stock:
        params.append(("filter", "in_stock:true"))
    if state.index:
        params.append(("sort", SORT_INDICES[state.index]))
    return params


def service_search(service: Service, state: State) -> Any:
    response = httpx.get(
        f"{service.url}/search", params=search_params(state), headers={"X-API-Key": service.key}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def facet_counts(answer: Any, name: str) -> dict[str, int]:
    return {
        str(item["value"]).lower() if isinstance(item["value"], bool) else str(item["value"]): item["count"]
        for item in answer["facets"].get(name, [])
    }


def expected_view(service: Service, state: State) -> dict[str, Any]:
    """What the page must show for `state`, from the service's own /search answer."""
    answer = service_search(service, state)
    total = answer["total"]
    assert total["relation"] == "eq", total
    brands = facet_counts(answer, "brand")
    categories = facet_counts(answer, "category")
    in_stock = facet_counts(answer, "in_stock")
    stats = answer["stats"]["price"]
    # currentRefinements: a line per attribute, its name capitalised, a label per value or bound.
    refinements: list[list[str]] = []
    if state.brands:
        refinements.append(["Brand:", *state.brands])
    if state.category:
        refinements.append(["Category:", state.category])
    for name, (low, high) in (("Price:", state.price), ("Rating:", RATINGS[state.rating])):
        bounds = [f"≥ {number(low)}"] * (low is not None) + [f"≤ {number(high)}"] * (high is not None)
        if bounds:
            refinements.append([name, *bounds])
    if state.in_stock:
        refinements.append(["In_stock:", "true"])
    return {
        "hits": [hit["id"] for hit in answer["hits"]],
        "nb_hits": str(total["value"]),
        "page": str(state.page + 1),
        "nb_pages": str(math.ceil(total["value"] / state.size)),
        # refinementList: refined first, then by count, then by name; menu: refined first, then by name.
        "brands": sorted(
            [[value, str(count), value in state.brands] for value, count in brands.items()],
            key=lambda item: (not item[2], -int(str(item[1])), item[0]),
        ),
        "categories": sorted(
            [[value, str(count), value == state.category] for value, count in categories.items()],
            key=lambda item: (not item[2], item[0]),
        ),
        "in_stock": [state.in_stock, str(in_stock.get("true", ""))],
        "price": {
            "min": str(math.floor(stats["min"])),
            "max": str(math.ceil(stats["max"])),
            "from": number(state.price[0]),
            "to": number(state.price[1]),
        },
        "rating": state.rating,
        "sort": state.index or service.index,
        "hits_per_page": str(state.size),
        "refinements": sorted(refinements),
        "clear_disabled": not refinements,
        "error": "",
    }


SHOWN = """() => {
  const all = (selector, root = document) => [...root.querySelectorAll(selector)];
  const text = (selector, root = document) => root.querySelector(selector)?.textContent.trim() ?? null;
  const facet = (widget, label) => all(`#${widget} li`).map((item) => [
    text(label, item), text('[class$="-count"]', item),
    item.className.includes('--selected'),
  ]);
  const range = document.querySelectorAll('#price-range input');
  return {
    hits: all('#hits .hit').map((hit) => hit.dataset.id),
    nb_hits: text('#stats .nb-hits'),
    page: text('#stats .page'),
    nb_pages: text('#stats .nb-pages'),
    brands: facet('brand-list', '.ais-RefinementList-labelText'),
    categories: facet('category-menu', '.ais-Menu-label'),
    in_stock: [document.querySelector('#in-stock-toggle input')?.checked ?? null, text('#in-stock-toggle .count')],
    price: {min: range[0]?.min, max: range[1]?.max, from: range[0]?.value, to: range[1]?.value},
    rating: all('#rating-menu li').filter((item) => item.querySelector('input').checked)
      .map((item) => item.textContent.trim())[0] ?? null,
    sort: document.querySelector('#sort-by select')?.value,
    hits_per_page: document.querySelector('#hits-per-page select')?.value,
    refinements: all('#current-refinements li').map((item) => [
      text('.ais-CurrentRefinements-label', item),
      ...all('.ais-CurrentRefinements-categoryLabel', item).map((label) => label.textContent.trim()),
    ]),
    clear_disabled: document.querySelector('#clear-refinements button')?.disabled ?? null,
    error: text('#error'),
  };
}"""


def shown(page: Page) -> dict[str, Any]:
    view: dict[str, Any] = page.evaluate(SHOWN)
    view["refinements"] = sorted(view["refinements"])  # InstantSearch orders them by kind of filter, not by time
    return view


def settled(page: Page, read: Callable[[], Any], expected: Any) -> Any:
    """What `read()` gives once it equals `expected`, or after SETTLE_SECONDS: the page redraws as answers come."""
    deadline = time.monotonic() + SETTLE_SECONDS
    value = read()
    while value != expected and time.monotonic() < deadline:
        page.wait_for_timeout(50)
        value = read()
    return value


def check(opened: Opened, state: State) -> dict[str, Any]:
    """Wait (bounded) until the page shows what /search answers for `state`, then compare it whole."""
    expected = expected_view(opened.service, state)
    assert settled(opened.page, lambda: shown(opened.page), expected) == expected
    return expected


MARK = re.compile(r"<mark>(.*?)</mark>")


def marked(fragments: list[str]) -> set[str]:
    """The words /search's highlight marks (in <mark>), lower-cased."""
    return {word.lower() for fragment in fragments for word in MARK.findall(fragment)}


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


FACET_HITS_SHOWN = """() => Object.fromEntries([...document.querySelectorAll('#brand-list li')].map((item) => [
  item.querySelector('.ais-RefinementList-labelText').textContent,
  item.querySelector('.ais-RefinementList-count').textContent,
]))"""


def facet_hits_shown(page: Page) -> dict[str, str]:
    values: dict[str, str] = page.evaluate(FACET_HITS_SHOWN)
    return values


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
