"""What browsers are told: CORS for the allowed origins only, and the security headers on every answer."""

import re

import pytest

from search_service.middleware import JSON_CONTENT_SECURITY_POLICY
from search_service.page import CONTENT_SECURITY_POLICY as PAGE_POLICY

ALLOWED = "https://app.example.com"
REFUSED = "https://evil.example.net"


@pytest.fixture
def cors(settings, api):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    return api


def preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key"}


async def test_a_preflight_from_an_allowed_origin_is_answered_with_what_it_may_send(cors):
    response = await cors.options("/search", headers=preflight(ALLOWED))
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "x-api-key" in response.headers["Access-Control-Allow-Headers"].split(", ")
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"  # POST: InstantSearch's
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_a_preflight_from_another_origin_gets_no_permission(cors):
    response = await cors.options("/search", headers=preflight(REFUSED))
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers


async def test_answers_to_an_allowed_origin_are_readable_by_its_scripts_refusals_too(cors, configure_service):
    configure_service(search_require_api_key=True)
    response = await cors.get("/search", params={"q": "json"}, headers={"Origin": ALLOWED})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "WWW-Authenticate" in response.headers["Access-Control-Expose-Headers"]
    other = await cors.get("/search", params={"q": "json"}, headers={"Origin": REFUSED})
    assert "Access-Control-Allow-Origin" not in other.headers


async def test_without_an_allow_list_no_origin_is_allowed(api):
    response = await api.options("/search", headers=preflight(ALLOWED))
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(
    ("path", "status"),
    [("/search?q=json", 200), ("/search?size=-1", 422), ("/nothing-here", 404), ("/health", 200)],
)
async def test_json_answers_carry_the_security_headers_and_a_policy_that_allows_nothing(api, path, status):
    response = await api.get(path)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Security-Policy"] == JSON_CONTENT_SECURITY_POLICY


async def test_the_search_page_keeps_its_own_policy(api):
    response = await api.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == PAGE_POLICY
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_a_crash_answers_without_a_traceback_or_a_setting(api, monkeypatch, settings):
    def crash(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("search_service.endpoints.suggest.build_suggest_body", crash)
    response = await api.get("/suggest", params={"prefix": "js"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "detail": "An unexpected error occurred"}
    for leaked in ("Traceback", "secret internals", settings.SECRET_KEY, "elastic"):
        assert leaked not in response.text


async def test_errors_reports_and_metrics_are_never_stored_by_a_cache(api, configure_service):
    configure_service(analytics_token="analytics-token-for-tests-0123", metrics_token="metrics-token-for-tests-0123")
    answers = [
        await api.get("/search", params={"size": -1}),  # 422
        await api.get("/nothing-here"),  # 404
        await api.get("/analytics/recorder", headers={"Authorization": "Bearer analytics-token-for-tests-0123"}),
        await api.get("/metrics", headers={"Authorization": "Bearer metrics-token-for-tests-0123"}),
        await api.get("/metrics"),  # 401
    ]
    for answer in answers:
        assert answer.headers["Cache-Control"] == "no-store", (answer.request.url, answer.status_code)
    for answer in answers[2:]:
        assert {"Authorization", "X-API-Key"} <= {v.strip() for v in answer.headers["Vary"].split(",")}


async def test_an_answer_to_a_key_is_private_and_varies_by_the_key_an_anonymous_one_is_public(api):
    anonymous = await api.get("/search", params={"q": "json"})
    assert anonymous.status_code == 200
    assert re.fullmatch(r"max-age=\d+", anonymous.headers["Cache-Control"])  # the answer cache's TTL left

    keyed = await api.get("/search", params={"q": "json"}, headers={"X-API-Key": "sk_not_a_real_key_0000000000"})

    assert keyed.headers["Cache-Control"] in {"private", "no-store"}  # 200 if keys are optional, else an error
    assert {"Authorization", "X-API-Key"} <= {v.strip() for v in keyed.headers["Vary"].split(",")}
