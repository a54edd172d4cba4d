"""The InstantSearch test page (tests/frontend/) and what it should show: its files served from an origin of their
own, the service it talks to, a tab opened on it with its checks, the state the tests drive it into, and that
state's expected view from the service's own `GET /search` (tests/browser/test_instantsearch.py)."""

import math
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler
from typing import Any
from urllib.parse import urlencode

import httpx
from playwright.sync_api import BrowserContext, Page

from tests.conftest import REPO

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


@dataclass
class Service:
    url: str
    index: str
    key: str


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


FACET_HITS_SHOWN = """() => Object.fromEntries([...document.querySelectorAll('#brand-list li')].map((item) => [
  item.querySelector('.ais-RefinementList-labelText').textContent,
  item.querySelector('.ais-RefinementList-count').textContent,
]))"""


def facet_hits_shown(page: Page) -> dict[str, str]:
    values: dict[str, str] = page.evaluate(FACET_HITS_SHOWN)
    return values
