"""Hostile InstantSearch calls with a token bound to account:north."""

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.tenants.conftest import NORTH, PER_TENANT

pytestmark = pytest.mark.django_db(transaction=True)

NORTH_DOCUMENTS = PER_TENANT + 1
SOUTH = re.compile(r"zep+e?l+in|zepelin|quixotic|marmalade|archived|\bsouth\b", re.I)
INTERNAL_TEXT = re.compile(
    r"Traceback|elasticsearch|ApiError|query_shard_exception|search_phase_execution|PyJWT|caused_by|root_cause",
    re.I,
)


def check_result(result: dict[str, Any], sent: str) -> None:
    for hit in result.get("hits", []):
        assert hit.get("account", NORTH) == NORTH, hit
        assert str(hit.get("objectID", "n")).startswith("n"), hit
        assert not SOUTH.search(json.dumps(hit.get("_highlightResult", {}))), hit
        assert not SOUTH.search(json.dumps(hit.get("_snippetResult", {}))), hit
    if "nbHits" in result:
        assert result["nbHits"] <= NORTH_DOCUMENTS, result["nbHits"]
    for name, values in (result.get("facets") or {}).items():
        for value, count in values.items():
            if SOUTH.search(value):
                assert count == 0, (name, values)
                assert value in sent, (name, values)
        assert sum(values.values()) <= NORTH_DOCUMENTS, (name, values)
    for name, stats in (result.get("facets_stats") or {}).items():
        assert stats.get("max", 0) <= PER_TENANT, (name, stats)
    for hit in result.get("facetHits", []):
        assert not SOUTH.search(hit["value"]), hit
        assert hit["count"] <= NORTH_DOCUMENTS, hit


def check(response, sent: str) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert not INTERNAL_TEXT.search(response.text), response.text[:800]
    if response.status_code != 200:
        return
    body = response.json()
    for result in body.get("results", [body]):
        check_result(result, sent)


PARAMS = [
    {"query": "zeppelin"},
    {"query": "zepelin"},
    {"query": "quixotic marmalade"},
    {"query": "zep"},
    {"query": "", "filters": "account:south"},
    {"query": "", "filters": "account:south OR account:north"},
    {"query": "", "filters": "NOT account:north"},
    {"query": "", "filters": "NOT (account:north)"},
    {"query": "", "filters": "account:north OR NOT account:north"},
    {"query": "", "filters": "price > 1000"},
    {"query": "", "filters": "price:1000 TO 2000"},
    {"query": "", "filters": "status:archived"},
    {"query": "", "filters": "_id:s1"},
    {"query": "", "filters": "_index:x"},
    {"query": "", "filters": 'account:"south"'},
    {"query": "", "filters": "account:*"},
    {"query": "", "facetFilters": '["account:south"]'},
    {"query": "", "facetFilters": '[["account:north","account:south"]]'},
    {"query": "", "facetFilters": '["-account:north"]'},
    {"query": "", "facetFilters": '["account:-north"]'},
    {"query": "", "facetFilters": "account:south"},
    {"query": "", "numericFilters": '["price>1000"]'},
    {"query": "", "numericFilters": '["price!=5"]'},
    {"query": "", "numericFilters": '[["price<0","price>=1000"]]'},
    {"query": "", "numericFilters": "price:1000 TO 2000"},
    {"query": "", "optionalFilters": '["account:south"]'},
    {"query": "", "restrictSearchableAttributes": '["account"]'},
    {"query": "south", "restrictSearchableAttributes": '["account"]'},
    {"query": "", "sumOrFiltersScores": "true"},
    {"query": "", "facets": '["*"]', "maxValuesPerFacet": "100"},
    {"query": "", "facets": '["account","status","price"]', "hitsPerPage": "0"},
    {"query": "", "facets": '["price"]', "filters": "price > 1000"},
    {"query": "", "facets": '["_id"]'},
    {"query": "", "facets": '["_index"]'},
    {"query": "", "attributesToRetrieve": '["*"]'},
    {"query": "", "attributesToRetrieve": '["_source"]'},
    {"query": "zeppelin", "attributesToHighlight": '["*"]', "attributesToSnippet": '["body:50"]'},
    {"query": "shared", "attributesToHighlight": '["*"]', "attributesToSnippet": '["body:50"]', "hitsPerPage": "50"},
    {"query": "", "page": "1", "hitsPerPage": "50"},
    {"query": "", "typoTolerance": "false"},
    {"query": "", "distinct": "true"},
    {"query": "", "aroundLatLng": "1,1"},
    {"query": "", "tagFilters": '["south"]'},
    {"query": "", "facetingAfterDistinct": "true"},
]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: json.dumps(p))
async def test_queries_never_reach_south(api, token_of, tenant_index, params):
    token = token_of(f"account:{NORTH}")
    sent = urlencode(params)
    body = {"requests": [{"indexName": tenant_index, "params": sent}, {"indexName": tenant_index, **params}]}
    answer = await api.post("/1/indexes/*/queries", json=body, headers={"X-Algolia-API-Key": token})
    check(answer, sent)
    single = await api.post(
        f"/1/indexes/{tenant_index}/query", json={"params": sent}, headers={"X-Algolia-API-Key": token}
    )
    check(single, sent)


