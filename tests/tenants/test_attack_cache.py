"""Attacks on the answer cache and its ASGI replay path under tenant tokens."""

from typing import Any

import pytest

from tests.tenants.conftest import NORTH, SOUTH, as_token

pytestmark = pytest.mark.django_db(transaction=True)


def accounts(body: dict[str, Any]) -> set[str]:
    return {hit["source"]["account"] for hit in body["hits"]}


async def test_underscore_credential_headers_are_ignored_so_never_replayed(api, tenants_served, token_of, parent):
    """Django drops `x_api_key` (underscore) headers, so neither a token nor a key can be smuggled past replay.py."""
    tenants_served(search_require_api_key=True)
    for credential in (token_of(f"account:{NORTH}"), parent):
        answer = await api.get("/search", params={"q": "shared"}, headers={"x_api_key": credential})
        assert answer.status_code == 401


async def test_tenant_answer_not_served_to_anonymous_or_other_tenant(api, tenants_served, token_of):
    params = {"q": "shared", "size": "5", "facets": "account"}
    north = as_token(token_of(f"account:{NORTH}"))
    for _ in range(3):
        assert accounts((await api.get("/search", params=params, headers=north)).json()) == {NORTH}
    south = as_token(token_of(f"account:{SOUTH}"))
    for _ in range(3):
        body = (await api.get("/search", params=params, headers=south)).json()
        assert accounts(body) == {SOUTH}
    for _ in range(3):
        body = (await api.get("/search", params=params)).json()
        assert {b["value"] for b in body["facets"]["account"]} == {NORTH, SOUTH}
    # and the tenant after anonymous replays exist
    for _ in range(2):
        assert accounts((await api.get("/search", params=params, headers=north)).json()) == {NORTH}


async def test_tenant_answers_are_private(api, token_of):
    north = as_token(token_of(f"account:{NORTH}"))
    for _ in range(3):
        answer = await api.get("/search", params={"q": "shared"}, headers=north)
        assert "private" in answer.headers.get("Cache-Control", ""), answer.headers
        assert "X-API-Key" in answer.headers.get("Vary", "") or "x-api-key" in answer.headers.get("Vary", "").lower()


async def test_tenant_with_underscore_header_gets_no_public_cache_control(api, token_of):
    token = token_of(f"account:{NORTH}")
    for _ in range(3):
        answer = await api.get("/search", params={"q": "shared lantern brass"}, headers={"x_api_key": token})
        assert answer.status_code == 200
        assert "public" not in answer.headers.get("Cache-Control", ""), answer.headers


async def test_tenant_in_authorization_header_with_other_case_scheme(api, token_of):
    token = token_of(f"account:{NORTH}")
    params = {"q": "shared", "size": "4"}
    for _ in range(3):
        body = (await api.get("/search", params=params, headers={"Authorization": f"APIKEY {token}"})).json()
        assert accounts(body) == {NORTH}
