"""Filters, facets, sorting and mode=simple through GET /search, on a catalogue index of the real node."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import temporary_index

CATEGORIES = ["books", "games", "music"]
CATALOGUE_MAPPING: dict[str, Any] = {
    "properties": {
        "name": {"type": "text"},
        "category": {"type": "keyword"},
        "tags": {"type": "keyword"},
        "price": {"type": "integer"},
        "released": {"type": "date"},
        "secret": {"type": "keyword"},
    }
}
# 30 items: category cycles books/games/music, price 0..29, released one a month in 2020-2022, tags by parity.
CATALOGUE: list[dict[str, Any]] = [
    {
        "_id": f"item{n:02d}",
        "name": f"item {'red' if n % 2 else 'blue'} number{n}",
        "category": CATEGORIES[n % 3],
        "tags": ["odd" if n % 2 else "even", *(["sale"] if n % 5 == 0 else [])],
        "price": n,
        "released": f"{2020 + n // 12}-{n % 12 + 1:02d}-15",
        "secret": "do-not-show",
    }
    for n in range(30)
]


@pytest.fixture(scope="module")
def catalogue(elasticsearch_url: str) -> Iterator[str]:
    with temporary_index("catalogue", CATALOGUE_MAPPING, CATALOGUE) as name:
        yield name


@pytest.fixture
def search(api, configure_service, catalogue):
    configure_service(
        elasticsearch_index=catalogue,
        search_fields="name",
        search_query_fields="name,category",
        search_source_fields="name,category,tags,price,released",
        search_filter_fields="category,tags,price,released",
        search_facet_fields="category,tags",
        search_sort_fields="price,released,category",
    )

    async def run(**params: Any) -> dict[str, Any]:
        response = await api.get("/search", params={"q": "item", "size": 100} | params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


def ids(body: dict[str, Any]) -> list[str]:
    return [hit["id"] for hit in body["hits"]]


def expected(predicate: Any) -> set[str]:
    return {doc["_id"] for n, doc in enumerate(CATALOGUE) if predicate(n)}


async def test_a_value_filter_matches_exactly(search):
    body = await search(filter="category:games")
    assert set(ids(body)) == expected(lambda n: n % 3 == 1)
    assert body["total"] == {"value": 10, "relation": "eq"}


async def test_values_of_one_field_or_together_and_fields_and(search):
    body = await search(filter=["category:games", "category:music", "tags:sale"])
    assert set(ids(body)) == expected(lambda n: n % 3 != 0 and n % 5 == 0)


@pytest.mark.parametrize(
    ("value", "predicate"),
    [
        ("10..12", lambda n: 10 <= n <= 12),
        ("25..", lambda n: n >= 25),
        ("..3", lambda n: n <= 3),
        ("2.5..4.5", lambda n: 3 <= n <= 4),
    ],
)
async def test_numeric_ranges_include_their_ends(search, value, predicate):
    assert set(ids(await search(filter=f"price:{value}"))) == expected(predicate)


async def test_date_ranges(search):
    body = await search(filter="released:2022-01-01..2022-03-31")
    assert set(ids(body)) == expected(lambda n: n in (24, 25, 26))


async def test_a_range_and_a_value_of_one_field_or_together(search):
    body = await search(filter=["price:..1", "price:29"])
    assert set(ids(body)) == {"item00", "item01", "item29"}


async def test_filters_do_not_change_scores(search):
    unfiltered = {hit["id"]: hit["score"] for hit in (await search(q="red number3"))["hits"]}
    filtered = {hit["id"]: hit["score"] for hit in (await search(q="red number3", filter="category:books"))["hits"]}
    assert filtered
    assert all(filtered[doc] == pytest.approx(unfiltered[doc]) for doc in filtered)


async def test_facets_count_values(search):
    body = await search(facets="category,tags")
    assert body["facets"]["category"] == [{"value": c, "count": 10} for c in CATEGORIES]
    assert {v["value"]: v["count"] for v in body["facets"]["tags"]} == {"even": 15, "odd": 15, "sale": 6}


async def test_a_facet_ignores_its_own_filter_but_not_the_others(search):
    body = await search(facets="category,tags", filter=["category:games", "tags:sale"])
    # Hits: both filters. category counts: only tags:sale applied. tags counts: only category:games applied.
    assert set(ids(body)) == {"item10", "item25"}
    assert {v["value"]: v["count"] for v in body["facets"]["category"]} == {"books": 2, "games": 2, "music": 2}
    assert {v["value"]: v["count"] for v in body["facets"]["tags"]} == {"even": 5, "odd": 5, "sale": 2}


async def test_facet_size_limits_values(search):
    body = await search(facets="tags", facet_size=1)
    assert body["facets"]["tags"] == [{"value": "even", "count": 15}]


async def test_no_facets_unless_asked(search):
    assert (await search())["facets"] == {}


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [("price", "price", False), ("-price", "price", True), ("-released", "released", True)],
)
async def test_sort_by_a_field(search, sort, key, reverse):
    body = await search(sort=sort)
    values = [hit["source"][key] for hit in body["hits"]]
    assert values == sorted(values, reverse=reverse)
    assert len(values) == 30


async def test_sort_keys_combine_and_ties_keep_one_order_across_pages(search):
    pages = [ids(await search(sort="category,-price", size=7, page=page)) for page in range(1, 6)]
    walked = [doc for page in pages for doc in page]
    assert len(walked) == len(set(walked)) == 30
    order = [(CATALOGUE[int(doc[4:])]["category"], -CATALOGUE[int(doc[4:])]["price"]) for doc in walked]
    assert order == sorted(order)
    # Ties only (every hit scores the same): still one order, page after page, request after request.
    tied = [ids(await search(size=4, page=page)) for page in range(1, 9)]
    again = [ids(await search(size=4, page=page)) for page in range(1, 9)]
    assert tied == again
    assert len({doc for page in tied for doc in page}) == 30


async def test_simple_mode_finds_what_query_string_refuses(api, search):
    for query in ['"item red', "item (red", "red)", "number3 ] {", 'red "number3', "item\\"]:
        refused = await api.get("/search", params={"q": query})
        assert refused.status_code == 400, query
        body = await search(q=query, mode="simple")
        assert body["total"]["value"] > 0, query


async def test_simple_mode_keeps_its_operators(search):
    # As written (few hits would bring the tolerant pass, tests/test_typo_tolerance.py).
    exact = {"mode": "simple", "typos": "0", "prefix": "false"}
    assert set(ids(await search(q='"red number3"', **exact))) == {"item03"}
    without = ids(await search(q="item -number3", **exact))
    assert "item03" not in without
    assert len(without) == 29
    # Every word must match unless `|` says either.
    assert set(ids(await search(q="red number3", **exact))) == {"item03"}
    assert set(ids(await search(q="number3 | number4", **exact))) == {"item03", "item04"}


async def test_simple_mode_cannot_reach_other_fields(search):
    # `category:games` is text to simple_query_string: it searches the name field for it, and finds nothing.
    assert (await search(q="category:games", mode="simple"))["total"]["value"] == 0


async def test_field_sorted_hits_have_no_score_and_max_score_follows(search):
    body = await search(sort="price")
    assert body["max_score"] is None
    assert all(hit["score"] is None for hit in body["hits"])
    scored = await search(q="red")
    assert scored["max_score"] == pytest.approx(max(hit["score"] for hit in scored["hits"]))


async def test_hidden_fields_stay_hidden_with_every_parameter(search):
    body = await search(filter="category:books", facets="category", sort="-price")
    assert all("secret" not in hit["source"] for hit in body["hits"])


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"filter": "secret:do-not-show"}, "cannot filter on 'secret'; allowed: category, tags, price, released"),
        ({"filter": "name"}, "is not field:value"),
        ({"filter": "price:.."}, "needs at least one end"),
        ({"filter": "category:"}, "has no value"),
        ({"filter": ["category:books"] * 17}, "at most 16 filters"),
        ({"facets": "price"}, "cannot facet on 'price'; allowed: category, tags"),
        ({"sort": "secret"}, "cannot sort on 'secret'; allowed: score, price, released, category"),
        ({"sort": "price,-price"}, "'price' appears twice"),
        ({"facet_size": 1001}, "facet_size: must be at most 100"),
        ({"mode": "lucene"}, "mode:"),
        ({"cursor": "x", "page": 2}, "send it without `page`"),
    ],
)
async def test_bad_parameters_are_422s_that_say_what_is_allowed(api, search, params, fragment):
    response = await api.get("/search", params={"q": "item"} | params)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_parameter"
    assert fragment in response.json()["detail"]


async def test_a_filter_value_of_the_wrong_type_is_a_422_naming_field_type_and_value(api, search):
    response = await api.get("/search", params={"q": "item", "filter": "price:cheap"})
    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid_parameter",
        "detail": "filter: 'price' is an integer field; 'cheap' is not a number such as 10 or 9.99, or a range such "
        "as 10..20, 10.. or ..20",
    }
