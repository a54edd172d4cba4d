"""API keys on the endpoints, through the ASGI app, with the real node and the real database."""

import asyncio
import io

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from search_service.keys.last_used import stop_last_used
from search_service.models import ApiKey

pytestmark = pytest.mark.django_db(transaction=True)

CHALLENGE = 'ApiKey realm="search"'


@pytest.fixture
def keys_required(configure_service):
    configure_service(search_require_api_key=True, api_key_cache_seconds=0)


def assert_error(response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error


@pytest.mark.parametrize(
    ("path", "params"),
    [("/search", {"q": "json"}), ("/suggest", {"prefix": "json"}), ("/documents/json.dumps", {})],
)
async def test_a_created_key_opens_every_search_endpoint(api, keys_required, make_key, path, params):
    key = await make_key()
    assert (await api.get(path, params=params, headers={"X-API-Key": key})).status_code == 200
    assert (await api.get(path, params=params, headers={"Authorization": f"ApiKey {key}"})).status_code == 200
    missing = await api.get(path, params=params)
    assert_error(missing, 401, "unauthorized")
    assert missing.headers["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize(
    "header",
    [
        {"X-API-Key": "ssk_000000000000_" + "A" * 43},  # well formed, unknown
        {"X-API-Key": "not-a-key"},
        {"X-API-Key": ""},
        {"Authorization": "ApiKey"},
        {"Authorization": "Bearer something"},  # not a key at all: as if none were sent
    ],
)
async def test_a_missing_or_bad_key_is_401_with_the_scheme(api, keys_required, header):
    response = await api.get("/search", params={"q": "json"}, headers=header)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == CHALLENGE


async def test_a_revoked_key_is_401(api, keys_required, make_key):
    key = await make_key()
    assert (await api.get("/search", params={"q": "json"}, headers={"X-API-Key": key})).status_code == 200
    await sync_to_async(call_command)("revoke_api_key", key[:16], stdout=io.StringIO())
    response = await api.get("/search", params={"q": "json"}, headers={"X-API-Key": key})
    assert_error(response, 401, "unauthorized")
    assert key not in response.text


async def test_a_revocation_takes_effect_once_the_cache_entry_expires(api, configure_service, make_key):
    configure_service(search_require_api_key=True, api_key_cache_seconds=0.5)
    key = await make_key()
    headers = {"X-API-Key": key}
    assert (await api.get("/search", params={"q": "json"}, headers=headers)).status_code == 200
    await ApiKey.objects.filter(prefix=key[4:16]).aupdate(revoked="2026-01-01T00:00:00Z")
    assert (await api.get("/search", params={"q": "json"}, headers=headers)).status_code == 200  # cached
    await asyncio.sleep(0.6)
    assert (await api.get("/search", params={"q": "json"}, headers=headers)).status_code == 401


async def test_a_key_without_the_scope_is_403(api, keys_required, make_key):
    admin_only = await make_key(scopes=("admin",))
    response = await api.get("/search", params={"q": "json"}, headers={"X-API-Key": admin_only})
    assert_error(response, 403, "forbidden")
    assert "search" in response.json()["detail"]


async def test_without_required_keys_anyone_searches_but_a_sent_key_is_still_checked(api, configure_service, make_key):
    configure_service(api_key_cache_seconds=0)
    assert (await api.get("/search", params={"q": "json"})).status_code == 200
    assert (await api.get("/search", params={"q": "json"}, headers={"X-API-Key": await make_key()})).status_code == 200
    assert_error(await api.get("/search", params={"q": "json"}, headers={"X-API-Key": "wrong"}), 401, "unauthorized")
    admin_only = await make_key(scopes=("admin",))
    assert_error(await api.get("/search", params={"q": "json"}, headers={"X-API-Key": admin_only}), 403, "forbidden")


async def test_health_stays_open_and_ready_and_docs_need_a_key_only_when_configured(api, configure_service, make_key):
    configure_service(search_require_api_key=True, api_key_cache_seconds=0)
    for path in ("/health", "/ready", "/docs", "/openapi.json"):
        assert (await api.get(path)).status_code == 200, path
    configure_service(
        search_require_api_key=True, api_key_cache_seconds=0, ready_requires_api_key=True, docs_require_api_key=True
    )
    assert (await api.get("/health")).status_code == 200
    key = await make_key(scopes=("admin",))  # any valid key
    for path in ("/ready", "/docs", "/openapi.json"):
        response = await api.get(path)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == CHALLENGE
        assert (await api.get(path, headers={"X-API-Key": key})).status_code == 200, path


async def test_an_admin_key_reads_analytics_with_or_without_the_token(api, configure_service, make_key):
    configure_service(api_key_cache_seconds=0)  # no ANALYTICS_TOKEN: without a key, the reports do not exist
    assert_error(await api.get("/analytics/recorder"), 404, "not_found")
    admin = {"X-API-Key": await make_key(scopes=("admin",))}
    assert (await api.get("/analytics/recorder", headers=admin)).status_code == 200
    search_only = {"X-API-Key": await make_key(scopes=("search",))}
    assert_error(await api.get("/analytics/recorder", headers=search_only), 403, "forbidden")
    assert_error(await api.get("/analytics/recorder", headers={"X-API-Key": "wrong"}), 401, "unauthorized")


async def test_an_admin_key_reads_the_metrics_and_a_search_key_does_not(api, configure_service, make_key):
    configure_service()  # no METRICS_TOKEN: keys only
    assert (await api.get("/metrics")).status_code == 404
    assert (await api.get("/metrics", headers={"X-API-Key": await make_key(scopes=("admin",))})).status_code == 200
    assert (await api.get("/metrics", headers={"X-API-Key": await make_key(scopes=("search",))})).status_code == 403


async def test_last_used_is_not_written_on_the_request_path_but_at_shutdown(api, configure_service, make_key):
    configure_service(api_key_cache_seconds=30, api_key_last_used_interval=60)
    key = await make_key()
    for _ in range(20):
        assert (await api.get("/search", params={"q": "json"}, headers={"X-API-Key": key})).status_code == 200
    assert (await ApiKey.objects.aget(prefix=key[4:16])).last_used is None  # 20 uses, no write yet
    await stop_last_used()  # as the lifespan's shutdown does: what was noted is written
    assert (await ApiKey.objects.aget(prefix=key[4:16])).last_used is not None


async def test_last_used_is_written_every_interval(api, configure_service, make_key):
    configure_service(api_key_cache_seconds=30, api_key_last_used_interval=0.2)
    key = await make_key()
    assert (await api.get("/search", params={"q": "json"}, headers={"X-API-Key": key})).status_code == 200
    for _ in range(100):
        if (await ApiKey.objects.aget(prefix=key[4:16])).last_used is not None:
            break
        await asyncio.sleep(0.05)
    assert (await ApiKey.objects.aget(prefix=key[4:16])).last_used is not None


async def test_instantsearch_clients_send_the_key_as_algolias_header_or_query_parameter(
    api, keys_required, make_key, fixture_index, configure_service
):
    key = await make_key()
    body = b'{"requests": [{"indexName": "%s", "params": "query=json"}]}' % fixture_index.encode()
    path = "/1/indexes/*/queries"
    as_header = await api.post(path, content=body, headers={"X-Algolia-API-Key": key})
    assert as_header.status_code == 200, as_header.text
    assert as_header.json()["results"][0]["nbHits"] > 0
    as_parameter = await api.post(
        path, params={"x-algolia-api-key": key, "x-algolia-application-id": "x"}, content=body
    )
    assert as_parameter.status_code == 200, as_parameter.text
    # Algolia's clients must be given a key: one that is not ours is a placeholder, and the answer says one is needed.
    for placeholder in ("", "unused"):
        empty = await api.post(path, params={"x-algolia-api-key": placeholder}, content=body)
        assert_error(empty, 401, "unauthorized")
        assert empty.json()["status"] == 401
        assert empty.json()["message"].startswith("Send an API key")
    wrong = await api.post(path, content=body, headers={"X-Algolia-API-Key": key[:-2] + "xx"})
    assert_error(wrong, 401, "unauthorized")
    # Without keys required, a placeholder is no key: the front end of a service without keys works.
    configure_service(search_require_api_key=False)
    open_door = await api.post(path, content=body, headers={"X-Algolia-API-Key": "unused"})
    assert open_door.status_code == 200, open_door.text
    configure_service(search_require_api_key=True, api_key_cache_seconds=0)
    # A key in a URL is read on the InstantSearch paths only: elsewhere it is an unknown parameter.
    elsewhere = await api.get("/search", params={"q": "json", "x-algolia-api-key": key})
    assert elsewhere.status_code in (401, 422)
