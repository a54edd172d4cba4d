"""GET /search: the checked query, the body built from it, one awaited Elasticsearch call, the shaped answer."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from search_service.admission import Refused, admission_for, client_key, delay_refusal, is_expensive
from search_service.elastic import get_client
from search_service.query.body import build_search_body
from search_service.query.policy import check_query, policy_from_settings
from search_service.query.response import search_response
from search_service.renderers import render_json
from search_service.schemas import ERRORS, SearchParams, SearchResponse

router = Router(tags=["search"])


@router.get("/search", response={200: SearchResponse, **ERRORS}, summary="Search the index")
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