@pytest.mark.parametrize("facet", ["account", "status", "price", "title.keyword", "_id", "_index", "body"])
@pytest.mark.parametrize(
    "extra",
    [
        {"facetQuery": ""},
        {"facetQuery": "s"},
        {"facetQuery": "sou"},
        {"facetQuery": "arch"},
        {"facetQuery": ".*"},
        {"facetQuery": "zep"},
        {"facetQuery": "", "filters": "account:south"},
        {"facetQuery": "", "facetFilters": '["account:south"]'},
        {"facetQuery": "", "query": "zeppelin"},
        {"facetQuery": "", "maxFacetHits": "100"},
    ],
    ids=lambda e: json.dumps(e),
)
async def test_facet_value_search_never_reaches_south(api, token_of, tenant_index, facet, extra):
    token = token_of(f"account:{NORTH}")
    sent = urlencode(extra)
    answer = await api.post(
        f"/1/indexes/{tenant_index}/facets/{facet}/query", json={"params": sent}, headers={"X-Algolia-API-Key": token}
    )
    check(answer, sent)
    both = await api.post(
        "/1/indexes/*/queries",
        json={"requests": [{"indexName": tenant_index, "type": "facet", "facet": facet, "params": sent}]},
        headers={"X-Algolia-API-Key": token},
    )
    check(both, sent)


@pytest.mark.parametrize("index_name", ["*", "_all", "tenants-*", "", None, 1, ["x"], {"a": 1}, "../x", "%2A"])
async def test_other_index_names_are_refused(api, token_of, index_name):
    token = token_of(f"account:{NORTH}")
    body = {"requests": [{"indexName": index_name, "params": "query=zeppelin"}]}
    answer = await api.post("/1/indexes/*/queries", json=body, headers={"X-Algolia-API-Key": token})
    check(answer, "")
    assert answer.status_code in (400, 404), answer.text


async def test_max_size_on_instantsearch(api, token_of, tenant_index):
    token = token_of(f"account:{NORTH}", max_size=3)
    for params in ("hitsPerPage=4", "hitsPerPage=3&hitsPerPage=50", "hitsPerPage=50"):
        body = {"requests": [{"indexName": tenant_index, "params": params}]}
        answer = await api.post("/1/indexes/*/queries", json=body, headers={"X-Algolia-API-Key": token})
        assert answer.status_code < 500
        if answer.status_code == 200:
            assert all(len(r["hits"]) <= 3 for r in answer.json()["results"]), (params, answer.text[:300])
    # v5 shape: hitsPerPage outside params
    body = {"requests": [{"indexName": tenant_index, "params": "hitsPerPage=2", "hitsPerPage": 50}]}
    answer = await api.post("/1/indexes/*/queries", json=body, headers={"X-Algolia-API-Key": token})
    if answer.status_code == 200:
        assert all(len(r["hits"]) <= 3 for r in answer.json()["results"]), answer.text[:300]
    # single query endpoint and hitsPerPage in the body
    answer = await api.post(
        f"/1/indexes/{tenant_index}/query", json={"hitsPerPage": 50}, headers={"X-Algolia-API-Key": token}
    )
    if answer.status_code == 200:
        assert len(answer.json()["hits"]) <= 3


async def test_token_in_query_string_and_another_in_header(api, token_of, parent, tenant_index):
    """Token in both places: north only (the parent key is the caller's secret, not the attacker's)."""
    token = token_of(f"account:{NORTH}")
    body = {"requests": [{"indexName": tenant_index, "params": "query=shared&hitsPerPage=50"}]}
    for url, headers in (
        (f"/1/indexes/*/queries?X-Algolia-API-Key=junk&x-algolia-api-key={token}", {}),
        (f"/1/indexes/*/queries?x-algolia-api-key={token}", {"X-API-Key": token}),
    ):
        answer = await api.post(url, json=body, headers=headers)
        check(answer, "")
