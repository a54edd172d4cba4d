"""Liveness, readiness and the OpenAPI document."""

import asyncio
import threading

from asgiref.sync import sync_to_async


async def test_health_is_ok_even_when_elasticsearch_is_down(api, configure_service):
    configure_service(elasticsearch_hosts="http://127.0.0.1:1")

    response = await api.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_health_answers_while_the_thread_for_sync_code_is_busy(api):
    # The database's work runs in asgiref's one thread for sync code; a stalled disk or a long report holds it.
    # Here it is held until /health has answered: a probe that needed the thread could only answer after the
    # stall's safety bound, with the stall over.
    loop = asyncio.get_running_loop()
    holding, released = asyncio.Event(), threading.Event()

    def stalled_database() -> None:
        loop.call_soon_threadsafe(holding.set)
        released.wait(timeout=30)

    stall = asyncio.create_task(sync_to_async(stalled_database, thread_sensitive=True)())
    await holding.wait()

    response = await api.get("/health")

    assert response.status_code == 200
    assert not stall.done()  # answered while the thread was still held
    released.set()
    await stall


async def test_ready_when_elasticsearch_answers(api):
    response = await api.get("/ready")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["cluster_status"] in {"green", "yellow"}


async def test_not_ready_when_elasticsearch_is_unreachable(api, configure_service):
    configure_service(elasticsearch_hosts="http://127.0.0.1:1", elasticsearch_max_retries=0)

    response = await api.get("/ready")

    assert response.status_code == 503
    assert response.json()["error"] == "elasticsearch_unavailable"
    assert "Retry-After" in response.headers


async def test_not_ready_when_the_index_is_missing(api, configure_service):
    configure_service(elasticsearch_index="no-such-index")

    response = await api.get("/ready")

    assert response.status_code == 503
    assert response.json()["error"] == "index_unavailable"
    assert "Retry-After" in response.headers


async def test_openapi_documents_search_and_its_errors(api):
    response = await api.get("/openapi.json")

    assert response.status_code == 200
    operation = response.json()["paths"]["/search"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {
        "q",
        "mode",
        "typos",
        "prefix",
        "filter",
        "stats",
        "facets",
        "facet_size",
        "sort",
        "rank",
        "size",
        "page",
        "cursor",
    }
    # Repeatable parameters are arrays, so that generated clients send `filter=a&filter=b`.
    assert parameters["filter"]["schema"]["type"] == "array"
    assert {"200", "400", "422", "503", "504"} <= set(operation["responses"])


async def test_docs_page_is_served(api):
    response = await api.get("/docs")

    assert response.status_code == 200
    assert "openapi.json" in response.text


async def test_unknown_host_header_is_refused(api):
    response = await api.get("/search", params={"q": "json"}, headers={"Host": "evil.example"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_host"


async def test_configured_host_header_is_served(api, settings):
    settings.ALLOWED_HOSTS = ["search.example"]

    response = await api.get("/search", params={"q": "json"}, headers={"Host": "search.example"})

    assert response.status_code == 200


async def test_probes_answer_whatever_the_host_header(api):
    # Docker's HEALTHCHECK and orchestrators probe by IP address.
    for path in ("/health", "/ready"):
        response = await api.get(path, headers={"Host": "10.1.2.3:8000"})
        assert response.status_code == 200, path
