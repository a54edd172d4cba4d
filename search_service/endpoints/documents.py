"""GET /documents/{id}: one document, with the same `_source` fields a search hit shows."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Path, Router

from search_service.admission import LOOKUP, admit
from search_service.elastic import get_client
from search_service.errors import error_response
from search_service.keys.auth import SEARCH_AUTH, caller_identity
from search_service.mapping.loaded import index_fields
from search_service.outcome import note_outcome, note_queue_wait
from search_service.parameters import known_parameters, refuse_unknown_parameters
from search_service.query.document import build_document_body, document_response
from search_service.query.filters import within_tenant
from search_service.renderers import render_json
from search_service.schemas import ERRORS, DocumentPath, DocumentResponse, ErrorResponse
from search_service.tenants.scope import tenant_filters

router = Router(tags=["documents"], auth=SEARCH_AUTH)
NO_PARAMETERS = known_parameters()


# `path:` so that an id may hold slashes; the id is bounded by DocumentPath (422 past Elasticsearch's limit).
@router.get(
    "/documents/{path:doc_id}",
    response={200: DocumentResponse, 404: ErrorResponse, **ERRORS},
    summary="One document by id",
)
async def document(request: HttpRequest, params: Path[DocumentPath]) -> HttpResponse:
    refuse_unknown_parameters(request.GET, NO_PARAMETERS)
    config = settings.SEARCH
    client = get_client()
    fields = await index_fields(client, config)  # 503 when the settings do not fit the index
    body = build_document_body(
        doc_id=params.doc_id, source_fields=config.search_source_fields, timeout_seconds=config.search_timeout
    )
    # Under a tenant token, another tenant's document is not found: the same 404 as an id that does not exist.
    body["query"] = within_tenant(body["query"], tenant_filters(request, config, fields))
    async with admit(config, caller_identity(request), LOOKUP) as turn:
        note_queue_wait(request, turn.waited)
        result = await client.search(index=config.elasticsearch_index, body=body)
    found = document_response(result.body)
    took = result.body.get("took")
    note_outcome(request, total_hits=0 if found is None else 1, took_ms=took if isinstance(took, int) else None)
    if found is None:
        return error_response(404, "document_not_found", "No document in the index has this id")
    return render_json(found)
