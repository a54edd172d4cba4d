"""Cache hits answered before Django: the ASGI handler (asgi.py) serves a repeat of an anonymous `GET /search` from
the answer cache without building a request, running the middleware or resolving a URL, which cost several times
what the hit itself costs.

A request is a repeat when its query string, Host and Origin are those of a request that the whole stack answered
from the cache: the response it sent then, headers and all, is the template, so what the middleware decided
(allowed host, CORS, security headers) is what it decided for the same request. What the middleware does per request
is done here too, by the same functions: the rate limit, the access line, the metrics, the analytics row (flagged
cached). Anything else goes the whole way: a credential, another method or path, a generation not read within
the last second, an answer expired or evicted.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.http import HttpResponseBase, QueryDict

from search_service.access_log import MAX_QUERY_TEXT, request_id, write_line
from search_service.admission import Refused, admission_for, client_key
from search_service.analytics.record import search_row
from search_service.analytics.recorder import recorder_for
from search_service.answer_cache import answer_cache_for
from search_service.answer_cache.entry import Entry, cache_control, matches_etag
from search_service.answer_cache.replay_book import ANSWERED_FROM, REPLAY_PATH, Replay, Request, RequestRow
from search_service.elastic import get_client
from search_service.metrics.series import observe_request, recorder_publisher
from search_service.outcome import SearchOutcome
from search_service.settings import ServiceSettings

# A request carrying any of these goes the whole way: its key is checked and counted there.
CREDENTIALS = frozenset({b"authorization", b"x-api-key", b"x-algolia-api-key"})
# What the template leaves out: made per response.
PER_RESPONSE = frozenset({"content-length", "etag", "cache-control", "x-request-id", "date"})


@dataclass(frozen=True, slots=True)
class Head:
    request: Request
    if_none_match: str | None
    request_id: str | None


def read_head(scope: dict[str, Any]) -> Head | None:
    """What a replay depends on, from one pass over the headers; None when the request may not be replayed."""
    if scope.get("method") != "GET" or scope.get("path") != REPLAY_PATH:
        return None
    host = origin = if_none_match = sent_id = None
    for name, value in scope["headers"]:
        if name in CREDENTIALS:
            return None
        if name == b"host":
            host = value
        elif name == b"origin":
            origin = value
        elif name == b"if-none-match":
            if_none_match = value.decode("latin-1")
        elif name == b"x-request-id":
            sent_id = value.decode("latin-1")
    return Head((scope.get("query_string", b""), host, origin), if_none_match, sent_id)


def remember(config: ServiceSettings, scope: dict[str, Any], response: HttpResponseBase) -> None:
    """After the whole stack answered a request from the cache: how to answer the same request again."""
    answered_from = scope.get(ANSWERED_FROM)
    if answered_from is None or response.status_code != 200:
        return
    head = read_head(scope)
    if head is None:
        return
    key, generation = answered_from
    headers = tuple(
        (name.lower().encode("latin-1"), str(value).encode("latin-1"))
        for name, value in response.items()
        if name.lower() not in PER_RESPONSE
    )
    # What the analytics row and the access line take from the query string, read once here, not per answer.
    parameters = QueryDict(head.request[0])
    row = None
    if config.search_analytics:
        full = search_row(
            parameters,
            status=200,
            outcome=SearchOutcome(0, None, cached=True),
            latency_ms=0.0,
            timestamp=datetime.now(UTC),
            keep_query_text=config.search_analytics_query_text,
        )
        row = RequestRow(full["query"], full["mode"], full["filters"], full["page"])
    query = parameters.get("q") if config.search_access_log_query_text else None
    answer_cache_for(config).replays.put(
        head.request,
        key=key,
        generation=generation,
        headers=headers,
        row=row,
        query_text=None if query is None else query[:MAX_QUERY_TEXT],
    )


async def replay(config: ServiceSettings, scope: dict[str, Any], send: Any) -> bool:
    """Answer a repeat from the cache; False (nothing sent, nothing counted) when it is not one."""
    cache = answer_cache_for(config)
    if not cache.enabled:
        return False
    head = read_head(scope)
    if head is None:
        return False
    found = cache.replays.get(head.request)
    if found is None or found.generation != cache.generation.fresh():
        return False
    entry = cache.store.get(found.key)
    if entry is None:
        return False
    began = time.perf_counter()
    client = scope.get("client")
    address = client[0] if client else None
    try:
        await admission_for(config).requests.hit(client_key(address))
    except Refused:
        return False  # the whole way, which refuses it in its words (a refused request is not counted twice)
    cache.count_hit()
    cache.generation.read_when_due(get_client(), config.elasticsearch_index)

    not_modified = matches_etag(head.if_none_match, entry.etag)
    status = 304 if not_modified else 200
    headers = [
        *(header for header in found.headers if not (not_modified and header[0] == b"content-type")),
        (b"etag", entry.etag.encode()),
        (b"cache-control", cache_control(entry.max_age(time.time()), private=False).encode()),
    ]
    if not not_modified:
        headers.append((b"content-length", b"%d" % len(entry.body)))
    the_id = request_id(head.request_id)
    if config.search_access_log:
        headers.append((b"x-request-id", the_id.encode()))
    # Written before the answer is sent, as the middleware writes them: a client that has its answer finds its line.
    _account(config, found, entry, status=status, the_id=the_id, address=address, duration=time.perf_counter() - began)
    with contextlib.suppress(asyncio.CancelledError):  # the client left while we were sending
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if not_modified else entry.body})
    return True


def _account(
    config: ServiceSettings,
    found: Replay,
    entry: Entry,
    *,
    status: int,
    the_id: str,
    address: str | None,
    duration: float,
) -> None:
    """What the middleware would have written for this answer: the access line, the metric, the analytics row."""
    if config.search_access_log:
        fields: dict[str, Any] = {
            "request_id": the_id,
            "method": "GET",
            "path": REPLAY_PATH,
            "status": status,
            "duration_ms": round(duration * 1000, 3),
            "es_took_ms": entry.took_ms,
            "hits": entry.total_hits,
            "cached": True,
            "queue_ms": None,
            "api_key_prefix": None,
            "tenant": None,
            "client": address,
        }
        if config.search_access_log_query_text:
            fields["query"] = found.query_text
        write_line(fields)
    if config.search_metrics:
        observe_request(REPLAY_PATH, status, duration)
    if config.search_analytics and found.row is not None:
        recorder = recorder_for(config)
        asked = found.row
        # search_row's fields: the request's from the replay, the answer's from the entry.
        recorder.record(
            {
                "timestamp": datetime.now(UTC),
                "query": asked.query,
                "mode": asked.mode,
                "filters": asked.filters,
                "page": asked.page,
                "status": status,
                "total_hits": entry.total_hits,
                "zero_results": entry.total_hits == 0,
                "latency_ms": round(duration * 1000, 3),
                "elasticsearch_took_ms": entry.took_ms,
                "api_key_prefix": "",
                "api": "search",
                "cached": True,
            }
        )
        if config.search_metrics and recorder_publisher.due():
            recorder_publisher.publish(recorder.stats())
