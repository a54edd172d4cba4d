"""Every way /search can fail answers with a JSON error, a stable code and the right status; never a 500."""

from typing import Any

import pytest


def assert_error(response, status: int, error: str) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    # Only a query that cannot be parsed may say where (`position`) and what to try (`hint`).
    optional = {"position", "hint"} if error == "invalid_query" else set()
    assert {"error", "detail"} <= set(body) <= {"error", "detail", *optional}
    assert body["error"] == error
    assert body["detail"]
    return body


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"q": "x" * 1001}, "q"),
        ({"q": "json", "size": 101}, "size"),
        ({"q": "json", "size": -1}, "size"),
        ({"size": 0, "page": 10001}, "page"),  # found by the attack run: a ZeroDivisionError, a 500
        ({"q": "json", "size": "ten"}, "size"),
        ({"q": "json", "page": 0}, "page"),
        ({"q": "json", "page": 1001}, "page"),
        ({"q": "json", "size": 100, "page": 101}, "page"),
    ],
)
async def test_bad_parameters_are_422_naming_the_parameter(api, params, parameter):
    body = assert_error(await api.get("/search", params=params), 422, "invalid_parameter")

    assert body["detail"].startswith(f"{parameter}: ")


async def test_size_limit_follows_configuration(api, configure_service):
    configure_service(search_max_size=5)

    body = assert_error(await api.get("/search", params={"q": "json", "size": 6}), 422, "invalid_parameter")
    assert body["detail"] == "size: must be at most 5"


async def test_last_page_of_the_result_window_is_allowed(api):
    response = await api.get("/search", params={"q": "json", "size": 100, "page": 100})

    assert response.status_code == 200
    assert response.json()["hits"] == []


@pytest.mark.parametrize(
    "query",
    ["title:(unclosed", "kind:(", "module:csv AND (json", '"unbalanced', "json AND", "name:django^1.2.3", "a\\"],
)
async def test_unparseable_query_is_400_before_elasticsearch(api, query):
    response = await api.get("/search", params={"q": query})

    body = assert_error(response, 400, "invalid_query")
    assert body["detail"].startswith("Cannot parse the query: ")
    assert {"position", "hint"} <= set(body)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("*leading", "wildcard_prefix_too_short"),
        ("/.*/", "regex_not_allowed"),
        ("ab* bc* cd* de*", "too_many_wildcards"),
        ("jsn~1 dmp~1 lds~1 rdr~1", "too_many_fuzzy_terms"),
        ("jsn~3", "fuzzy_distance_too_large"),
        ('"reader object"~500', "phrase_slop_too_large"),
        (" ".join(f"word{n}" for n in range(40)), "too_many_clauses"),
        ("((((((((json))))))))", "query_too_deep"),
    ],
)
async def test_costly_queries_are_400_with_their_own_code(api, query, error):
    assert_error(await api.get("/search", params={"q": query}), 400, error)


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ("secret:x", "secret"),
        ("json AND _id:json.dumps", "_id"),
        ("_exists_:secret", "secret"),
        ("module:csv OR (internal:1 AND kind:class)", "internal"),
        ("qualname.raw:json.dumps", "qualname.raw"),
    ],
)
async def test_fields_outside_the_allow_list_are_400(api, query, refused):
    body = assert_error(await api.get("/search", params={"q": query}), 400, "field_not_allowed")

    assert body["detail"].startswith(f"cannot search {refused};")
    assert "module" in body["detail"]  # it names the fields that are open


async def test_allow_list_is_configurable(api, configure_service):
    configure_service(search_query_fields="*")

    response = await api.get("/search", params={"q": "_id:json.dumps"})

    assert response.status_code == 200
    assert [hit["id"] for hit in response.json()["hits"]] == ["json.dumps"]


async def test_unreachable_elasticsearch_is_503_with_retry_after(api, configure_service):
    configure_service(elasticsearch_hosts="http://127.0.0.1:1", elasticsearch_max_retries=0)

    response = await api.get("/search", params={"q": "json"})

    assert_error(response, 503, "elasticsearch_unavailable")
    assert int(response.headers["Retry-After"]) > 0


async def test_elasticsearch_timeout_is_504(api, configure_service):
    configure_service(elasticsearch_request_timeout=0.001)

    assert_error(await api.get("/search", params={"q": "json"}), 504, "elasticsearch_timeout")


async def test_missing_index_is_503(api, configure_service):
    configure_service(elasticsearch_index="no-such-index")

    response = await api.get("/search", params={"q": "json"})

    assert_error(response, 503, "index_unavailable")
    assert "no-such-index" not in response.text


async def test_rejected_credentials_are_502(api, configure_service):
    configure_service(elasticsearch_password="wrong")

    assert_error(await api.get("/search", params={"q": "json"}), 502, "elasticsearch_error")


async def test_unknown_path_is_json_404(api):
    assert_error(await api.get("/nowhere"), 404, "not_found")


async def test_wrong_method_is_json_405_naming_the_allowed_ones(api):
    response = await api.post("/search", params={"q": "json"})

    body = assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET"
    assert "GET" in body["detail"]
