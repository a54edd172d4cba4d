"""The search page at `/` in Chromium, against the app as the image runs it and the real Elasticsearch."""

import re
from urllib.parse import parse_qs, quote, urlsplit

from playwright.sync_api import Page, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError


def open_page(page: Page, base_url: str, query: str = "") -> None:
    page.goto(f"{base_url}/{query}")
    expect(page.locator("#status")).not_to_have_text("")  # the script has run


def search_for(page: Page, text: str) -> None:
    page.get_by_label("Query").fill(text)


def choose_lucene(page: Page) -> None:
    page.get_by_label("Syntax").select_option(label="Lucene (query_string)")
    expect(page).to_have_url(re.compile(r"[?&]mode=query_string(&|$)"))


def titles(page: Page, count: int) -> list[str]:
    expect(page.locator(".hit")).to_have_count(count)
    return page.locator(".hit-title").all_inner_texts()


def expect_titles(page: Page, *expected: str) -> None:
    """Wait until the hits are these, in any order: the hits of the search before may still be shown at first."""
    try:
        page.wait_for_function(
            "(expected) => [...document.querySelectorAll('.hit-title')].map((t) => t.textContent).sort().join()"
            " === expected",
            arg=",".join(sorted(expected)),
        )
    except PlaywrightTimeoutError:
        raise AssertionError(f"hits {page.locator('.hit-title').all_inner_texts()}, not {sorted(expected)}") from None


def test_typing_a_query_shows_its_results_count_time_and_highlights(page, base_url):
    open_page(page, base_url)

    page.keyboard.press("/")
    expect(page.get_by_label("Query")).to_be_focused()
    page.keyboard.type("json", delay=30)

    expect_titles(page, "json.dumps", "json.loads")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^2 results in \d+ ms$"))
    expect(page.locator(".hit-title mark").first).to_have_text("json")
    expect(page).to_have_url(f"{base_url}/?q=json")
    expect(page).to_have_title("json – Search")


def test_a_phrase_query_finds_only_the_phrase(page, base_url):
    open_page(page, base_url)

    search_for(page, '"reader object"')

    assert titles(page, 1) == ["csv.reader"]
    expect(page.locator(".snippet mark").first).to_have_text("reader object")
    expect(page).to_have_url(f"{base_url}/?q=%22reader+object%22")


def test_a_malformed_query_shows_what_is_wrong_where_and_what_to_try(page, base_url):
    open_page(page, base_url)
    choose_lucene(page)

    search_for(page, 'json "dumps')

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("is never closed")
    expect(alert.locator(".position")).to_have_text('At position 5: json "dumps')
    expect(alert.locator(".position mark")).to_have_text('"')
    expect(alert.locator(".hint")).to_contain_text("mode=simple")
    expect(page.locator(".hit")).to_have_count(0)

    alert.get_by_role("button", name="Search with the simple syntax").click()

    assert titles(page, 1) == ["json.dumps"]
    expect(page.get_by_label("Syntax")).to_have_value("simple")
    expect(alert).to_be_hidden()
    expect(page).to_have_url(f"{base_url}/?q=json+%22dumps")  # simple, the page's default, is left out


def test_ticking_a_facet_narrows_the_results_and_keeps_the_alternatives(page, base_url):
    open_page(page, base_url, "?q=dumps")
    expect_titles(page, "json.dumps", "pickle.dumps")
    module = page.get_by_role("group", name="module")
    expect(module.get_by_role("checkbox")).to_have_count(2)

    module.get_by_role("checkbox", name="json").check()

    assert titles(page, 1) == ["json.dumps"]
    expect(page).to_have_url(f"{base_url}/?q=dumps&filter=module%3Ajson")
    expect(module.get_by_role("checkbox", name="json")).to_be_checked()
    expect(module.get_by_role("checkbox", name="json")).to_be_focused()  # still where the user was
    expect(module.get_by_role("checkbox", name="pickle")).not_to_be_checked()


def test_next_and_previous_page(page, base_url):
    open_page(page, base_url)
    search_for(page, "paginated")
    first = titles(page, 10)
    expect(page.locator("#page-number")).to_have_text("Page 1 of 3")
    expect(page.get_by_role("button", name="← Previous")).to_be_disabled()

    page.get_by_role("button", name="Next →").click()

    expect(page.locator("#page-number")).to_have_text("Page 2 of 3")
    second = titles(page, 10)
    assert not set(first) & set(second)
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^25 results in \d+ ms, page 2$"))
    expect(page).to_have_url(f"{base_url}/?q=paginated&page=2")

    page.get_by_role("button", name="Next →").click()
    assert len(titles(page, 5)) == 5
    expect(page.get_by_role("button", name="Next →")).to_be_disabled()
    page.get_by_role("button", name="← Previous").click()
    assert titles(page, 10) == second


