"""The API fuzzed through its own OpenAPI document, with the real node behind it: whatever a client sends, the
answer is one the document describes (its status, its schema) and never a 5xx. The headers the service reads
(API keys, tokens, request ids, origins) are fuzzed on every endpoint, keys required or not.

Requests go through the ASGI application as uvicorn serves it, with httpx, each in its own event loop: the
service's Elasticsearch client belongs to the loop that made it, and is closed with it.
"""

import asyncio
import os
import re
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from config.asgi import application
from search_service.elastic import close_client
from search_service.mapping.loaded import forget_index_fields
from tests.lucene_strings import lucene_queries
from tests.products import PRODUCT_ENVIRONMENT

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "100"))
BASE_URL = "http://localhost"
# The node is shared with other work on a small machine: a slow answer is not what this test is about.
TIMEOUT = 30
fuzz_settings = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# Every error answer the fuzz run gets (status, body): none may carry Elasticsearch's words (the last test).
ERROR_BODIES: list[tuple[int, str]] = []
# What gives Elasticsearch's text away: Java classes and exception types, its parser's phrases, its error structure.
ELASTICSEARCH_WORDS = re.compile(
    r"[A-Za-z]+Exception|exception|failed to create query|org\.elasticsearch|java\.|Cannot parse '|Lexical error"
    r"|Encountered \"|Was expecting|caused_by|root_cause|index_uuid|search_phase|all shards failed",
)


async def send(method: str, url: str, cookies: dict[str, str] | None = None, **request: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, cookies=cookies) as client:
            response = await client.request(method, url, **request)
            await response.aread()
            if response.status_code >= 400:
                ERROR_BODIES.append((response.status_code, response.text))
            return response
    finally:
        await close_client()
        forget_index_fields()  # as a worker's restart would: the next request reads the mapping it is sent to


def leaks(body: str, index_names: tuple[str, ...]) -> list[str]:
    """What in an error body is Elasticsearch's rather than ours."""
    found = [match.group(0) for match in ELASTICSEARCH_WORDS.finditer(body)]
    return found + [name for name in index_names if name and name in body]


# Loaded at collection: schemathesis's fixture-based loader does not run under pytest 9 (it reads a node
# attribute pytest no longer has). The document needs no Elasticsearch.
schema = schemathesis.openapi.from_dict(asyncio.run(send("GET", "/openapi.json")).json())


@schema.parametrize()
@fuzz_settings
def test_every_answer_is_documented_and_none_is_a_server_error(configure_service, case):
    configure_service(elasticsearch_request_timeout=TIMEOUT)
    request = case.as_transport_kwargs(base_url=BASE_URL)
    try:
        response = asyncio.run(
            send(
                request.pop("method"),
                request.pop("url"),
                params=request.get("params"),
                headers=request.get("headers"),
                cookies=request.get("cookies"),
            )
        )
    except httpx.InvalidURL:
        # Lists of long parameters, each within its documented bounds, can add up to a URL longer than an HTTP
        # client sends (httpx: 64 KB). Such a URL never reaches a server; the service's own limit on the request
        # head (MAX_HEADER_BYTES, tests/test_protocol_limits.py) answers the ones that are sent.
        reject()
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance])


@fuzz_settings
@given(q=lucene_queries)
def test_any_query_answers_200_400_or_422_as_json(configure_service, q):
    configure_service(elasticsearch_request_timeout=TIMEOUT)
    response = asyncio.run(send("GET", "/search", params={"q": q, "size": 3}))

    assert response.status_code in {200, 400, 422}, response.text
    body = response.json()
    if response.status_code != 200:
        assert {"error", "detail"} <= set(body) <= {"error", "detail", "position", "hint"}
        assert body["error"]
        assert body["detail"]


# What a client may put in the headers the service reads: keys (well formed or not), the schemes of
# Authorization, request ids, origins. Any text a header can carry (latin-1 without controls), and near misses.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80)
key_like = st.builds(
    lambda prefix, secret: f"ssk_{prefix}_{secret}",
    st.text("0123456789abcdef", min_size=12, max_size=12),
    st.text("ABCxyz019_-", min_size=43, max_size=43),
)
authorization = st.one_of(
    header_text,
    st.builds(
        lambda scheme, value: f"{scheme} {value}",
        st.sampled_from(["ApiKey", "apikey", "Bearer", "Basic"]),
        st.one_of(key_like, header_text),
    ),
)
FUZZED_PATHS = [
    "/search?q=json",
    "/suggest?prefix=js",
    "/documents/json.dumps",
    "/ready",
    "/metrics",
    "/analytics/recorder",
    "/openapi.json",
    "/nothing",
]


