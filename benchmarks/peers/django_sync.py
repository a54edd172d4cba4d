"""Peer: the same endpoint as a plain sync Django view with the sync client, served by a WSGI server.

The way many teams write it first. Same request body and response shape as the service.

    gunicorn --workers 1 --threads 10 benchmarks.peers.django_sync:application
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, JsonResponse
from django.urls import path
from elasticsearch import Elasticsearch

from search_service.query.body import MAX_QUERY_LENGTH, build_search_body
from search_service.query.response import search_response

settings.configure(
    DEBUG=False,
    SECRET_KEY="benchmark-peer",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"],
)

INDEX = os.environ.get("ELASTICSEARCH_INDEX", "documents")
FIELDS = os.environ.get("SEARCH_FIELDS", "qualname^3,name^3,summary^2,signature,docstring").split(",")
es = Elasticsearch(
    os.environ.get("ELASTICSEARCH_HOSTS", "http://localhost:9200").split(","),
    basic_auth=(os.environ["ELASTICSEARCH_USERNAME"], os.environ["ELASTICSEARCH_PASSWORD"]),
    connections_per_node=int(os.environ.get("ELASTICSEARCH_CONNECTIONS_PER_NODE", "10")),
    request_timeout=float(os.environ.get("ELASTICSEARCH_REQUEST_TIMEOUT", "5")),
)


def search(request: HttpRequest) -> JsonResponse:
    q = request.GET.get("q", "").strip()
    try:
        page = int(request.GET.get("page", "1"))
        size = int(request.GET.get("size", "10"))
    except ValueError:
        return JsonResponse({"error": "invalid_parameter", "detail": "page and size must be integers"}, status=422)
    if not 0 < len(q) <= MAX_QUERY_LENGTH or page < 1 or not 0 < size <= 100:
        return JsonResponse({"error": "invalid_parameter", "detail": "bad q, page or size"}, status=422)
    body = build_search_body(query=q, page=page, size=size, fields=FIELDS)
    result = es.search(index=INDEX, body=body)
    return JsonResponse(search_response(result.body, query=q, page=page, size=size))


urlpatterns = [path("search", search)]
application = get_wsgi_application()
