"""Which Elasticsearch the client works with, and what the service says when the server refuses the client.

Run against whichever node ES_PORT points at: scripts/test runs them on 8.19 and again on 9.x. A client newer than
the server is reproduced by sending, on a real request to the real node, the header such a client sends.
"""

import logging
import os
import re
import subprocess
import sys
from importlib.metadata import version
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from elastic_transport import HttpHeaders
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import AsyncElasticsearch, BadRequestError, Elasticsearch

from search_service import elastic
from search_service.elastic import PooledAiohttpNode, client_options
from search_service.management.commands import load_demo
from tests.conftest import ES_PASSWORD, ES_URL, REPO, service_settings

CLIENT_MAJOR = int(version("elasticsearch").split(".")[0])
_COMPATIBLE_WITH = re.compile(r"compatible-with=\d+")


def node_version() -> str:
    with Elasticsearch(**client_options(service_settings())) as client:
        nodes = client.nodes.info(node_id="_local", filter_path="nodes.*.version")["nodes"]
    (found,) = (node["version"] for node in nodes.values())
    return str(found)


def newer_client_node(major: int, methods: tuple[str, ...] = ("GET", "POST", "HEAD", "PUT", "DELETE")) -> type:
    """A node class that sends what a client of `major` sends: `compatible-with=<major>` in Accept and
    Content-Type (per request: the API methods overwrite a client's default headers), for `methods` only."""

    class NewerClientNode(PooledAiohttpNode):
        async def perform_request(  # type: ignore[override]
            self,
            method: str,
            target: str,
            body: bytes | None = None,
            headers: HttpHeaders | None = None,
            request_timeout: DefaultType | float | None = DEFAULT,
        ) -> Any:
            if headers is not None and method in methods:
                headers = HttpHeaders(headers)
                for name in ("accept", "content-type"):
                    if name in headers:
                        headers[name] = _COMPATIBLE_WITH.sub(f"compatible-with={major}", headers[name])
            return await super().perform_request(method, target, body, headers, request_timeout)

    return NewerClientNode


@pytest.fixture
def server_major(elasticsearch_url) -> int:
    return int(node_version().split(".")[0])


@pytest.fixture
def newer_client(settings, api, server_major, monkeypatch):
    """Makes the service's client send a client's headers one major above the server's (9 against an 8.19 node)."""

    def install(methods: tuple[str, ...] = ("GET", "POST", "HEAD")) -> None:
        node_class = newer_client_node(server_major + 1, methods)
        monkeypatch.setattr(
            elastic, "_client", AsyncElasticsearch(**client_options(settings.SEARCH), node_class=node_class)
        )

    return install


def test_the_server_under_test_accepts_this_client(server_major):
    # A server takes requests from clients of its own major and of the major below (REST compatibility).
    assert server_major in (CLIENT_MAJOR, CLIENT_MAJOR + 1), (
        f"server {node_version()}, client {version('elasticsearch')}"
    )


async def test_ready_reports_the_server_version(api):
    response = await api.get("/ready")

    assert response.status_code == 200
    assert response.json()["elasticsearch_version"] == node_version()


async def test_a_client_newer_than_the_server_is_refused_by_elasticsearch_itself(server_major):
    node_class = newer_client_node(server_major + 1)
    async with AsyncElasticsearch(**client_options(service_settings()), node_class=node_class) as client:
        with pytest.raises(BadRequestError) as raised:
            await client.cluster.health()

    assert raised.value.body["error"]["type"] == "media_type_header_exception"


@pytest.mark.parametrize("path", ["/search?q=json", "/ready"])
async def test_a_client_newer_than_the_server_is_the_operators_502_not_the_users_400(api, newer_client, path, caplog):
    newer_client()

    response = await api.get(path)

    assert response.status_code == 502
    assert response.json()["error"] == "elasticsearch_incompatible"
    errors = [
        r.getMessage() for r in caplog.records if r.name == "search_service.errors" and r.levelno == logging.ERROR
    ]
    assert len(errors) == 1
    # The log line names the fix: the client's version, what the server accepts, and where the pin is.
    assert f"elasticsearch-py {version('elasticsearch')}" in errors[0]
    assert "Accept version must be either version" in errors[0]
    assert "pyproject.toml" in errors[0]


async def test_ready_sends_no_head_whose_refusal_would_have_no_body(api, newer_client):
    # /ready used to ask whether the index exists with a HEAD, whose 400 carries no reason to log. It now reads the
    # index's mapping with a GET (mapping/loaded.py): a newer client's HEADs alone cannot fail it.
    newer_client(methods=("HEAD",))

    response = await api.get("/ready")

    assert response.status_code == 200, response.text


def test_load_demo_refuses_a_newer_client_in_one_line(configure_service, server_major, monkeypatch):
    node_class = newer_client_node(server_major + 1)
    monkeypatch.setattr(load_demo, "client_options", lambda config: client_options(config) | {"node_class": node_class})

    with pytest.raises(CommandError) as raised:
        call_command("load_demo", index="never-created")

    assert str(raised.value).startswith("Elasticsearch refuses this client's version")
    assert f"{server_major + 1}" in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ELASTICSEARCH_HOSTS": "http://127.0.0.1:1", "ELASTICSEARCH_MAX_RETRIES": "0"}, "cannot reach Elasticsearch"),
        ({"ELASTICSEARCH_PASSWORD": "wrong-password"}, "Elasticsearch refused the credentials (401"),
    ],
)
def test_load_demo_fails_with_one_line_not_a_traceback(elasticsearch_url, variables, message):
    env = os.environ | {
        "ELASTICSEARCH_HOSTS": ES_URL,
        "ELASTICSEARCH_USERNAME": "elastic",
        "ELASTICSEARCH_PASSWORD": ES_PASSWORD,
        "ELASTICSEARCH_INDEX": "never-created",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "load_demo"],
        cwd=REPO,
        env=env | variables,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    # The client library may log a warning first; the command's own failure is its last line, and one line.
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"CommandError: {message}")