@pytest.mark.django_db(transaction=True)
@fuzz_settings
@given(
    path=st.sampled_from(FUZZED_PATHS),
    required=st.booleans(),
    headers=st.fixed_dictionaries(
        {},
        optional={
            "X-API-Key": st.one_of(key_like, header_text),
            "Authorization": authorization,
            "X-Request-ID": header_text,
            "Origin": st.one_of(st.just("https://app.example.com"), header_text),
        },
    ),
)
def test_any_credential_request_id_or_origin_answers_without_a_server_error(
    configure_service, settings, path, required, headers
):
    configure_service(
        elasticsearch_request_timeout=TIMEOUT,
        search_require_api_key=required,
        ready_requires_api_key=required,
        docs_require_api_key=required,
        analytics_token="analytics-token-for-fuzzing",
        metrics_token="metrics-token-for-fuzzing",
        api_key_cache_seconds=0,
    )
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    response = asyncio.run(
        send("GET", path, headers={name: value.encode("latin-1") for name, value in headers.items()})
    )

    assert response.status_code < 500, response.text
    assert response.status_code in {200, 401, 403, 404, 422}, response.text
    if response.status_code != 200:
        assert set(response.json()) == {"error", "detail"}
    request_id = response.headers["X-Request-ID"]
    assert request_id == headers.get("X-Request-ID") or len(request_id) == 32


# What a caller can send to /search on an index with typed fields: values of every shape for every field (allowed,
# hidden or unknown), stats and sort on any field, and parameters the endpoint does not know.
PRODUCT_FIELDS = ("brand", "category", "price", "rating", "in_stock", "released", "tags", "cost", "title", "nope", "")
VALUE_TEXT = st.text(st.characters(codec="utf-8"), max_size=24)
filter_values = st.one_of(
    VALUE_TEXT,
    st.sampled_from(
        [
            "true",
            "False",
            "yes",
            "1",
            "-1",
            "1e308",
            "1e999",
            "99999999999999999999",
            "2024-13-45",
            "now-7d/d",
            "now-",
            "2024-01-01||+1M",
            "..",
            "10..",
            "..x",
            "a..b",
            "1.5",
            "NaN",
            "Infinity",
            '"quoted.."',
            "10.0.0.0/8",
        ]
    ),
)
search_parameters = st.fixed_dictionaries(
    {},
    optional={
        "q": st.one_of(lucene_queries, VALUE_TEXT),
        "filter": st.lists(
            st.builds(lambda field, value: f"{field}:{value}", st.sampled_from(PRODUCT_FIELDS), filter_values),
            max_size=4,
        ),
        "stats": st.lists(st.sampled_from(PRODUCT_FIELDS), max_size=3).map(",".join),
        "facets": st.lists(st.sampled_from(PRODUCT_FIELDS), max_size=3).map(",".join),
        "sort": st.sampled_from(["-price", "cost", "title", "rating,-released", "score", "-nope", ""]),
        "size": st.sampled_from(["0", "1", "10", "-1", "x"]),
        "mode": st.sampled_from(["simple", "query_string", "lucene"]),
        "typos": st.sampled_from(["0", "1", "2", "auto", "3", "-1", "AUTO", ""]),
        "prefix": st.sampled_from(["true", "false", "1", "0", "maybe", ""]),
        st.sampled_from(["foo", "fields", "_", "filters", "q "]): VALUE_TEXT,
    },
)


@fuzz_settings
@given(params=search_parameters)
def test_any_search_of_a_typed_index_answers_in_our_words(configure_service, product_index, params):
    configure_service(elasticsearch_request_timeout=TIMEOUT, elasticsearch_index=product_index, **PRODUCT_ENVIRONMENT)
    response = asyncio.run(send("GET", "/search", params=params))

    assert response.status_code in {200, 400, 422}, response.text
    if response.status_code != 200:
        assert leaks(response.text, (product_index,)) == [], response.text


def test_the_fuzz_run_collected_error_bodies_in_our_words(configure_service, fixture_index, product_index):
    # Refusals a fuzzer might not reach, sent here so that the list is never empty whatever ran before.
    configure_service(elasticsearch_index=product_index, **PRODUCT_ENVIRONMENT)
    for params in ({"filter": "price:cheap"}, {"q": "title:(unclosed"}, {"stats": "brand"}, {"foo": "x"}):
        asyncio.run(send("GET", "/search", params=params))
    configure_service(elasticsearch_index="no-such-index-for-the-fuzz-run")
    asyncio.run(send("GET", "/search", params={"q": "x"}))

    assert len(ERROR_BODIES) >= 5
    names = (fixture_index, product_index, "no-such-index-for-the-fuzz-run")
    leaked = [(status, body) for status, body in ERROR_BODIES if leaks(body, names)]
    assert leaked == [], leaked[:5]


@fuzz_settings
@given(q=st.one_of(lucene_queries, VALUE_TEXT), typos=st.sampled_from(["0", "1", "2", "auto"]), prefix=st.booleans())
def test_any_text_in_simple_mode_answers_200_whatever_its_typos_and_prefix(configure_service, q, typos, prefix):
    """The tolerant pass writes `~N` and `*` into the caller's text (query/tolerance.py): whatever the text, the
    search box's mode still never refuses it, and the tolerant pass never fails."""
    configure_service(elasticsearch_request_timeout=TIMEOUT, search_typo_threshold=10_000)  # always tolerant
    params = {"q": q, "mode": "simple", "typos": typos, "prefix": str(prefix).lower(), "size": 3}
    response = asyncio.run(send("GET", "/search", params=params))

    if len(q.strip()) > 1_000:
        assert response.status_code == 422, response.text
        return
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["tolerant"], bool)
