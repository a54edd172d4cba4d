"""HTTP request and response shapes, a module per endpoint; these are also what the OpenAPI document shows."""

from search_service.schemas.common import ERRORS, ErrorResponse
from search_service.schemas.documents import DocumentPath, DocumentResponse
from search_service.schemas.probes import HealthResponse, ReadyResponse
from search_service.schemas.search import Hit, SearchParams, SearchResponse, Shards, Total
from search_service.schemas.suggest import Suggestion, SuggestParams, SuggestResponse

__all__ = [
    "ERRORS",
    "DocumentPath",
    "DocumentResponse",
    "ErrorResponse",
    "HealthResponse",
    "Hit",
    "ReadyResponse",
    "SearchParams",
    "SearchResponse",
    "Shards",
    "SuggestParams",
    "SuggestResponse",
    "Suggestion",
    "Total",
]
