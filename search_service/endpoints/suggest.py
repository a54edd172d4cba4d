"""GET /suggest: type-ahead completions of a prefix from SEARCH_SUGGEST_FIELD, cheap enough for every keystroke."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from search_service.admission import LOOKUP, admit
from search_service.elastic import get_client
from search_service.errors import error_response
from search_service.keys.auth import SEARCH_AUTH, caller_identity
from search_service.mapping.loaded import index_fields
from search_service.outcome import note_outcome, note_queue_wait
from search_service.parameters import known_parameters, refuse_unknown_parameters
from search_service.query.filters import within_tenant
from search_service.query.suggest import build_suggest_body, suggest_response
from search_service.renderers import render_json
from search_service.schemas import ERRORS, ErrorResponse, SuggestParams, SuggestResponse
from search_service.tenants.scope import check_page_size, tenant_filters

router = Router(tags=["suggest"], auth=SEARCH_AUTH)
SUGGEST_PARAMETERS = known_parameters(SuggestParams)


@router.get(
    "/suggest",
    response={200: SuggestResponse, 404: ErrorResponse, **ERRORS},
    summary="Complete a prefix (type-ahead)",
)
async def suggest(request: HttpRequest, params: Query[SuggestParams]) -> HttpResponse:
    refuse_unknown_parameters(request.GET, SUGGEST_PARAMETERS)
    config = settings.SEARCH
    field = config.search_suggest_field
    if not field:
        return error_response(404, "suggest_disabled", "Suggestions are turned off (SEARCH_SUGGEST_FIELD is empty)")
    client = get_client()
    fields = await index_fields(client, config)  # 503 when the settings do not fit the index
    check_page_size(request, params.size)
    body = build_suggest_body(
        prefix=params.prefix,
        field=field,
        size=params.size,
        rank_field=config.search_rank_field,
        rank_cast=fields.sort_casts.get(config.search_rank_field.removeprefix("-")),
        timeout_seconds=config.search_timeout,
    )
    body["query"] = within_tenant(body["query"], tenant_filters(request, config, fields))
    async with admit(config, caller_identity(request), LOOKUP) as turn:
        note_queue_wait(request, turn.waited)
        result = await client.search(index=config.elasticsearch_index, body=body)
    answer = suggest_response(result.body, prefix=params.prefix, field=field, size=params.size)
    note_outcome(request, total_hits=len(answer["suggestions"]), took_ms=answer["took_ms"])
    return render_json(answer)
