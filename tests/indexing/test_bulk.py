"""Bulk answers tied back to their lines when Elasticsearch is too busy for some documents (429) and they are sent
again: the real node, with its answers rewritten as a busy node's."""

from typing import Any, ClassVar

import orjson
from elastic_transport import AiohttpHttpNode, HttpHeaders
from elastic_transport._node import NodeApiResponse
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import AsyncElasticsearch

from search_service.elastic import client_options
from search_service.indexing.bulk import Retries
from search_service.indexing.definition import IndexDefinition
from search_service.indexing.loader import LoadPlan, load_index
from search_service.indexing.source import read_json_lines
from tests.conftest import service_settings

BUSY = {"type": "es_rejected_execution_exception", "reason": "rejected execution of coordinating operation"}


class Busy(AiohttpHttpNode):
    """Answers the first `busy_requests` bulk requests as if every document at an odd position (the 2nd, 4th...)
    had been refused with 429. They were indexed all the same; with ids, indexing them again changes nothing.
    Records how many documents each bulk request carried."""

    busy_requests: ClassVar[int] = 1
    sent: ClassVar[list[int]] = []

    async def perform_request(  # type: ignore[override]  # as the parent's
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        response = await super().perform_request(method, target, body, headers, request_timeout)
        if "/_bulk" not in target or body is None:
            return response
        Busy.sent.append(bytes(body).count(b"\n") // 2)
        if len(Busy.sent) > Busy.busy_requests:
            return response
        answer = orjson.loads(response.body)
        for item in answer["items"][1::2]:
            item["index"] = {"status": 429, "error": BUSY}
        answer["errors"] = True
        return NodeApiResponse(response.meta, orjson.dumps(answer))


async def load(alias: str, lines: list[bytes], busy_requests: int, **plan: Any) -> Any:
    Busy.busy_requests, Busy.sent = busy_requests, []
    retries = Retries(max_retries=2, initial_backoff=0.01)
    async with AsyncElasticsearch(**client_options(service_settings()), node_class=Busy) as client:
        report = await load_index(
            client, read_json_lines(lines), LoadPlan(alias=alias, retries=retries, **plan), progress=lambda _: None
        )
        return report, (await client.count(index=alias))["count"]


async def test_documents_refused_as_busy_are_sent_again_and_failures_keep_their_line_numbers(alias):
    lines = [orjson.dumps({"_id": f"d{n}", "n": n}) for n in range(1, 6)]
    lines.insert(4, orjson.dumps({"_id": "bad", "n": "not a number"}))  # line 5, after the busy lines 2 and 4

    report, count = await load(alias, lines, 1, definition=IndexDefinition({"properties": {"n": {"type": "integer"}}}))

    assert Busy.sent == [6, 3]  # the second request held only the busy documents (lines 2, 4, 6)
    assert [(failure.line, failure.reason.split(":")[0]) for failure in report.failures] == [
        (5, "document_parsing_exception")
    ]
    assert (report.indexed, report.failed, count) == (5, 1, 5)


async def test_documents_still_busy_after_the_last_retry_are_failures_of_their_own_lines(alias):
    lines = [orjson.dumps({"_id": f"d{n}"}) for n in range(1, 9)]

    report, _ = await load(alias, lines, 3)  # the count says nothing: "busy" documents were indexed

    # Busy three times with two retries: lines 2, 4, 6, 8, then 4 and 8 (odd positions of the retry), then 8.
    assert Busy.sent == [8, 4, 2]
    assert [(failure.line, failure.reason) for failure in report.failures] == [(8, f"{BUSY['type']}: {BUSY['reason']}")]
    assert (report.indexed, report.failed) == (7, 1)
