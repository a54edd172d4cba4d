"""HTTP request and response shapes, a module per endpoint; these are also what the OpenAPI document shows."""

from search_service.schemas.common import ERRORS, ErrorResponse
from search_service.schemas.probes import HealthResponse, ReadyResponse
from search_service.schemas.search import Hit, SearchParams, SearchResponse, Shards, Total

__all__ = [
    "ERRORS",
    "ErrorResponse",
    "HealthResponse",
    "Hit",
    "ReadyResponse",
    "SearchParams",
    "SearchResponse",
    "Shards",
    "Total",
]