def test_the_back_button_restores_the_previous_search(page, base_url):
    open_page(page, base_url)
    search_for(page, "json")
    expect_titles(page, "json.dumps", "json.loads")
    search_for(page, "csv")
    expect_titles(page, "csv.DictReader", "csv.reader")
    page.get_by_role("group", name="kind").get_by_role("checkbox", name="class").check()
    assert titles(page, 1) == ["csv.DictReader"]

    page.go_back()
    expect_titles(page, "csv.DictReader", "csv.reader")
    expect(page.get_by_role("checkbox", name="class")).not_to_be_checked()
    page.go_back()
    expect_titles(page, "json.dumps", "json.loads")
    expect(page.get_by_label("Query")).to_have_value("json")
    page.go_forward()
    expect(page.get_by_label("Query")).to_have_value("csv")
    expect_titles(page, "csv.DictReader", "csv.reader")


def test_a_search_in_the_url_is_restored_when_the_page_opens(page, base_url):
    open_page(page, base_url, "?q=dumps&sort=-qualname.raw&filter=kind%3Afunction")

    assert titles(page, 2) == ["pickle.dumps", "json.dumps"]
    expect(page.get_by_label("Query")).to_have_value("dumps")
    expect(page.get_by_label("Sort")).to_have_value("-qualname.raw")
    expect(page.get_by_role("checkbox", name="function")).to_be_checked()


def test_the_sort_menu_orders_the_results(page, base_url):
    open_page(page, base_url, "?q=dumps")
    titles(page, 2)

    page.get_by_label("Sort").select_option(label="qualname, ascending")
    expect(page.locator(".hit-title")).to_have_text(["json.dumps", "pickle.dumps"])
    page.get_by_label("Sort").select_option(label="qualname, descending")
    expect(page.locator(".hit-title")).to_have_text(["pickle.dumps", "json.dumps"])
    expect(page).to_have_url(f"{base_url}/?q=dumps&sort=-qualname.raw")


def test_markup_in_documents_and_queries_is_shown_as_text_and_never_runs(page, base_url):
    open_page(page, base_url)

    search_for(page, "injects")

    assert titles(page, 1) == ["hostile.<b>bold</b>"]
    hit = page.locator(".hit")
    expect(hit.locator(".code")).to_have_text("(<script>window.pwned=2</script>)")
    expect(hit.locator(".snippet")).to_contain_text("<script>window.pwned=3</script>")
    expect(hit.locator(".badge")).to_have_text(["hostile<img src=x onerror=window.pwned=1>", "<i>kind</i>"])
    expect(page.get_by_role("checkbox", name="<i>kind</i>")).to_be_visible()
    expect(page.locator("main script, main img, main b, main i")).to_have_count(0)

    search_for(page, "<b>bold</b> injcts")  # a typo: the close matches' note quotes the query
    expect(page.locator("#tolerant")).to_contain_text("“<b>bold</b> injcts”")
    assert titles(page, 1) == ["hostile.<b>bold</b>"]
    expect(page.locator("main script, main img, main b, main i")).to_have_count(0)

    choose_lucene(page)  # where a stray quote is an error
    search_for(page, '"<img src=x onerror=window.pwned=5>')  # an unclosed quote: the error quotes the query
    expect(page.get_by_role("alert")).to_contain_text("<img src=x")
    expect(page.locator("main img")).to_have_count(0)
    assert page.evaluate("window.pwned") is None


def test_the_suggestions_of_an_answer_are_offered_as_searches(page, base_url):
    # The page draws `suggestions` whenever an answer has them; this answer is given one.
    def add_a_suggestion(route):
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "suggestions": ["json"]})

    page.route(re.compile(r"/search\?"), add_a_suggestion)
    open_page(page, base_url)
    search_for(page, "jsno")

    expect(page.locator("#suggestions")).to_have_text("Did you mean json?")
    page.locator("#suggestions").get_by_role("link", name="json").click()

    expect_titles(page, "json.dumps", "json.loads")
    expect(page.get_by_label("Query")).to_have_value("json")


def test_arrow_keys_move_through_the_results_and_slash_returns_to_the_box(page, base_url):
    open_page(page, base_url, "?q=paginated")
    links = page.locator(".hit-title")
    expect(links).to_have_count(10)
    box = page.get_by_label("Query")
    box.focus()

    page.keyboard.press("ArrowDown")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(box).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_value("paginated")


def test_at_phone_width_nothing_scrolls_sideways_and_the_facets_follow_the_results(page, base_url):
    page.set_viewport_size({"width": 360, "height": 740})
    open_page(page, base_url, "?q=" + quote("paginated entry"))
    titles(page, 10)

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    results, facets = page.locator("#results").bounding_box(), page.locator("#facets").bounding_box()
    assert results
    assert facets
    assert facets["y"] >= results["y"] + results["height"]


