"""Two tenants in one index, on the real node: nothing of south's (a document, a count, a word) reaches a token
bound to north, on any endpoint; the parent key itself sees both, which shows each assertion could fail."""

from typing import Any

import pytest

from tests.tenants.conftest import NORTH, PER_TENANT, SOUTH, as_token

pytestmark = pytest.mark.django_db(transaction=True)

NORTH_DOCUMENTS = PER_TENANT + 1  # and its duplicate


def accounts(answer: dict[str, Any]) -> set[str]:
    return {hit["source"]["account"] for hit in answer["hits"]}


def facet_values(answer: dict[str, Any], name: str) -> dict[str, int]:
    return {bucket["value"]: bucket["count"] for bucket in answer["facets"][name]}


async def test_hits_totals_facets_and_stats_are_the_tenants_only(api, parent, token_of):
    params = {"q": "shared", "facets": "account,status", "stats": "price", "size": "50"}
    whole = (await api.get("/search", params=params, headers=as_token(parent))).json()
    assert accounts(whole) == {NORTH, SOUTH}
    assert whole["stats"]["price"]["max"] > 1000

    answer = (await api.get("/search", params=params, headers=as_token(token_of(f"account:{NORTH}")))).json()
    assert accounts(answer) == {NORTH}
    assert answer["total"]["value"] == NORTH_DOCUMENTS
    assert facet_values(answer, "account") == {NORTH: NORTH_DOCUMENTS}
    assert "archived" not in facet_values(answer, "status")  # a status only south's documents have
    assert sum(facet_values(answer, "status").values()) == NORTH_DOCUMENTS
    assert answer["stats"]["price"]["max"] <= PER_TENANT


@pytest.mark.parametrize(
    "params",
    [
        {"q": "zeppelin"},
        {"q": "quixotic marmalade", "mode": "simple"},
        {"q": "shared", "filter": f"account:{SOUTH}"},
        {"q": "", "filter": "status:archived"},
        {"q": "shared", "filter": "price:1000..2000"},
        {"q": "account:south"},
        {"q": "zeppelin OR account:south OR title:zeppelin*"},
    ],
)
async def test_no_parameter_widens_the_tokens_filter(api, parent, token_of, params):
    whole = (await api.get("/search", params=params, headers=as_token(parent))).json()
    assert SOUTH in accounts(whole)
    answer = await api.get("/search", params=params, headers=as_token(token_of(f"account:{NORTH}")))
    assert answer.status_code == 200, answer.text
    assert answer.json()["total"]["value"] == 0
    assert answer.json()["hits"] == []


async def test_did_you_mean_never_offers_a_word_only_another_tenant_holds(api, parent, token_of):
    # `zepelin`, south's typo, is corrected to south's `zeppelin` for the parent...
    whole = (await api.get("/search", params={"q": "zepelin"}, headers=as_token(parent))).json()
    assert any("zeppelin" in suggestion for suggestion in whole["suggestions"])
    north = as_token(token_of(f"account:{NORTH}"))
    for query in ("zepelin", "zeppeln", "zepplin lantern"):
        answer = (await api.get("/search", params={"q": query}, headers=north)).json()
        assert not any("zeppelin" in suggestion for suggestion in answer["suggestions"]), (query, answer)
    # ...while north's own typo is still corrected within north.
    own = (await api.get("/search", params={"q": "lantren"}, headers=north)).json()
    assert "lantern" in own["suggestions"]


async def test_suggest_completes_only_the_tenants_values(api, parent, token_of):
    whole = (await api.get("/suggest", params={"prefix": "zep"}, headers=as_token(parent))).json()
    assert whole["suggestions"]
    north = as_token(token_of(f"account:{NORTH}"))
    assert (await api.get("/suggest", params={"prefix": "zep"}, headers=north)).json()["suggestions"] == []
    own = (await api.get("/suggest", params={"prefix": "lan"}, headers=north)).json()["suggestions"]
    assert own
    assert all(suggestion["text"].startswith("lant") for suggestion in own)


async def test_another_tenants_document_is_not_found(api, parent, token_of):
    assert (await api.get("/documents/s1", headers=as_token(parent))).status_code == 200
    north = as_token(token_of(f"account:{NORTH}"))
    refused = await api.get("/documents/s1", headers=north)
    absent = await api.get("/documents/no-such-id", headers=north)
    assert refused.status_code == absent.status_code == 404
    assert refused.json() == absent.json()
    assert (await api.get("/documents/n1", headers=north)).json()["source"]["account"] == NORTH


async def test_a_cursor_made_under_one_token_is_refused_under_another(api, parent, token_of):
    north, south = as_token(token_of(f"account:{NORTH}")), as_token(token_of(f"account:{SOUTH}"))
    first = (await api.get("/search", params={"q": "shared", "size": "5"}, headers=north)).json()
    cursor = first["next"]
    assert cursor
    following = await api.get("/search", params={"q": "shared", "size": "5", "cursor": cursor}, headers=north)
    assert following.status_code == 200
    assert accounts(following.json()) == {NORTH}
    for other in (south, as_token(parent), as_token(token_of(f"account:{NORTH}", "status:open"))):
        refused = await api.get("/search", params={"q": "shared", "size": "5", "cursor": cursor}, headers=other)
        assert refused.status_code == 400
        assert refused.json()["error"] == "cursor_mismatch"


async def test_instantsearch_searches_and_facet_values_are_the_tenants(api, parent, token_of, tenant_index):
    params = "query=shared&hitsPerPage=50&facets=%5B%22*%22%5D"
    body = {"requests": [{"indexName": tenant_index, "params": params}]}
    whole = (await api.post("/1/indexes/*/queries", json=body, headers={"X-Algolia-API-Key": parent})).json()
    assert {hit["account"] for hit in whole["results"][0]["hits"]} == {NORTH, SOUTH}

    token = token_of(f"account:{NORTH}")
    answer = await api.post("/1/indexes/*/queries", json=body, headers={"X-Algolia-API-Key": token})
    assert answer.status_code == 200, answer.text
    result = answer.json()["results"][0]
    assert {hit["account"] for hit in result["hits"]} == {NORTH}
    assert result["nbHits"] == NORTH_DOCUMENTS
    assert result["facets"]["account"] == {NORTH: NORTH_DOCUMENTS}
    assert "archived" not in result["facets"]["status"]
    # The browser's way: the token in the query string.
    in_url = await api.post(f"/1/indexes/*/queries?x-algolia-api-key={token}", json=body)
    assert in_url.json()["results"][0]["nbHits"] == NORTH_DOCUMENTS

    values = await api.post(
        f"/1/indexes/{tenant_index}/facets/status/query",
        json={"params": "facetQuery=&query="},
        headers={"X-Algolia-API-Key": token},
    )
    assert values.status_code == 200, values.text
    assert {hit["value"] for hit in values.json()["facetHits"]} == {"open", "closed"}


async def test_a_page_larger_than_the_tokens_max_size_is_refused(api, token_of):
    north = as_token(token_of(f"account:{NORTH}", max_size=10))
    assert (await api.get("/search", params={"q": "shared", "size": "10"}, headers=north)).status_code == 200
    refused = await api.get("/search", params={"q": "shared", "size": "11"}, headers=north)
    assert refused.status_code == 422
    assert "at most 10" in refused.text
