"""The API object: one NinjaAPI with the error map installed and each endpoint module's router mounted."""

from ninja import NinjaAPI

from search_service.endpoints import analytics, documents, health, search, suggest
from search_service.errors import register_error_handlers
from search_service.renderers import OrjsonRenderer

api = NinjaAPI(
    title="Search service",
    version="0.1.0",
    description="Full-text search over an Elasticsearch index.",
    urls_namespace="search",
    renderer=OrjsonRenderer(),
)
register_error_handlers(api)
for router in (search.router, suggest.router, documents.router, health.router, analytics.router):
    api.add_router("", router)
