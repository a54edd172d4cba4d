"""A tenant token's life through the service, with the real node and database: expiry, tampering, its parent's
revocation, what it may not reach, its own rate limit, and what the logs and analytics keep of it."""

import asyncio
import base64
import io
import json
import logging
import time

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management import CommandError, call_command

from search_service.analytics.recorder import stop_recorder
from search_service.json_logs import JsonFormatter
from search_service.keys.format import key_prefix
from search_service.keys.store import KeyStore, ParentKey
from search_service.models import SearchRecord
from search_service.tenants.token import make_token
from search_service.tenants.verify import token_rules
from tests.tenants.conftest import NORTH, as_token

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH = {"q": "shared"}


def error_of(response: httpx.Response) -> str:
    return str(response.json()["error"])


async def test_an_expired_token_is_401_token_expired(api, token_of):
    issued = time.time() - 120
    expired = token_of(f"account:{NORTH}", ttl=60, now=issued)
    response = await api.get("/search", params=SEARCH, headers=as_token(expired))
    assert response.status_code == 401
    assert error_of(response) == "token_expired"
    assert response.headers["WWW-Authenticate"] == 'ApiKey realm="search"'


async def test_a_token_seen_before_is_refused_once_it_expires(api, token_of, monkeypatch):
    token = token_of(f"account:{NORTH}", ttl=60)
    assert (await api.get("/search", params=SEARCH, headers=as_token(token))).status_code == 200  # remembered now
    later = time.time() + 61
    monkeypatch.setattr("search_service.tenants.verify.time.time", lambda: later)
    response = await api.get("/search", params=SEARCH, headers=as_token(token))
    assert (response.status_code, error_of(response)) == (401, "token_expired")


def altered(token: str, part: int, change: dict[str, object]) -> str:
    """The token with its header (0) or claims (1) changed, the signature kept."""
    pieces = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(pieces[part] + "=" * (-len(pieces[part]) % 4)))
    pieces[part] = base64.urlsafe_b64encode(json.dumps(decoded | change).encode()).rstrip(b"=").decode()
    return ".".join(pieces)


async def test_an_altered_token_is_401_invalid_token(api, token_of, make_key):
    token = token_of(f"account:{NORTH}")
    other_parent = key_prefix(await make_key("another"))
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (
        altered(token, 1, {"filter": ["account:south"]}),  # widened
        altered(token, 1, {"exp": int(time.time()) + 500}),  # lengthened
        altered(token, 0, {"kid": other_parent}),  # another parent named
        altered(token, 0, {"alg": "none"}),
        flipped,  # the signature
        token.rsplit(".", 1)[0] + ".c2lnbmF0dXJl",  # another signature
    ):
        response = await api.get("/search", params=SEARCH, headers=as_token(bad))
        assert response.status_code == 401, bad
        assert error_of(response) == "invalid_token", response.text
    unsigned = await api.get("/search", params=SEARCH, headers=as_token(token.rsplit(".", 1)[0] + "."))
    assert unsigned.status_code == 401  # not even a token's shape: an unknown key
    assert (await api.get("/search", params=SEARCH, headers=as_token(token))).status_code == 200


async def test_revoking_the_parent_ends_its_tokens_within_the_key_cache_time(api, tenants_served, parent, token_of):
    tenants_served(api_key_cache_seconds=0.5)
    token = token_of(f"account:{NORTH}")
    assert (await api.get("/search", params=SEARCH, headers=as_token(token))).status_code == 200
    await sync_to_async(call_command)("revoke_api_key", key_prefix(parent), stdout=io.StringIO())
    # Within the cache time it may still work; past it, never again.
    await asyncio.sleep(0.6)
    response = await api.get("/search", params=SEARCH, headers=as_token(token))
    assert (response.status_code, error_of(response)) == (401, "invalid_token")
    assert (await api.get("/search", params=SEARCH, headers=as_token(token_of(f"account:{NORTH}")))).status_code == 401


async def test_a_token_may_only_search(api, tenants_served, make_key):
    tenants_served(analytics_token="analytics-token-for-tests-0123")
    admin = await make_key("operator", scopes=("search", "admin"))
    token = make_token(admin, filters=[f"account:{NORTH}"], ttl=600, rules=token_rules(settings.SEARCH))
    assert (await api.get("/search", params=SEARCH, headers=as_token(token))).status_code == 200
    assert (await api.get("/analytics/recorder", headers=as_token(admin))).status_code == 200
    refused = await api.get("/analytics/recorder", headers=as_token(token))
    assert (refused.status_code, error_of(refused)) == (403, "forbidden")


