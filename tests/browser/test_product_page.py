"""The search page on an index unlike the demo's (tests/products.py): prices, ratings, a stock flag, release dates and
tag arrays, each shown by the type the mapping gives it, with range inputs bounded by `stats` and a document's own
view as a list of fields.

The expected values come from the API itself (the same service the page talks to), so each assertion compares what
the page shows with what it was given. `-s` prints how long the page took.
"""

import re
import struct
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import serve_app
from tests.products import PRODUCT_ENVIRONMENT

# What the page draws a number as in Chromium's default locale (en-US): grouped thousands, the value's decimals.
NUMBER = r"\d{1,3}(,\d{3})*(\.\d+)?"


@pytest.fixture(scope="module")
def base_url(product_index: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the product catalogue with the settings a user would write for it; it overrides the package's
    `base_url` for these tests."""
    environment = {name.upper(): value for name, value in PRODUCT_ENVIRONMENT.items()}
    with serve_app(product_index, tmp_path_factory.mktemp("product-app") / "app.log", **environment) as url:
        yield url


def api(base_url: str, path: str, **params: Any) -> Any:
    response = httpx.get(f"{base_url}{path}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def sources_by_id(base_url: str, **params: Any) -> dict[str, dict[str, Any]]:
    """The hits the API gives for these parameters (more than a page, so ties on the sort cannot hide one)."""
    answer = api(base_url, "/search", size=30, **params)
    return {hit["id"]: hit["source"] for hit in answer["hits"]}


def float32_text(value: float) -> str:
    """The shortest decimal that is the same 32-bit float, as JavaScript writes it: what the page shows of a `float`
    field's stats (the API gives that decimal already, 5.99, not Elasticsearch's widened 5.989999771118164)."""
    for digits in range(1, 10):
        short = float(f"{value:.{digits}g}")
        if struct.pack("f", short) == struct.pack("f", value):
            return str(int(short)) if short.is_integer() else repr(short)
    raise AssertionError(f"{value} is not a 32-bit float")


def shown_number(text: str, label: str) -> float:
    match = re.fullmatch(rf"{label}: ({NUMBER})", text)
    assert match, f"{text!r} is not '{label}: <number>'"
    return float(match.group(1).replace(",", ""))


def open_page(page: Page, base_url: str, query: str) -> float:
    """Open the page at `query` and wait for its hits; the milliseconds that took."""
    start = time.perf_counter()
    page.goto(f"{base_url}/{query}")
    expect(page.locator(".hit").first).to_be_visible()
    return (time.perf_counter() - start) * 1000


def test_a_price_sorted_page_shows_each_price_as_a_number_first_and_the_values_by_type(page: Page, base_url: str):
    took = open_page(page, base_url, "?sort=price")
    expected = sources_by_id(base_url, sort="price")
    hits = page.locator(".hit")
    expect(hits).to_have_count(10)

    prices = []
    for hit in hits.all():
        source = expected[hit.locator(".hit-title").get_attribute("data-id") or ""]
        first = hit.locator(".fact").first
        expect(first).to_have_attribute("data-field", "price")  # the sorted-by value leads
        expect(first).to_have_class(re.compile(r"\bsorted\b"))
        prices.append(shown_number(first.inner_text(), "price"))
        assert prices[-1] == source["price"]
        flag = "yes" if source["in_stock"] else "no"
        expect(hit.locator('.fact[data-field="in_stock"]')).to_have_text(f"in stock: {flag}")
        expect(hit.locator('.badge[data-field="tags"]')).to_have_text(source["tags"])  # one element a tag
        if "released" in source:
            expect(hit.locator('.fact[data-field="released"]')).to_have_text(f"released: {source['released']}")
    assert prices == sorted(prices)
    assert any(len(source["tags"]) > 1 for source in expected.values())  # an array to split is on the page
    assert page.locator(".hit", has_text="sale,").count() == 0
    print(f"\nproduct page sorted by price: first hits in {took:.0f} ms")


def test_sorting_by_release_date_puts_each_hits_date_first(page: Page, base_url: str):
    open_page(page, base_url, "?sort=-released")

    firsts = page.locator(".hit .facts > .fact:first-child")
    expect(firsts).to_have_count(10)
    expect(page.locator(".fact.sorted")).to_have_count(10)
    dates = []
    for first in firsts.all():
        expect(first).to_have_attribute("data-field", "released")  # not the price, which comes first in _source
        match = re.fullmatch(r"released: (\d{4}-\d{2}-\d{2})", first.inner_text())
        assert match, first.inner_text()
        dates.append(match.group(1))
    assert dates == sorted(dates, reverse=True)


def test_the_sort_menu_and_the_facets_read_as_words(page: Page, base_url: str):
    open_page(page, base_url, "")

    legends = page.locator("#facets legend").all_inner_texts()
    assert legends == ["Brand", "Category", "In stock", "Tags", "Price", "Rating", "Released"]
    in_stock = page.get_by_role("group", name="In stock")
    expect(in_stock.get_by_role("checkbox")).to_have_count(2)
    in_stock.get_by_role("checkbox", name="no").check()

    expect(page).to_have_url(f"{base_url}/?filter=in_stock%3Afalse")
    expect(page.locator('.fact[data-field="in_stock"]')).to_have_text(["in stock: no"] * 10)
    expect(in_stock.get_by_role("checkbox", name="no")).to_be_checked()
    expect(in_stock.get_by_role("checkbox", name="yes")).not_to_be_checked()  # still offered
    sort_labels = page.get_by_label("Sort").locator("option").all_inner_texts()
    assert "title, ascending" in sort_labels
    assert "release date, ascending" not in sort_labels  # the field is `released`: named as it is
    assert "released, descending" in sort_labels


def test_a_price_range_is_bounded_by_the_stats_and_narrows_the_hits(page: Page, base_url: str):
    open_page(page, base_url, "")
    stats = api(base_url, "/search", size=0, stats="price,released")["stats"]
    lowest, highest = float32_text(stats["price"]["min"]), float32_text(stats["price"]["max"])
    assert (lowest, highest) == ("5.99", "504.99")  # the catalogue's cheapest and dearest (tests/products.py)
    price = page.get_by_role("group", name="Price")
    low, high = price.get_by_label("From"), price.get_by_label("To")
    for box, placeholder in ((low, lowest), (high, highest)):
        expect(box).to_have_attribute("min", lowest)
        expect(box).to_have_attribute("max", highest)
        expect(box).to_have_attribute("placeholder", placeholder)
    expect(price.locator(".help")).to_have_text(f"{lowest} – {highest}")
    released = page.get_by_role("group", name="Released")
    expect(released.get_by_label("From")).to_have_attribute("min", stats["released"]["min"][:10])
    expect(released.get_by_label("To")).to_have_attribute("max", stats["released"]["max"][:10])
    expect(released.locator(".help")).to_have_text(f"{stats['released']['min'][:10]} – {stats['released']['max'][:10]}")

    low.fill("100")
    high.fill("200")
    start = time.perf_counter()
    price.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(f"{base_url}/?filter=price%3A100..200")
    total = api(base_url, "/search", size=0, filter="price:100..200")["total"]["value"]
    expect(page.get_by_role("status")).to_have_text(re.compile(rf"^{total} results in \d+ ms$"))
    print(f"\nprice range applied: hits redrawn in {(time.perf_counter() - start) * 1000:.0f} ms")
    assert 0 < total < 300
    shown = [shown_number(text, "price") for text in page.locator('.fact[data-field="price"]').all_inner_texts()]
    assert len(shown) == 10
    assert all(100 <= value <= 200 for value in shown), shown
    # The range's own filter does not narrow its own bounds: the whole span is still in reach.
    expect(price.get_by_label("From")).to_have_value("100")
    expect(price.get_by_label("From")).to_have_attribute("min", lowest)

    price.get_by_role("button", name="Clear").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^300 results in \d+ ms$"))


def test_a_result_opens_as_a_list_of_its_fields_and_back_returns_to_the_results(page: Page, base_url: str):
    open_page(page, base_url, "?q=blender&sort=-price")
    link = page.locator(".hit-title").first
    doc_id = link.get_attribute("data-id")
    source = api(base_url, f"/documents/{doc_id}")["source"]

    link.click()

    detail = page.locator("#detail")
    expect(detail).to_be_visible()
    expect(page.locator("#results")).to_be_hidden()
    expect(page).to_have_url(f"{base_url}/?q=blender&sort=-price&doc={doc_id}")
    expect(detail.get_by_role("heading")).to_have_text(source["title"])
    terms = detail.locator("#detail-fields > dt").all_inner_texts()
    assert terms[:1] == ["ID"]
    assert {"Title", "Price", "In stock", "Tags", "Brand"} <= set(terms), terms
    fields = dict(zip(terms, detail.locator("#detail-fields > dd").all(), strict=True))
    assert shown_number(f"price: {fields['Price'].inner_text()}", "price") == source["price"]
    expect(fields["In stock"]).to_have_text("yes" if source["in_stock"] else "no")
    expect(fields["Tags"].locator(".badge")).to_have_text(source["tags"] or [])
    assert "{" not in detail.inner_text()
    assert '"price"' not in detail.inner_text()

    detail.get_by_role("button", name="← Back to the results").click()

    expect(detail).to_be_hidden()
    expect(page).to_have_url(f"{base_url}/?q=blender&sort=-price")
    expect(page.locator(".hit-title").first).to_be_focused()  # where the reader left the list
    expect(page.locator(".hit-title").first).to_have_attribute("data-id", doc_id or "")


def test_a_document_link_opened_on_its_own_shows_the_document_and_leads_to_the_results(page: Page, base_url: str):
    open_page(page, base_url, "?q=lamp")
    doc_id = page.locator(".hit-title").first.get_attribute("data-id")

    page.goto(f"{base_url}/?q=lamp&doc={doc_id}")
    expect(page.locator("#detail-fields > dt").first).to_have_text("ID")
    page.get_by_role("button", name="← Back to the results").click()

    expect(page).to_have_url(f"{base_url}/?q=lamp")
    expect(page.locator(".hit").first).to_be_visible()
