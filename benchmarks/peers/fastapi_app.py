"""Peer: the same endpoint as a minimal FastAPI + AsyncElasticsearch app, as a user would write it.

It builds the same request body and response shape with the service's own pure functions, and gets the
same speed-ups the service has (orjson both ways, the same connection pool), so the comparison is of
the frameworks, not of the work done.

    uvicorn benchmarks.peers.fastapi_app:app
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from elasticsearch import AsyncElasticsearch
from elasticsearch.serializer import OrjsonSerializer
from fastapi import FastAPI, Query
from fastapi.responses import ORJSONResponse

from search_service.query.body import MAX_QUERY_LENGTH, build_search_body
from search_service.query.response import search_response

INDEX = os.environ.get("ELASTICSEARCH_INDEX", "documents")
FIELDS = os.environ.get("SEARCH_FIELDS", "qualname^3,name^3,summary^2,signature,docstring").split(",")
clients: dict[str, AsyncElasticsearch] = {}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    clients["es"] = AsyncElasticsearch(
        os.environ.get("ELASTICSEARCH_HOSTS", "http://localhost:9200").split(","),
        basic_auth=(os.environ["ELASTICSEARCH_USERNAME"], os.environ["ELASTICSEARCH_PASSWORD"]),
        connections_per_node=int(os.environ.get("ELASTICSEARCH_CONNECTIONS_PER_NODE", "128")),
        request_timeout=float(os.environ.get("ELASTICSEARCH_REQUEST_TIMEOUT", "5")),
        serializer=OrjsonSerializer(),
    )
    yield
    await clients.pop("es").close()


app = FastAPI(lifespan=lifespan)


@app.get("/search", response_class=ORJSONResponse)
async def search(
    q: str = Query(min_length=1, max_length=MAX_QUERY_LENGTH),
    page: int = Query(1, ge=1),
    size: int = Query(10, ge=1, le=100),
) -> ORJSONResponse:
    body = build_search_body(query=q, page=page, size=size, fields=FIELDS)
    result = await clients["es"].search(index=INDEX, body=body)
    return ORJSONResponse(search_response(result.body, query=q, page=page, size=size))
