"""The search page at `/`: a template whose script (static/search_service/page.js) calls the JSON API.

It is the API's first client: the page gets nothing from the server that another client could not, except
the settings a client would otherwise have to guess (which fields facet, filter and sort).
"""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from search_service.query.body import MAX_RESULT_WINDOW

PAGE_SIZE = 10
# The page loads only its own files and talks only to this service. Inline scripts and styles are refused,
# so even text that slipped past the page's own escaping could not run.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def sort_options(fields: list[str]) -> list[tuple[str, str]]:
    """(value of `sort`, label) for the page's sort menu: relevance, then each field both ways."""
    options = [("", "Relevance")]
    for field in fields:
        label = field.removesuffix(".raw")  # the keyword twin of a text field sorts it; its name is an accident
        options += [(field, f"{label}, ascending"), (f"-{field}", f"{label}, descending")]
    return options


def page_config() -> dict[str, Any]:
    """What page.js reads at start-up (json_script): where the API is and what it allows."""
    config = settings.SEARCH
    return {
        "searchUrl": reverse("search:search"),
        "documentUrl": reverse("search:document", args=["ID"]).removesuffix("ID"),
        "facets": config.search_facet_fields,
        "filters": config.search_filter_fields,
        "pageSize": min(PAGE_SIZE, config.search_max_size),
        "maxResultWindow": MAX_RESULT_WINDOW,
    }


@require_safe
async def search_page(request: HttpRequest) -> HttpResponse:
    if not settings.SEARCH.search_page:
        raise Http404("SEARCH_PAGE is off")
    context = {"config": page_config(), "sort_options": sort_options(settings.SEARCH.search_sort_fields)}
    response = render(request, "search_service/page.html", context)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "same-origin"  # a query in the URL is the user's business
    return response
