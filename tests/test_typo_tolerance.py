"""Typo tolerance and search as you type (`mode=simple`) against the real node, on an index of our own making whose
mapping is not the demo's: a shop's catalogue, with duplicates and typos of its own in the data."""

from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from search_service.query import body as query_body
from search_service.query.tolerance import Tolerance, tolerant_text
from tests.conftest import temporary_index

AUTO = Tolerance(most_typos=2, prefix=True)

MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "title": {"type": "text"},
        "brand": {"type": "keyword"},
        "blurb": {"type": "text"},
        "internal_note": {"type": "text"},  # never searched: a typo'd query must not reach it
        "price": {"type": "float"},
    },
}
DOCUMENTS: list[dict[str, Any]] = [
    {"_id": "headphones", "title": "Wireless headphones", "brand": "Sonar", "blurb": "Noise cancelling", "price": 99},
    # A duplicate listing, and one with a typo in the shop's own data.
    {"_id": "headphones-2", "title": "Wireless headphones", "brand": "Sonar", "blurb": "Noise cancelling", "price": 99},
    {"_id": "kids-headphones", "title": "Kids headphones", "brand": "Tiny", "blurb": "Volume limited", "price": 20},
    {"_id": "headphnoes", "title": "Studio headphnoes", "brand": "Acme", "blurb": "Closed back", "price": 149},
    # Exact against typo'd: a long title holding `mouse` once, and a one-word title one edit away, which BM25 alone
    # would rank first (a short field, a rarer term).
    {
        "_id": "mouse",
        "title": "Wireless optical mouse for the office desk with a long braided cable and spare batteries",
        "brand": "Acme",
        "blurb": "Two buttons",
        "price": 25,
    },
    {"_id": "mousse", "title": "Mousse", "brand": "Patisserie", "blurb": "Chocolate", "price": 6},
    {"_id": "calendar-2023", "title": "Wall calendar 2023", "brand": "Paper", "blurb": "Twelve months", "price": 10},
    {"_id": "galaxy", "title": "Galaxy S24 phone case", "brand": "Caseco", "blurb": "Slim", "price": 15},
    {"_id": "keyboard", "title": "Mechanical keyboard", "brand": "Acme", "blurb": "Tactile", "price": 80},
    {"_id": "secret", "title": "Gift card", "brand": "Shop", "blurb": "Any amount", "internal_note": "zebracorn"},
]


@pytest.fixture(scope="module")
def catalogue_index(elasticsearch_url: str) -> Iterator[str]:
    with temporary_index("test-typos", MAPPING, DOCUMENTS) as name:
        yield name


@pytest.fixture
def configure(configure_service, catalogue_index):
    def configure(**overrides: Any) -> None:
        settings = {
            "elasticsearch_index": catalogue_index,
            "search_fields": "title^2,blurb",
            "search_query_fields": "title,blurb,brand",
            "search_source_fields": "title,brand,price",
            "search_filter_fields": "brand",
            "search_facet_fields": "brand",
            "search_sort_fields": "price",
            "search_rank_field": "",
            # Close matches also when the query as written finds a few (the default, 1, only when it finds none).
            "search_typo_threshold": 5,
        }
        configure_service(**(settings | overrides))

    configure()
    return configure


