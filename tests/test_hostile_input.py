"""Whatever a client sends is answered 2xx or 4xx as JSON, never 5xx: too many parameters, broken encodings."""

import json

import pytest
from django.core.exceptions import (
    BadRequest,
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.test import RequestFactory

from search_service.api import api as search_api
from search_service.faults import ElasticsearchAnswerMalformed
from tests.test_search_errors import assert_error

MAX_PARAMETERS = 1000  # Django's DATA_UPLOAD_MAX_NUMBER_FIELDS


def query_string(parameter_count: int) -> str:
    # `_` is the cache-buster parameter HTTP libraries add, which every endpoint accepts (and ignores).
    return "&".join(["q=json"] + [f"_={n}" for n in range(parameter_count - 1)])


async def test_too_many_query_parameters_are_400(api):
    response = await api.get(f"/search?{query_string(MAX_PARAMETERS + 1)}")

    body = assert_error(response, 400, "too_many_parameters")
    assert str(MAX_PARAMETERS) in body["detail"]


async def test_as_many_query_parameters_as_allowed_are_served(api):
    response = await api.get(f"/search?{query_string(MAX_PARAMETERS)}")

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "target",
    [
        "/search?q=%ff",  # not UTF-8
        "/search?q=%",  # a lone percent sign
        "/search?q=%zz",  # not hex
        "/search?q=%ed%a0%80",  # an encoded UTF-16 surrogate
        "/search?q=%c0%af",  # an overlong encoding of '/'
        "/search?q=x%00y",  # NUL
        "/search?%ff=1&q=json",  # a broken parameter name
        "/search?q=json&size=%ff",
        "/search%ff?q=json",
        "/%",
        "/search/%ed%a0%80",
    ],
)
async def test_malformed_percent_encoding_is_never_5xx(api, target):
    response = await api.get(target)

    assert response.status_code in (200, 400, 404, 422), response.text
    assert response.headers["content-type"].startswith("application/json")
    if response.status_code != 200:
        assert set(response.json()) == {"error", "detail"}


@pytest.mark.parametrize(
    ("exception", "status", "error"),
    [
        (TooManyFieldsSent("too many"), 400, "too_many_parameters"),
        (TooManyFilesSent("too many"), 400, "too_many_files"),
        (RequestDataTooBig("too big"), 413, "request_too_large"),
        (DisallowedHost("evil.example"), 400, "invalid_host"),
        (SuspiciousOperation("something odd"), 400, "bad_request"),
        (BadRequest("malformed"), 400, "bad_request"),
        (ElasticsearchAnswerMalformed("no hits"), 502, "elasticsearch_bad_answer"),
    ],
)
def test_each_fault_has_its_status_and_code(settings, exception, status, error):
    # Django raises these from request.GET/.body wherever they are first read, so each is mapped by type.
    settings.ALLOWED_HOSTS = ["testserver"]
    request = RequestFactory().get("/search")

    response = search_api.on_exception(request, exception)

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"error", "detail"}
    assert body["error"] == error
    assert body["detail"]
