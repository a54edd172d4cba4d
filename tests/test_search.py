"""GET /search against the real node: query syntax, paging, response shape."""

import pytest

from tests.conftest import FIXTURE_DOCUMENTS


async def search_ids(api, **params) -> set[str]:
    response = await api.get("/search", params={"size": 100, **params})
    assert response.status_code == 200, response.text
    return {hit["id"] for hit in response.json()["hits"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pickled", {"pickle.dumps"}),
        ("json", {"json.dumps", "json.loads"}),
        ("dumps", {"json.dumps", "pickle.dumps"}),
        ("json AND dumps", {"json.dumps"}),
        ("pickled OR csvfile", {"pickle.dumps", "csv.reader"}),
        ("dumps AND NOT json", {"pickle.dumps"}),
        ("dumps -pickled", {"json.dumps"}),
        ('"reader object"', {"csv.reader"}),
        ('"object reader"', set()),
        ("module:csv", {"csv.reader", "csv.DictReader"}),
        ("kind:class", {"csv.DictReader"}),
        ("deserial*", {"json.loads"}),
        ("dump?", {"json.dumps", "pickle.dumps"}),
        ("nothingmatchesthis", set()),
    ],
)
async def test_query_syntax_selects_documents(api, query, expected):
    assert await search_ids(api, q=query) == expected


async def test_response_has_documented_shape(api):
    response = await api.get("/search", params={"q": "pickled"})

    body = response.json()
    assert body["query"] == "pickled"
    assert body["total"] == {"value": 1, "relation": "eq"}
    assert isinstance(body["took_ms"], int)
    assert (body["page"], body["size"]) == (1, 10)
    [hit] = body["hits"]
    assert set(hit) == {"id", "index", "score", "source", "highlight"}
    assert hit["id"] == "pickle.dumps"
    assert hit["index"].startswith("test-")
    assert hit["score"] > 0
    expected_source = {k: v for k, v in FIXTURE_DOCUMENTS[2].items() if k != "_id"}
    assert hit["source"] == expected_source


async def test_source_fields_limit_what_hits_return(api, configure_service):
    configure_service(search_source_fields="module,name")

    response = await api.get("/search", params={"q": "pickled"})

    [hit] = response.json()["hits"]
    assert hit["source"] == {"module": "pickle", "name": "dumps"}


async def test_highlights_mark_matches_and_escape_html(api, fixture_index):
    response = await api.get("/search", params={"q": "csvfile"})

    [hit] = response.json()["hits"]
    assert hit["highlight"]["docstring"] == [
        "Return a reader object which will iterate over lines in the given <mark>csvfile</mark>."
    ]


async def test_query_surrounding_whitespace_is_ignored(api):
    response = await api.get("/search", params={"q": "  pickled  "})

    assert response.json()["query"] == "pickled"
    assert response.json()["total"]["value"] == 1


async def test_pages_are_disjoint_and_cover_all_hits(api):
    pages = []
    for page in (1, 2, 3):
        response = await api.get("/search", params={"q": "paginated", "size": 10, "page": page})
        body = response.json()
        assert body["total"] == {"value": 25, "relation": "eq"}
        assert body["page"] == page
        pages.append([hit["id"] for hit in body["hits"]])

    assert [len(ids) for ids in pages] == [10, 10, 5]
    all_ids = [hit_id for ids in pages for hit_id in ids]
    assert len(set(all_ids)) == 25


async def test_page_past_the_end_is_empty(api):
    response = await api.get("/search", params={"q": "paginated", "size": 10, "page": 4})

    assert response.status_code == 200
    assert response.json()["hits"] == []
    assert response.json()["total"]["value"] == 25


async def test_results_are_ordered_by_score(api):
    response = await api.get("/search", params={"q": "json OR dumps"})

    hits = response.json()["hits"]
    assert hits[0]["id"] == "json.dumps"  # matches both terms
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)


async def test_a_wildcard_search_highlights_its_plain_terms_only(api):
    response = await api.get("/search", params={"q": "deserial* json", "size": 100})

    hits = {hit["id"]: hit for hit in response.json()["hits"]}
    assert set(hits) == {"json.loads", "json.dumps"}
    snippets = [snippet for hit in hits.values() for field in hit["highlight"].values() for snippet in field]
    assert any("<mark>json</mark>" in snippet.lower() for snippet in snippets)
    assert not any("<mark>deserialize</mark>" in snippet.lower() for snippet in snippets)