@pytest.fixture
def search(api, configure):
    async def run(q: str, **params: Any) -> dict[str, Any]:
        response = await api.get("/search", params={"q": q, "mode": "simple"} | params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


def ids(body: dict[str, Any]) -> list[str]:
    return [hit["id"] for hit in body["hits"]]


def tolerant_passes(outcome: str) -> float:
    return REGISTRY.get_sample_value("search_tolerant_searches_total", {"outcome": outcome}) or 0.0


async def test_by_default_only_a_search_that_finds_nothing_is_searched_again(configure, search):
    configure(search_typo_threshold=1)
    before = tolerant_passes("ran")
    assert ids(await search("mouse")) == ["mouse"]  # one hit as written: no second search
    assert tolerant_passes("ran") == before
    assert set(ids(await search("hedaphones"))) >= {"headphones", "headphones-2"}
    assert tolerant_passes("ran") == before + 1


async def test_a_typo_finds_the_word_meant(search):
    body = await search("wireless hedaphones")  # two letters swapped

    assert body["tolerant"] is True
    assert set(ids(body)) >= {"headphones", "headphones-2"}


async def test_a_query_that_finds_enough_as_written_is_searched_once(configure, search):
    configure(search_typo_threshold=3)
    before = tolerant_passes("ran")
    body = await search("headphones")

    assert body["tolerant"] is False
    assert tolerant_passes("ran") == before
    # As written: the documents holding the word; the shop's own typo is not among them.
    assert set(ids(body)) == {"headphones", "headphones-2", "kids-headphones"}
    configure(search_typo_threshold=4)
    assert set(ids(await search("headphones"))) == {"headphones", "headphones-2", "kids-headphones", "headphnoes"}
    assert tolerant_passes("ran") == before + 1


async def test_the_first_letter_is_never_changed(search):
    before = tolerant_passes("ran")
    body = await search("zeadphones")  # h → z, one edit, on the first letter

    assert tolerant_passes("ran") == before + 1
    assert body["total"]["value"] == 0
    assert body["tolerant"] is False  # nothing close was added


async def test_numbers_are_never_fuzzed(search):
    assert (await search("calendar 2024"))["total"]["value"] == 0  # 2023 is one edit from 2024
    assert (await search("galaxy s25"))["total"]["value"] == 0  # nor a word holding a digit
    assert ids(await search("calendr 2023")) == ["calendar-2023"]  # the word next to it still may


async def test_an_exact_match_ranks_above_a_typo_match(search):
    body = await search("mouse")

    assert body["tolerant"] is True  # one hit as written: fewer than SEARCH_TYPO_THRESHOLD (5)
    assert ids(body)[:2] == ["mouse", "mousse"]


async def test_the_last_word_is_completed_while_typing(search):
    body = await search("wireless headph")

    assert body["tolerant"] is True
    assert set(ids(body)[:2]) == {"headphones", "headphones-2"}
    # Completed words are highlighted; typo'd ones are not (too costly: query/tolerance.py).
    assert "<mark>headphones</mark>" in body["hits"][0]["highlight"]["title"][0]


async def test_typos_zero_and_prefix_false(search):
    assert (await search("hedaphones", typos="0", prefix="false"))["total"]["value"] == 0
    assert (await search("hedaphones", typos="0"))["total"]["value"] == 0  # completion alone does not fix a typo
    assert (await search("headph", prefix="false"))["total"]["value"] == 0
    assert set(ids(await search("headph", typos="0"))) >= {"headphones", "headphones-2"}
    body = await search("headph", typos="0", prefix="false")
    assert body["tolerant"] is False
    assert body["total"]["value"] == 0


async def test_one_typo_only_when_asked(search):
    assert (await search("keybaord"))["total"]["value"] == 1  # swapped: 1 edit with transpositions
    assert (await search("kyebaord", typos="2"))["total"]["value"] == 1  # two swaps, 8 letters
    assert (await search("kyebaord", typos="1"))["total"]["value"] == 0


async def test_the_settings_set_the_defaults(configure, search):
    configure(search_typos="0", search_prefix=False)
    assert (await search("hedaphones"))["total"]["value"] == 0
    assert (await search("hedaphones", typos="auto"))["total"]["value"] >= 2
    configure(search_typo_threshold=0)
    assert (await search("hedaphones", typos="auto"))["total"]["value"] == 0


async def test_a_typo_never_reaches_a_field_that_is_not_searched(search):
    assert (await search("zebracorns"))["total"]["value"] == 0
    assert (await search("zebrac"))["total"]["value"] == 0


async def test_filters_and_facets_apply_to_the_tolerant_pass(search):
    body = await search("hedaphones", filter="brand:Acme", facets="brand")

    assert body["tolerant"] is True
    assert ids(body) == ["headphnoes"]
    assert {value["value"] for value in body["facets"]["brand"]} == {"Sonar", "Acme", "Tiny"}


async def test_a_tolerant_first_page_continues_tolerant(search):
    first = await search("wireles", size=1)  # completes to `wireless`: three documents

    assert first["tolerant"] is True
    assert first["next"] is not None
    second = await search("wireles", size=1, cursor=first["next"])
    assert second["tolerant"] is True
    assert ids(second) != ids(first)
    assert second["total"] == first["total"]


async def test_did_you_mean_speaks_when_the_tolerant_pass_finds_far_more(configure, search):
    # `headphnoes` as written: one document (the shop's typo); tolerant, 4. With a ratio of 2, a correction.
    configure(search_did_you_mean_below=0, search_did_you_mean_ratio=2)
    body = await search("headphnoes")
    assert body["tolerant"] is True
    assert body["suggestions"] == ["headphones"]
    configure(search_did_you_mean_below=0, search_did_you_mean_ratio=20)
    assert (await search("headphnoes"))["suggestions"] == []


async def test_mode_query_string_refuses_the_simple_mode_parameters(api, configure):
    for params in ({"typos": "1"}, {"prefix": "true"}):
        response = await api.get("/search", params={"q": "mouse"} | params)
        assert response.status_code == 422
        assert "mode=simple" in response.text
    response = await api.get("/search", params={"q": "mouse", "mode": "simple", "typos": "3"})
    assert response.status_code == 422


async def test_the_default_operator_setting(configure, search, api):
    assert (await search("wireless keyboard", typos="0", prefix="false"))["total"]["value"] == 0  # and
    configure(search_default_operator="or")
    assert (await search("wireless keyboard", typos="0", prefix="false"))["total"]["value"] == 4
    either = await api.get("/search", params={"q": "wireless keyboard"})
    assert either.json()["total"]["value"] == 4
    configure(search_default_operator="and")
    both = await api.get("/search", params={"q": "wireless keyboard"})
    assert both.json()["total"]["value"] == 0


def test_the_tolerant_pass_is_bounded_like_a_fuzzy_query_string_term():
    body = query_body.build_search_body(
        query="pyhton", size=10, fields=["title"], mode="simple", tolerant=tolerant_text("pyhton", AUTO)
    )
    relaxed = body["query"]["bool"]["must"]["simple_query_string"]
    assert relaxed["query"] == "(pyhton* | pyhton~1)"
    assert relaxed["fuzzy_max_expansions"] == query_body.FUZZY_MAX_EXPANSIONS
    assert relaxed["fuzzy_prefix_length"] == 1
    assert "FUZZY" in relaxed["flags"]
    exact, completed = body["query"]["bool"]["should"]
    assert (exact["simple_query_string"]["query"], exact["simple_query_string"]["boost"]) == (
        "pyhton",
        query_body.EXACT_BOOST,
    )
    assert (completed["simple_query_string"]["query"], completed["simple_query_string"]["boost"]) == (
        "pyhton*",
        query_body.PREFIX_BOOST,
    )
    # The highlighter is given the completed form, not the typo'd one.
    assert body["highlight"]["highlight_query"]["simple_query_string"]["query"] == "pyhton*"
