"""A 200 from "Elasticsearch" that is not a search result → 502, never a 500 or a body off the schema.

A real node cannot be made to answer like this (a misbehaving proxy or gateway in front of it can), so a
stand-in on loopback plays that part.
"""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from search_service.demo import DEMO_MAPPING
from tests.test_search_errors import assert_error


class StandIn(BaseHTTPRequestHandler):
    answer: bytes = b"{}"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        answer = self.answer
        if self.path.split("?")[0].endswith("/_mapping"):
            # A sound mapping: the service reads it before its first search (mapping/loaded.py).
            index = self.path.split("/")[1]
            answer = orjson.dumps({index: {"mappings": DEMO_MAPPING}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")  # the client refuses answers without it
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[type[StandIn]]:
    handler = type("Handler", (StandIn,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"took": 1},
        {"took": 1, "hits": {"total": {"value": 1, "relation": "eq"}, "hits": [{"_id": "x"}]}},
        {
            "took": 1,
            "hits": {"total": {"value": 1, "relation": "eq"}, "hits": [{"_id": "x", "_index": "i", "_source": 3}]},
        },
        [1, 2],
    ],
)
async def test_a_malformed_answer_is_502(api, configure_service, stand_in, answer):
    stand_in.answer = orjson.dumps(answer)
    configure_service(elasticsearch_hosts=stand_in.url)

    assert_error(await api.get("/search", params={"q": "json"}), 502, "elasticsearch_bad_answer")