async def test_a_token_of_a_key_without_the_search_scope_cannot_search(api, make_key, tenants_served):
    admin_only = await make_key("operator", scopes=("admin",))
    token = make_token(admin_only, filters=[f"account:{NORTH}"], ttl=600, rules=token_rules(settings.SEARCH))
    refused = await api.get("/search", params=SEARCH, headers=as_token(token))
    assert (refused.status_code, error_of(refused)) == (403, "forbidden")


async def test_a_tokens_rate_limit_applies_on_top_of_its_parents(api, tenants_served, parent, token_of):
    tenants_served(search_rate_limit="100/minute")
    limited = as_token(token_of(f"account:{NORTH}", rate_limit="2/minute", label="north-web"))
    statuses = [(await api.get("/search", params=SEARCH, headers=limited)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    # Another token of the same tenant shares its count; the parent and other tenants do not.
    same_tenant = as_token(token_of(f"account:{NORTH}", rate_limit="2/minute", label="north-web"))
    assert (await api.get("/search", params=SEARCH, headers=same_tenant)).status_code == 429
    assert (await api.get("/search", params=SEARCH, headers=as_token(parent))).status_code == 200
    other = as_token(token_of("account:south", rate_limit="2/minute", label="south-web"))
    assert (await api.get("/search", params=SEARCH, headers=other)).status_code == 200


async def test_logs_and_analytics_carry_the_parent_and_the_tenant_never_the_token(
    api, tenants_served, parent, token_of
):
    tenants_served(search_analytics=True)
    token = token_of(f"account:{NORTH}", label="north-web")
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    handler = Collect()
    logging.getLogger("search_service.access").addHandler(handler)
    try:
        assert (await api.get("/search", params=SEARCH, headers=as_token(token))).status_code == 200
    finally:
        logging.getLogger("search_service.access").removeHandler(handler)
    await stop_recorder()
    [line] = [json.loads(line) for line in lines]
    assert (line["api_key_prefix"], line["tenant"]) == (key_prefix(parent), "north-web")
    [row] = [record async for record in SearchRecord.objects.all()]
    assert (row.api_key_prefix, row.tenant) == (key_prefix(parent), "north-web")
    stored = json.dumps(line) + repr(row.__dict__)
    assert token not in stored
    assert token.split(".")[2] not in stored


async def test_the_command_makes_a_token_the_service_accepts(api, parent):
    out = io.StringIO()
    await sync_to_async(call_command)(
        "tenant_token", parent, "--filter", f"account:{NORTH}", "--ttl", "600", "--tenant", "north-web", stdout=out
    )
    token = out.getvalue().strip().splitlines()[-1]
    answer = await api.get("/search", params=SEARCH, headers=as_token(token))
    assert answer.status_code == 200
    assert {hit["source"]["account"] for hit in answer.json()["hits"]} == {NORTH}
    with pytest.raises(CommandError, match="cannot filter on 'cost'"):
        await sync_to_async(call_command)("tenant_token", parent, "--filter", "cost:1", stdout=io.StringIO())
    with pytest.raises(CommandError, match="TENANT_TOKEN_MAX_TTL"):
        await sync_to_async(call_command)(
            "tenant_token", parent, "--filter", f"account:{NORTH}", "--ttl", "9999999", stdout=io.StringIO()
        )


async def test_a_burst_with_one_new_token_is_served_whole_with_one_lookup(api, token_of, monkeypatch):
    """A back end forwarding 1,000 searches at once with a token it has not sent before: none refused, and its
    parent key is looked up once."""
    lookups: list[str] = []
    original = KeyStore._look_up

    async def counted(self: KeyStore, prefix: str) -> ParentKey | None:
        lookups.append(prefix)
        return await original(self, prefix)

    monkeypatch.setattr(KeyStore, "_look_up", counted)
    token = as_token(token_of(f"account:{NORTH}"))
    answers = await asyncio.gather(
        *(api.get("/suggest", params={"prefix": "lan"}, headers=token) for _ in range(1_000))
    )
    assert [answer.status_code for answer in answers] == [200] * 1_000
    assert len(lookups) == 1
