"""Fixtures: a real Elasticsearch node (started once per run if none answers) and a fresh index per run."""

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from config.asgi import application
from search_service.database_health import DATABASE_HEALTH
from search_service.demo import DEMO_MAPPING
from search_service.elastic import client_options, close_client
from search_service.mapping.check import FIELD_SETTINGS, check_mapping
from search_service.mapping.fields import index_fields_from_mapping
from search_service.mapping.loaded import forget_index_fields
from search_service.settings import ServiceSettings
from tests.products import PRODUCT_MAPPING, products

REPO = Path(__file__).resolve().parent.parent
ES_SCRIPT = REPO / "scripts" / "elasticsearch"
ES_URL = f"http://127.0.0.1:{os.environ.get('ES_PORT', '9200')}"
ES_PASSWORD = os.environ.get("ELASTIC_PASSWORD", "changeme")
REDIS_SCRIPT = REPO / "scripts" / "redis"
REDIS_PORT = int(os.environ.get("REDIS_PORT", "6380"))

FIXTURE_DOCUMENTS: list[dict[str, Any]] = [
    {
        "_id": "json.dumps",
        "module": "json",
        "name": "dumps",
        "qualname": "json.dumps",
        "kind": "function",
        "summary": "Serialize obj to a JSON formatted str.",
        "docstring": "Serialize obj to a JSON formatted str.",
    },
    {
        "_id": "json.loads",
        "module": "json",
        "name": "loads",
        "qualname": "json.loads",
        "kind": "function",
        "summary": "Deserialize s to a Python object.",
        "docstring": "Deserialize s (a str instance containing a JSON document) to a Python object.",
    },
    {
        "_id": "pickle.dumps",
        "module": "pickle",
        "name": "dumps",
        "qualname": "pickle.dumps",
        "kind": "function",
        "summary": "Return the pickled representation of the object.",
        "docstring": "Return the pickled representation of the object as a bytes object.",
    },
    {
        "_id": "csv.reader",
        "module": "csv",
        "name": "reader",
        "qualname": "csv.reader",
        "kind": "function",
        "summary": "Return a reader object.",
        "docstring": "Return a reader object which will iterate over lines in the given csvfile.",
    },
    {
        "_id": "csv.DictReader",
        "module": "csv",
        "name": "DictReader",
        "qualname": "csv.DictReader",
        "kind": "class",
        "summary": "Read rows as dictionaries.",
        "docstring": "Create an object that maps the information in each row to a dict whose keys are fieldnames.",
    },
] + [
    {
        "_id": f"paging.entry{n:02d}",
        "module": "paging",
        "name": f"entry{n:02d}",
        "qualname": f"paging.entry{n:02d}",
        "kind": "function",
        "summary": "A paginated entry.",
        "docstring": f"Paginated entry number {n}.",
    }
    for n in range(25)
]
SEARCH_FIELDS = ["qualname^3", "name^3", "summary^2", "docstring"]
UPSTREAM_DELAY = 2.0  # what slow_elasticsearch adds to every answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def elasticsearch_url() -> Iterator[str]:
    """The test node's URL. Started by the project's script if nothing answers; stopped again if we started it."""
    already_running = subprocess.run([ES_SCRIPT, "status"], capture_output=True).returncode == 0
    if not already_running:
        subprocess.run([ES_SCRIPT, "start"], check=True)
    yield ES_URL
    if not already_running:
        subprocess.run([ES_SCRIPT, "stop"], check=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis for the fleet-wide rate limits (scripts/redis), reused if one answers; stopped again if we started it."""
    already_running = subprocess.run([REDIS_SCRIPT, "status"], capture_output=True).returncode == 0
    if not already_running:
        subprocess.run([REDIS_SCRIPT, "start"], check=True)
    yield f"redis://127.0.0.1:{REDIS_PORT}/0"
    if not already_running:
        subprocess.run([REDIS_SCRIPT, "stop"], check=True)


def serve_environment(index: str, port: int, **settings: str) -> dict[str, str]:
    """The environment `scripts/serve` (the image's CMD) runs with to search `index` on the test node from a loopback
    port; `settings` are more variables, by field name or variable name."""
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "ELASTICSEARCH_HOSTS": ES_URL,
        "ELASTICSEARCH_USERNAME": "elastic",
        "ELASTICSEARCH_PASSWORD": ES_PASSWORD,
        "ELASTICSEARCH_INDEX": index,
    } | {name.upper(): value for name, value in settings.items()}


def service_settings(**overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "elasticsearch_hosts": ES_URL,
        "elasticsearch_username": "elastic",
        "elasticsearch_password": ES_PASSWORD,
        "search_fields": ",".join(SEARCH_FIELDS),
        # Every test calls from 127.0.0.1; the rate-limit tests set their own.
        "search_rate_limit": "",
        "search_expensive_rate_limit": "",
        "search_refusal_delay": 0,
        # Recording needs the database, which only the analytics tests give (tests/analytics/).
        "search_analytics": False,
    }
    if "elasticsearch_request_timeout" in overrides and "search_timeout" not in overrides:
        # SEARCH_TIMEOUT must stay below the request timeout; tests that shorten one shorten both.
        overrides["search_timeout"] = float(overrides["elasticsearch_request_timeout"]) / 2
    return ServiceSettings(**(values | overrides))


@contextmanager
def temporary_index(prefix: str, mappings: dict[str, Any], documents: list[dict[str, Any]]) -> Iterator[str]:
    """A fresh index with a random name holding `documents` (each with its `_id`), deleted afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex}"
    with Elasticsearch(**client_options(service_settings())) as client:
        client.indices.create(index=name, mappings=mappings, settings={"number_of_replicas": 0})
        helpers.bulk(client, documents, index=name, chunk_size=2_000)
        client.indices.refresh(index=name)
        try:
            yield name
        finally:
            client.indices.delete(index=name)


@pytest.fixture(scope="session")
def fixture_index(elasticsearch_url: str) -> Iterator[str]:
    """A fresh index holding FIXTURE_DOCUMENTS for the whole run."""
    with temporary_index("test", DEMO_MAPPING, FIXTURE_DOCUMENTS) as name:
        yield name


# Enough products for facets, stats and several pages; small enough to load in well under a second.
PRODUCT_COUNT = 300


@pytest.fixture(scope="session")
def product_index(elasticsearch_url: str) -> Iterator[str]:
    """A fresh index of tests/products.py's catalogue, whose mapping is nothing like the demo's, for the whole run."""
    with temporary_index("products", PRODUCT_MAPPING, list(products(PRODUCT_COUNT))) as name:
        yield name


def fit_defaults_to_index(overrides: dict[str, Any]) -> dict[str, Any]:
    """`overrides` plus, for each field setting a test leaves at its default (the demo's fields) that does not fit the
    mapping of the index the test points at, a value that does: off, or for the searched fields every field. The
    service refuses settings that do not fit (mapping/check.py); a test of one feature should not have to list
    them all. A missing index, or one that Elasticsearch cannot show, is left alone: the service says so itself."""
    config = service_settings(**overrides)
    try:
        with Elasticsearch(**client_options(config)) as client:
            answer = client.indices.get_mapping(index=config.elasticsearch_index).body
    except (ApiError, TransportError):
        return overrides
    fields = index_fields_from_mapping(config.elasticsearch_index, answer)
    fitted: dict[str, Any] = {}
    for variable, attribute, _role in FIELD_SETTINGS:
        if attribute in overrides or attribute == "search_source_fields":
            continue
        if any(line.startswith(variable + ":") or variable in line for line in check_mapping(config, fields).errors):
            fitted[attribute] = "*" if attribute == "search_fields" else ""
    if "search_query_fields" in fitted:
        searched = str(overrides.get("search_fields", fitted.get("search_fields", "*")))
        fitted["search_query_fields"] = ",".join(field.partition("^")[0] for field in searched.split(","))
    return overrides | fitted


@pytest.fixture(autouse=True)
def database_health_as_at_start() -> Iterator[None]:
    """What a worker has learnt of its database is process-wide; a test that stalls it must not leave the next one
    a database known to be unavailable."""
    yield
    DATABASE_HEALTH.failing_since = None
    DATABASE_HEALTH.failures.clear()


@pytest.fixture
def configure_service(settings: Any, fixture_index: str) -> Any:
    """Point the service at the test node and index; call it with overrides to point it elsewhere."""

    def configure(**overrides: Any) -> None:
        overrides = {"elasticsearch_index": fixture_index} | overrides
        if overrides["elasticsearch_index"] != fixture_index:
            overrides = fit_defaults_to_index(overrides)
        settings.SEARCH = service_settings(**overrides)

    configure()
    return configure


@pytest.fixture
async def api(configure_service: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the ASGI application, as uvicorn serves it."""
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client
    # Each test runs in its own event loop; the client is bound to it, so it goes with it.
    await close_client()
    forget_index_fields()


@pytest.fixture
def slow_elasticsearch(elasticsearch_url: str) -> Iterator[str]:
    """The test node behind scripts/latency_proxy.py, which adds UPSTREAM_DELAY to every answer."""
    port = free_port()
    upstream = ES_URL.removeprefix("http://")
    proxy = subprocess.Popen(
        [
            sys.executable,
            REPO / "scripts" / "latency_proxy.py",
            "--listen",
            f"127.0.0.1:{port}",
            "--upstream",
            upstream,
            "--delay",
            str(UPSTREAM_DELAY),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proxy.stdout
    assert proxy.stdout.readline().startswith("latency proxy")
    yield f"http://127.0.0.1:{port}"
    proxy.terminate()
    proxy.wait(timeout=10)
    proxy.stdout.close()