def test_a_documents_fields_are_shown_as_text_and_never_run(page, base_url):
    open_page(page, base_url, "?q=injects")
    titles(page, 1)

    page.locator(".hit-title").click()

    detail = page.locator("#detail")
    expect(detail.get_by_role("heading")).to_have_text("hostile.<b>bold</b>")
    expect(page.locator("#detail-fields")).to_contain_text("(<script>window.pwned=2</script>)")
    expect(page.locator("#detail-fields")).to_contain_text('<img src=x onerror="window.pwned=4">')
    expect(page.locator("#detail-fields > dt")).to_contain_text(["ID", "Module", "Name", "Qualname", "Kind"])
    expect(page.locator("main script, main img, main b, main i")).to_have_count(0)
    assert page.evaluate("window.pwned") is None


def test_a_missing_document_says_so_and_leads_back_to_the_results(page, base_url):
    open_page(page, base_url, "?q=json&doc=no.such.document")

    expect(page.locator("#detail").get_by_role("heading")).to_have_text("No such document")
    expect(page.get_by_role("alert")).to_have_text("No document in the index has this id")
    page.get_by_role("button", name="← Back to the results").click()

    expect_titles(page, "json.dumps", "json.loads")
    expect(page).to_have_url(f"{base_url}/?q=json")


def api_modes(page: Page) -> list[str | None]:
    """The `mode` of every request the page makes to GET /search, as it makes them (None: no `mode`)."""
    modes: list[str | None] = []

    def note(request: Request) -> None:
        url = urlsplit(request.url)
        if url.path == "/search":
            modes.append(parse_qs(url.query).get("mode", [None])[0])

    page.on("request", note)
    return modes


def test_typing_the_start_of_a_name_shows_the_completed_document_without_pressing_enter(page, base_url):
    modes = api_modes(page)
    open_page(page, base_url)
    expect(page.get_by_label("Syntax")).to_have_value("simple")  # the default: a search box's syntax

    page.get_by_label("Query").focus()
    page.keyboard.type("DictRea", delay=30)  # no Enter: the page searches as the typing pauses

    expect_titles(page, "csv.DictReader")
    expect(page.locator(".hit-title mark")).to_have_text("DictReader")  # the completed word
    expect(page).to_have_url(f"{base_url}/?q=DictRea")  # the default syntax is left out of the link
    assert modes
    assert set(modes) == {"simple"}  # but the API, whose own default is query_string, is told


def test_a_query_with_a_typo_shows_the_intended_document_and_says_close_matches_are_shown(page, base_url):
    open_page(page, base_url)

    search_for(page, "pikcle")

    assert titles(page, 1) == ["pickle.dumps"]
    note = page.locator("#tolerant")
    expect(note).to_have_text("Showing close matches too: few or no exact results for “pikcle”.")
    expect(page.locator("#suggestions")).to_have_text("Did you mean pickle?")
    note_box, results_box = note.bounding_box(), page.locator("#results").bounding_box()
    assert note_box
    assert results_box
    assert note_box["y"] + note_box["height"] <= results_box["y"]  # above the results
    expect(page.locator("#notes")).to_have_attribute("aria-live", "polite")

    search_for(page, "paginated")  # enough exact results: no close matches, no note
    titles(page, 10)
    expect(note).to_be_hidden()


def test_lucene_is_kept_in_the_url_and_a_typo_there_finds_nothing_but_a_did_you_mean(page, base_url):
    modes = api_modes(page)
    open_page(page, base_url)
    simple_help, lucene_help = page.get_by_text("a typo or an unfinished word"), page.get_by_text("Lucene syntax")
    expect(simple_help).to_be_visible()
    expect(lucene_help).to_be_hidden()

    choose_lucene(page)
    expect(page).to_have_url(f"{base_url}/?mode=query_string")
    expect(lucene_help).to_be_visible()  # the help line says the syntax chosen
    expect(simple_help).to_be_hidden()
    search_for(page, "pikcle")

    expect(page).to_have_url(f"{base_url}/?q=pikcle&mode=query_string")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^0 results in \d+ ms$"))
    expect(page.locator(".hit")).to_have_count(0)
    expect(page.locator("#tolerant")).to_be_hidden()
    suggestions = page.locator("#suggestions")
    expect(suggestions).to_have_text("Did you mean pickle?")
    suggestions.get_by_role("link", name="pickle").click()

    assert titles(page, 1) == ["pickle.dumps"]
    expect(page).to_have_url(f"{base_url}/?q=pickle&mode=query_string")
    assert modes[-1] == "query_string"


def test_old_links_keep_their_syntax_and_a_link_without_one_means_simple(page, base_url):
    open_page(page, base_url, "?q=pikcle&mode=query_string")  # shared when Lucene was the default
    expect(page.get_by_label("Syntax")).to_have_value("query_string")
    expect(page.locator("#suggestions")).to_have_text("Did you mean pickle?")
    expect(page.locator(".hit")).to_have_count(0)

    open_page(page, base_url, "?q=pikcle&mode=simple")
    expect(page.get_by_label("Syntax")).to_have_value("simple")
    assert titles(page, 1) == ["pickle.dumps"]

    open_page(page, base_url, "?q=pikcle")
    expect(page.get_by_label("Syntax")).to_have_value("simple")
    assert titles(page, 1) == ["pickle.dumps"]
