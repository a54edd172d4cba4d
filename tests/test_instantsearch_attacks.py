"""A hostile caller against the InstantSearch endpoints (endpoints/instantsearch.py): each test is one defect found by
the red-team pass (issue 22), failing before its fix. The promises they hold the endpoints to: no 5xx for any input, no
caller slowing the search for the others beyond what its priced work allows, honest load never refused.

What was measured on the 200,000-document attack index (`make bench --only attack`) before each fix is in the
tests' docstrings; the tests themselves run on the product index.
"""

import socket
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from search_service.endpoints.instantsearch import MAX_CALL_UNITS
from tests.conftest import ES_URL
from tests.products import PRODUCT_ENVIRONMENT
from tests.raw_server import Server, serving
from tests.recording_proxy import recording_proxy
from tests.test_instantsearch import SORT_INDICES


@pytest.fixture
def configure(configure_service, product_index):
    def configure(**overrides: Any) -> str:
        configure_service(
            elasticsearch_index=product_index, search_sort_indices=SORT_INDICES, **PRODUCT_ENVIRONMENT | overrides
        )
        return str(product_index)

    return configure


# 1. A 500 ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_fields",
    [
        {"params": "hitsPerPage=0&page=18446744073709551616"},  # algoliasearch v4: a params string
        {"params": {"hitsPerPage": 0, "page": "18446744073709551616"}},  # v5: an object, the number as text
    ],
)
async def test_a_page_past_64_bits_with_no_hits_is_a_400_not_a_500(api, configure, request_fields):
    """`page` is bounded only when hitsPerPage > 0 (_check_bounds); with 0 any page passes, Elasticsearch is asked,
    and the answer echoes `page`, which orjson cannot write past 2**64 - 1: TypeError, 500 internal_error."""
    index = configure()
    response = await api.post(
        "/1/indexes/*/queries", content=orjson.dumps({"requests": [{"indexName": index, **request_fields}]})
    )
    assert response.status_code == 400, response.text
    assert "page" in response.json()["message"]


# 2. Expensive searches batched into one turn ------------------------------------------------------------------------

# Each is priced over EXPENSIVE_UNITS on the product index: 4 facets x 100 values x 0.06 + 1 = 25 units.
EXPENSIVE_REQUEST = {"query": "", "hitsPerPage": 0, "facets": ["*"], "maxValuesPerFacet": 100}


async def test_expensive_searches_in_one_call_count_as_that_many_expensive_queries(api, configure):
    """A call used to take one turn of the expensive lane and one hit of SEARCH_EXPENSIVE_RATE_LIMIT however many
    expensive searches it held (batch_cost on its costliest search alone). Sent to /search, the second of these is
    refused: in one call too."""
    index = configure(search_expensive_rate_limit="1/minute")
    requests = [{"indexName": index, **EXPENSIVE_REQUEST, "facetFilters": [f"brand:-x{n}"]} for n in range(2)]
    response = await api.post("/1/indexes/*/queries", content=orjson.dumps({"requests": requests}))
    assert response.status_code == 429, "2 expensive queries passed a limit of 1 a minute in one call"
    assert response.json()["error"] == "rate_limited"


async def test_the_expensive_searches_of_a_call_run_as_many_at_once_as_the_lane_allows(api, configure):
    """Measured on the 200,000-document index before the fix: 32 searches of 27.6 units in one call filled
    Elasticsearch's search threads, and an honest caller's median /search went from 19 to 447 ms. Now each takes
    its turn, the call's _msearch runs no more of them at once than SEARCH_EXPENSIVE_CONCURRENCY, and a call is
    bounded in work (the next test)."""
    index = configure(search_expensive_concurrency=2)
    requests = [{"indexName": index, **EXPENSIVE_REQUEST, "facetFilters": [f"brand:-x{n}"]} for n in range(2)]
    ordinary = [{"indexName": index, "query": "lamp", "hitsPerPage": 5} for _ in range(3)]
    with recording_proxy(ES_URL) as proxy:
        configure(elasticsearch_hosts=proxy.url, search_expensive_concurrency=2)
        await api.post("/1/indexes/*/queries", content=orjson.dumps({"requests": ordinary}))  # reads the mapping
        proxy.targets.clear()
        for call in (requests, ordinary):
            response = await api.post("/1/indexes/*/queries", content=orjson.dumps({"requests": call}))
            assert response.status_code == 200, response.text
    assert proxy.targets == ["POST /_msearch?max_concurrent_searches=2", "POST /_msearch"]


# 3. A 504 from one call -------------------------------------------------------------------------------------------


async def test_a_call_past_the_bound_on_its_work_is_a_400_that_says_so(api, configure):
    """SEARCH_TIMEOUT bounds each search, not the call: Elasticsearch runs an _msearch's searches a few at a time, so
    32 searches of 16 ORed words and 100 hits each outlasted ELASTICSEARCH_REQUEST_TIMEOUT on the 200,000-document
    index: a 504 from one request of one caller. A call is now bounded in work (MAX_CALL_UNITS)."""
    index = configure()
    words = " | ".join(["lamp", "kettle", "steel", "smart", "retro", "quiet", "compact", "cordless"] * 2)
    requests = [
        {"indexName": index, "query": words, "hitsPerPage": 100, "numericFilters": [f"price>=-{n}"]} for n in range(32)
    ]
    response = await api.post("/1/indexes/*/queries", content=orjson.dumps({"requests": requests}))
    assert response.status_code == 400, response.text
    assert f"more than the {MAX_CALL_UNITS} one call may" in response.json()["message"]
    honest = [{"indexName": index, "query": "lamp", "hitsPerPage": 20, "facets": ["*"], "maxValuesPerFacet": 20}]
    honest += [{"indexName": index, "query": "lamp", "hitsPerPage": 0, "facets": [name]} for name in ("brand", "tags")]
    assert (await api.post("/1/indexes/*/queries", content=orjson.dumps({"requests": honest}))).status_code == 200


# 4. A body that never comes ---------------------------------------------------------------------------------------

HELD = 8


@pytest.fixture(scope="module")
def small_server(fixture_index: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    limits = {"header_read_timeout": "1", "max_connections": str(HELD)}
    with serving(fixture_index, tmp_path_factory, limits, expected_5xx={503}) as server:
        yield server


def test_a_body_that_never_arrives_does_not_hold_a_connection(small_server):
    """The InstantSearch paths are the only ones that read a body (asgi.py). The head's timeout ends with the head;
    nothing bounds the wait for the body, so a client that announces `Content-Length: 60000` and sends one byte
    keeps its connection for good (seen: open after 25 s with the default 5 s HEADER_READ_TIMEOUT). MAX_CONNECTIONS
    such connections from one address and every other client is answered 503 too_many_connections."""
    held: list[socket.socket] = []
    try:
        for _ in range(HELD):
            sock = small_server.connect()
            sock.sendall(b"POST /1/indexes/*/queries HTTP/1.1\r\nHost: localhost\r\nContent-Length: 60000\r\n\r\n{")
            held.append(sock)
        time.sleep(4)  # four header timeouts
        status = small_server.get("/health").status_code
    finally:
        for sock in held:
            sock.close()
    assert status == 200, f"/health answered {status} while {HELD} bodies were pending"
