"""Probes: /health (liveness, no I/O) and /ready (Elasticsearch answers and the index is there; and what the worker
knows of its database, without asking it)."""

import logging
from typing import Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router

from search_service.analytics.recorder import recorder_for
from search_service.database_health import DATABASE_HEALTH
from search_service.elastic import get_client, server_version
from search_service.errors import configuration_mismatch, error_response
from search_service.faults import ElasticsearchAnswerMalformed
from search_service.keys.auth import READY_AUTH
from search_service.mapping.loaded import FieldSettingsMismatch, IndexMissing, index_fields
from search_service.schemas import ErrorResponse, HealthResponse, ReadyResponse
from search_service.settings import ServiceSettings

router = Router(tags=["probes"])
logger = logging.getLogger(__name__)

# Every status /ready answers besides 200 (errors.py: 401 a wrong key, or none when READY_REQUIRES_API_KEY; 502
# credentials refused or a bad answer, 503 unreachable, index missing or red, 504 timed out, 500 a bug), so that
# probes and clients generated from the schema know them.
READY_ERRORS = {code: ErrorResponse for code in (401, 500, 502, 503, 504)}


@router.get("/health", response=HealthResponse, summary="Liveness: the process serves requests")
async def health(request: HttpRequest) -> HealthResponse:
    # I/O-free, so that a liveness probe cannot fail because Elasticsearch or the database is down or slow (the
    # orchestrator would restart healthy workers in a loop); and async, because a sync view runs in the one thread
    # asgiref keeps for sync code, which the database work shares: a stalled disk or a 4-s analytics report held
    # /health for as long (issue 20).
    return HealthResponse(status="ok")


@router.get(
    "/ready",
    response={200: ReadyResponse, **READY_ERRORS},
    summary="Readiness: Elasticsearch answers and the index exists",
    exclude_none=True,
    auth=READY_AUTH,
)
async def ready(request: HttpRequest) -> ReadyResponse | HttpResponse:
    index = settings.SEARCH.elasticsearch_index
    client = get_client()
    # Asked first of all: a GET, so a server that refuses the client's version says why (a HEAD's 400 has no body).
    version = await server_version(client)
    # Asked before health because cluster health for a missing index waits out its whole timeout. The mapping is read
    # afresh: an alias moved to a new index (manage.py index) is checked against the settings here.
    try:
        await index_fields(client, settings.SEARCH, fresh=True)
    except IndexMissing:
        logger.warning("Not ready: index %s does not exist", index)
        return error_response(503, "index_unavailable", "The index ELASTICSEARCH_INDEX names does not exist yet")
    except FieldSettingsMismatch:
        return configuration_mismatch()
    # Cluster health rather than `GET /`: the root info API is a module some distributions lack.
    health = (await client.cluster.health(index=index)).body
    status = health.get("status") if isinstance(health, dict) else None
    if status not in ("green", "yellow", "red"):
        raise ElasticsearchAnswerMalformed(f"cluster health without a status: {str(health)[:200]}")
    if status == "red":
        logger.warning("Not ready: index %s has unassigned primary shards", index)
        return error_response(503, "cluster_red", "The search index has unassigned primary shards")
    return ReadyResponse(
        status="ready",
        cluster_status=status,
        elasticsearch_version=version,
        database=database_state(settings.SEARCH),
        analytics=analytics_state(settings.SEARCH),
    )


def database_state(config: ServiceSettings) -> Literal["available", "unavailable", "unused"]:
    if not (config.search_analytics or config.search_require_api_key or config.analytics_token is not None):
        return "unused"
    return "available" if DATABASE_HEALTH.available else "unavailable"


def analytics_state(config: ServiceSettings) -> Literal["on", "off", "dropping"]:
    if not config.search_analytics:
        return "off"
    return "on" if recorder_for(config).unusable is None else "dropping"
