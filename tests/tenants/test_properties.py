"""Hypothesis under a tenant token, on the real node: whatever parameters a caller sends with a token bound to
north (queries naming south, filters on south, facets, stats, sorts, pages, their cursors), every hit is north's,
every count is of north's documents, and no suggestion holds a word only south's documents have."""

import asyncio
import base64
import hashlib
import hmac
import json
import os
from typing import Any

import httpx
import pytest
from django.conf import settings
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from config.asgi import application
from search_service.elastic import close_client
from search_service.keys.format import generate_key
from search_service.keys.services import api_key_create
from search_service.mapping.loaded import forget_index_fields
from search_service.tenants.token import make_token, signing_key
from search_service.tenants.verify import token_rules
from tests.tenants.conftest import NORTH, PER_TENANT
from tests.test_api_fuzz import VALUE_TEXT

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "100"))
property_settings = hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SOUTH_WORDS = ("zeppelin", "zepelin", "quixotic", "marmalade", "archived", "south")
QUERIES = [
    "",
    "shared",
    "zeppelin",
    "zepelin",
    "lantren",
    "quixotic marmalade",
    "account:south",
    "NOT account:north",
    "title:zeppelin*",
    "shared OR zeppelin",
    "*",
    "status:archived",
]
FILTERS = ["account:south", "account:north", "status:archived", "status:open", "price:1000..2000", "price:1..10"]
search_params = st.fixed_dictionaries(
    {"q": st.one_of(st.sampled_from(QUERIES), VALUE_TEXT)},
    optional={
        "mode": st.sampled_from(["query_string", "simple"]),
        "filter": st.lists(st.sampled_from(FILTERS), max_size=3),
        "facets": st.sampled_from(["account", "status", "account,status"]),
        "stats": st.just("price"),
        "sort": st.sampled_from(["price", "-price"]),
        "size": st.integers(0, 40).map(str),
        "page": st.integers(1, 3).map(str),
    },
)


def assert_north_only(answer: dict[str, Any], params: dict[str, Any]) -> None:
    assert {hit["source"]["account"] for hit in answer["hits"]} <= {NORTH}
    assert answer["total"]["value"] <= PER_TENANT + 1
    ticked = {item.partition(":")[2] for item in params.get("filter", [])}
    for name, buckets in answer.get("facets", {}).items():
        for bucket in buckets:
            if bucket["value"] not in ({NORTH} if name == "account" else {"open", "closed"}):
                # A value the caller ticked is shown, counted within the tenant: none of its documents.
                assert bucket["value"] in ticked, (name, bucket)
                assert bucket["count"] == 0, (name, bucket)
    price = answer.get("stats", {}).get("price")
    if price and price.get("count"):
        assert price["max"] <= PER_TENANT
    for suggestion in answer["suggestions"]:
        assert not any(word in suggestion.lower() for word in SOUTH_WORDS), suggestion


async def search_under(token: str, params: dict[str, Any]) -> list[httpx.Response]:
    """The search, and the page its cursor leads to, if any."""
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            headers = {"X-API-Key": token}
            first = await client.get("/search", params=params, headers=headers)
            answers = [first]
            if first.status_code == 200 and first.json().get("next"):
                answers.append(
                    await client.get("/search", params=params | {"cursor": first.json()["next"]}, headers=headers)
                )
            answers.append(
                await client.get("/suggest", params={"prefix": str(params["q"])[:20] or "z"}, headers=headers)
            )
            return answers
    finally:
        await close_client()
        forget_index_fields()


@pytest.fixture
def parent_key(tenants_served) -> str:
    return api_key_create(name="property tests' parent", scopes=["search"], rate_limit=None).key


@pytest.fixture
def north_token(parent_key: str) -> str:
    return make_token(parent_key, filters=[f"account:{NORTH}"], ttl=3_600, rules=token_rules(settings.SEARCH))


@given(params=search_params)
@property_settings
def test_every_hit_count_and_word_under_a_token_is_its_tenants(north_token, params):
    *searches, suggest = asyncio.run(search_under(north_token, params))
    for response in searches:
        assert response.status_code < 500, response.text
        event(str(response.status_code))
        if response.status_code == 200:
            assert_north_only(response.json(), params)
    assert suggest.status_code == 200, suggest.text
    for suggestion in suggest.json()["suggestions"]:
        assert not suggestion["text"].lower().startswith(("zep", "south")), suggestion


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
CLAIM_NAMES = st.sampled_from(["filter", "exp", "max_size", "rate_limit", "tenant", "iat", "nbf", "aud", "sub"])
claims = st.dictionaries(st.one_of(CLAIM_NAMES, st.text(max_size=8)), JSON, max_size=6)
headers = st.dictionaries(st.sampled_from(["kid", "typ", "alg", "crit", "x5u"]), JSON, max_size=3)


async def search_with(credential: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            return await client.get("/search", params={"q": "shared"}, headers={"X-API-Key": credential})
    finally:
        await close_client()
        forget_index_fields()


def signed(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """A JWT of any header and claims, made by hand: PyJWT will not make some of the ones a caller can."""
    part = [base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=") for value in (header, claims)]
    message = b".".join(part)
    signature = base64.urlsafe_b64encode(hmac.new(secret, message, hashlib.sha256).digest()).rstrip(b"=")
    return (message + b"." + signature).decode()


@given(claims=claims, header=headers, signed_by_parent=st.booleans())
@property_settings
def test_any_token_shaped_credential_is_refused_in_our_words_never_a_5xx(
    parent_key: str, claims: dict[str, Any], header: dict[str, Any], signed_by_parent: bool
) -> None:
    """Claims and headers of any JSON, signed with the parent's key (so the claims' rules, not the signature, are
    what refuses them) or another's; the header names the parent unless the example says otherwise."""
    secret = signing_key(parent_key if signed_by_parent else generate_key().key)
    token = signed({"alg": "HS256", "kid": parent_key[4:16]} | header, claims, secret)
    response = asyncio.run(search_with(token))
    event(str(response.status_code))
    assert response.status_code in (200, 401, 403), response.text
    if response.status_code == 401:
        assert response.json()["error"] in ("invalid_token", "token_expired", "unauthorized")
        assert "jwt" not in response.text.lower()
    if response.status_code == 200:  # only a token that binds a filter is let in
        assert "filter" in claims
