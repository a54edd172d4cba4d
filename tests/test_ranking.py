"""Custom ranking against the real node: a package index where the package everyone means (`requests`) competes
with hundreds of obscure near-matches, some of which repeat its name until they outscore it on text alone."""

import random
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from search_service.elastic import client_options
from search_service.query.body import build_query
from search_service.query.ranking import MAX_BOOST, rank_query
from tests.conftest import service_settings, temporary_index

FIELDS = ["name^3", "summary^2"]
MAPPING: dict[str, Any] = {
    "properties": {"name": {"type": "text"}, "summary": {"type": "text"}, "popularity": {"type": "integer"}}
}
SUFFIXES = ["mock", "toolbelt", "oauthlib", "futures", "cache", "html", "ntlm", "aws4auth", "unixsocket", "file"]


WORDS = ["array", "async", "cloud", "color", "config", "data", "date", "graph", "image", "json", "log", "math"]
WORDS += ["parser", "path", "plot", "queue", "retry", "schema", "shell", "sql", "table", "test", "text", "yaml"]


def package_documents() -> list[dict[str, Any]]:
    """`requests` (50,000); 60 obscure `requests-*` (5-500), every third keyword-stuffed; `requests-kerberos`
    (5), the only one that says "kerberos"; and 240 unrelated packages, a few of them popular."""
    rng = random.Random(20_240_601)
    documents = [
        {"_id": "requests", "name": "requests", "summary": "Python HTTP for Humans.", "popularity": 50_000},
        {
            "_id": "httpx",
            "name": "httpx",
            "summary": "The next generation HTTP client, with an API much like that of requests.",
            "popularity": 30_000,
        },
        {
            "_id": "requests-kerberos",
            "name": "requests-kerberos",
            "summary": "A Kerberos authentication handler for python-requests.",
            "popularity": 5,
        },
    ]
    for n in range(60):
        suffix = f"{SUFFIXES[n % len(SUFFIXES)]}{n // len(SUFFIXES) or ''}"
        summary = f"Requests {suffix}: {suffix} for requests, requests sessions and requests tests."
        documents.append(
            {
                "_id": f"requests-{suffix}",
                "name": f"requests-{suffix}",
                "summary": summary if n % 3 == 0 else f"A {suffix} extension.",
                "popularity": rng.randint(5, 500),
            }
        )
    for n in range(240):
        first, second = rng.sample(WORDS, 2)
        documents.append(
            {
                "_id": f"{first}-{second}-{n}",
                "name": f"{first}-{second}",
                "summary": f"Tools for {first} and {second} in Python.",
                "popularity": rng.choice([rng.randint(0, 500), rng.randint(1_000, 100_000)]),
            }
        )
    return documents


EQUAL_TEXT: list[dict[str, Any]] = [
    # Same name and summary, so the same text score: only the numeric fields can order them. Indexed worst
    # first, since equal scores come back in index order.
    {"_id": "missing"},
    {"_id": "negative", "popularity": -7, "rank": -3},
    {"_id": "zero", "popularity": 0, "rank": 5_000_000},
    {"_id": "middle", "popularity": 40, "rank": 400},
    {"_id": "high", "popularity": 5_000, "rank": 12},
    {"_id": "top", "popularity": 90_000, "rank": 0},
]
UNBOOSTED = {"zero", "negative", "missing"}  # each field's worst values, absent ones and out-of-range ones


@pytest.fixture(scope="module")
def client(elasticsearch_url: str) -> Iterator[Elasticsearch]:
    with Elasticsearch(**client_options(service_settings())) as client:
        yield client


@pytest.fixture(scope="module")
def packages(elasticsearch_url: str) -> Iterator[str]:
    with temporary_index("test-ranking", MAPPING, package_documents()) as name:
        yield name


@pytest.fixture(scope="module")
def equal_text(elasticsearch_url: str) -> Iterator[str]:
    mapping = {"properties": {**MAPPING["properties"], "rank": {"type": "long"}}}
    documents = [{"name": "widget", "summary": "A widget."} | document for document in EQUAL_TEXT]
    with temporary_index("test-ranking", mapping, documents) as name:
        yield name


