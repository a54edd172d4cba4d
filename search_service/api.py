"""HTTP routes. Thin: parse input, await Elasticsearch, shape the answer; errors are handled in errors.py."""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query

from search_service.admission import Refused, admission_for, client_key, delay_refusal, is_expensive
from search_service.elastic import get_client, server_version
from search_service.errors import error_response, register_error_handlers
from search_service.faults import ElasticsearchAnswerMalformed
from search_service.query.body import build_search_body
from search_service.query.policy import check_query, policy_from_settings
from search_service.query.response import search_response
from search_service.renderers import OrjsonRenderer, render_json
from search_service.schemas import ErrorResponse, HealthResponse, ReadyResponse, SearchParams, SearchResponse

api = NinjaAPI(
    title="Search service",
    version="0.1.0",
    description="Full-text search over an Elasticsearch index.",
    urls_namespace="search",
    renderer=OrjsonRenderer(),
)
register_error_handlers(api)
logger = logging.getLogger(__name__)

ERRORS = {code: ErrorResponse for code in (400, 422, 429, 500, 502, 503, 504)}
# Every status /ready answers besides 200 (errors.py: 502 credentials refused or a bad answer, 503 unreachable,
# index missing or red, 504 timed out, 500 a bug), so that probes and clients generated from the schema know them.
READY_ERRORS = {code: ErrorResponse for code in (500, 502, 503, 504)}


@api.get("/search", response={200: SearchResponse, **ERRORS}, summary="Search the index")
async def search(request: HttpRequest, params: Query[SearchParams]) -> HttpResponse:
    config = settings.SEARCH
    # What Elasticsearch receives is the checked query re-written from its tree, never the caller's text.
    checked = check_query(params.q, policy_from_settings(config))
    body = build_search_body(
        query=checked.text,
        page=params.page,
        size=params.size,
        fields=config.search_fields,
        source_fields=config.search_source_fields,
        timeout_seconds=config.search_timeout,
        highlight_max_chars=config.search_highlight_max_chars,
        highlight_text=checked.highlight_text,
    )
    client = get_client()
    if is_expensive(checked.cost, page=params.page, size=params.size):
        admission = admission_for(config)
        try:
            admission.expensive_requests.hit(client_key(request.META.get("REMOTE_ADDR")))
            async with admission.lane.enter():
                result = await client.search(index=config.elasticsearch_index, body=body)
        except Refused as refused:
            await delay_refusal(refused, config.search_refusal_delay)
            raise
    else:
        result = await client.search(index=config.elasticsearch_index, body=body)
    # Rendered straight from Elasticsearch's answer: running every hit's source through the response
    # schema again cost more than the rest of the view. SearchResponse still documents the shape,
    # and the tests hold the two together.
    return render_json(search_response(result.body, query=params.q, page=params.page, size=params.size))


@api.get("/health", response=HealthResponse, summary="Liveness: the process serves requests")
def health(request: HttpRequest) -> HealthResponse:
    # Deliberately sync and I/O-free: a liveness probe must not fail because Elasticsearch is down,
    # or the orchestrator restarts healthy workers in a loop.
    return HealthResponse(status="ok")


@api.get(
    "/ready",
    response={200: ReadyResponse, **READY_ERRORS},
    summary="Readiness: Elasticsearch answers and the index exists",
    exclude_none=True,
)
async def ready(request: HttpRequest) -> ReadyResponse | HttpResponse:
    index = settings.SEARCH.elasticsearch_index
    client = get_client()
    # Asked first of all: a GET, so a server that refuses the client's version says why (a HEAD's 400 has no body).
    version = await server_version(client)
    # Asked before health because cluster health for a missing index waits out its whole timeout.
    if not await client.indices.exists(index=index):
        logger.warning("Not ready: index %s does not exist", index)
        return error_response(api, request, 503, "index_unavailable", "The search index does not exist yet")
    # Cluster health rather than `GET /`: the root info API is a module some distributions lack.
    health = (await client.cluster.health(index=index)).body
    status = health.get("status") if isinstance(health, dict) else None
    if status not in ("green", "yellow", "red"):
        raise ElasticsearchAnswerMalformed(f"cluster health without a status: {str(health)[:200]}")
    if status == "red":
        logger.warning("Not ready: index %s has unassigned primary shards", index)
        return error_response(api, request, 503, "cluster_red", "The search index has unassigned primary shards")
    return ReadyResponse(status="ready", cluster_status=status, elasticsearch_version=version)