def search(client: Elasticsearch, index: str, text: str, rank_field: str, size: int = 10) -> list[dict[str, Any]]:
    query = rank_query(build_query(query=text, fields=FIELDS), rank_field)
    hits: list[dict[str, Any]] = client.search(index=index, query=query, size=size)["hits"]["hits"]
    return hits


def search_ids(client: Elasticsearch, index: str, text: str, rank_field: str, size: int = 10) -> list[str]:
    return [hit["_id"] for hit in search(client, index, text, rank_field, size)]


def test_the_popular_exact_match_is_first_with_ranking_and_off_the_first_page_without(client, packages):
    assert "requests" not in search_ids(client, packages, "requests", "")  # 20 stuffed near-matches outscore it
    assert search_ids(client, packages, "requests", "popularity")[0] == "requests"


def test_a_rare_word_match_is_not_buried_by_popular_documents_without_it(client, packages):
    # `requests` (50,000) and `httpx` (30,000) match "requests" only; the unpopular one matches "kerberos" too.
    ids = search_ids(client, packages, "requests kerberos", "popularity")

    assert ids[0] == "requests-kerberos"
    assert ids[1] == "requests"


def test_popularity_orders_equally_good_text_matches(client, packages):
    hits = search(client, packages, "requests", "popularity", size=100)
    documents = {document["_id"]: document for document in package_documents()}
    # The unstuffed `requests-*` all score the same on text ("A ... extension." says nothing of requests).
    plain = [hit["_id"] for hit in hits if documents[hit["_id"]]["summary"].endswith("extension.")]
    popularity = [documents[id]["popularity"] for id in plain]

    assert len(plain) > 20
    assert popularity == sorted(popularity, reverse=True)


@pytest.mark.parametrize(
    ("rank_field", "expected_order"),
    [("popularity", ["top", "high", "middle"]), ("-rank", ["top", "high", "middle"])],
)
def test_both_directions_order_equal_text_and_leave_missing_and_out_of_range_values_unboosted(
    client, equal_text, rank_field, expected_order
):
    hits = search(client, equal_text, "widget", rank_field)
    plain_score = search(client, equal_text, "widget", "")[0]["_score"]

    assert [hit["_id"] for hit in hits[:3]] == expected_order
    assert hits[0]["_score"] > hits[1]["_score"] > hits[2]["_score"] > plain_score
    assert {hit["_id"] for hit in hits[3:]} == UNBOOSTED
    assert all(hit["_score"] == pytest.approx(plain_score) for hit in hits[3:])
    assert hits[0]["_score"] <= MAX_BOOST * plain_score * 1.0001


@pytest.mark.parametrize("rank_field", ["stars", "-stars"])
def test_an_index_without_the_field_answers_as_without_ranking(client, packages, rank_field):
    ranked = search(client, packages, "requests", rank_field)
    plain = search(client, packages, "requests", "")

    assert [(hit["_id"], hit["_score"]) for hit in ranked] == [(hit["_id"], hit["_score"]) for hit in plain]


async def test_the_api_ranks_by_default_and_rank_text_turns_it_off(api, configure_service, packages):
    configure_service(
        elasticsearch_index=packages,
        search_fields=",".join(FIELDS),
        search_query_fields="name,summary",
        search_rank_field="popularity",
    )

    async def top(**params: Any) -> list[str]:
        response = await api.get("/search", params={"q": "requests", "size": 10} | params)
        assert response.status_code == 200, response.text
        return [hit["id"] for hit in response.json()["hits"]]

    assert (await top())[0] == "requests"
    assert "requests" not in await top(rank="text")
    # simple_query_string sums a word's matches over fields (query_string takes the best field), so the
    # stuffed near-matches lead further on text there; ranking still lifts the package.
    ranked, unranked = await top(mode="simple", size=50), await top(mode="simple", size=50, rank="text")
    assert ranked.index("requests") < unranked.index("requests")
    # A cursor belongs to its ranking: the same walk cannot switch.
    first = (await api.get("/search", params={"q": "requests"})).json()["next"]
    mismatch = await api.get("/search", params={"q": "requests", "rank": "text", "cursor": first})
    assert mismatch.json()["error"] == "cursor_mismatch"
