"""scripts/serve against a user's own index: a field setting that does not fit the mapping stops it with one line
naming the variable, the field and the types; settings that fit serve; an index that is not there yet is waited for."""

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from elasticsearch import Elasticsearch

from search_service.elastic import client_options
from tests.conftest import REPO, free_port, serve_environment, service_settings
from tests.products import PRODUCT_ENVIRONMENT, PRODUCT_MAPPING, products
from tests.test_serve import wait_for

STARTUP_LIMIT = 60  # seconds: Django's import and one mapping read, on a loaded machine


def startup_environment(index: str, port: int, tmp_path: Path, **settings: str) -> dict[str, str]:
    return serve_environment(index, port, search_analytics="false", data_dir=str(tmp_path), **settings)


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        # Only the index set, as a new user does first: the demo's fields are searched.
        ({}, "still hold the demo's defaults, and this index lacks their fields"),
        (
            {"search_filter_fields": "brand,prise"},
            "SEARCH_FILTER_FIELDS: 'prise' is not a field of index '{index}'; did you mean 'price'?",
        ),
        ({"search_facet_fields": "brnd"}, "SEARCH_FACET_FIELDS: 'brnd' is not a field of index '{index}'"),
        ({"search_sort_fields": "pirce"}, "SEARCH_SORT_FIELDS: 'pirce' is not a field of index '{index}'"),
        ({"search_rank_field": "ratings"}, "SEARCH_RANK_FIELD: 'ratings' is not a field of index '{index}'"),
        ({"search_source_fields": "title,colour"}, "SEARCH_SOURCE_FIELDS: 'colour' is not a field of index"),
        ({"search_facet_fields": "title"}, "SEARCH_FACET_FIELDS: 'title' is mapped as text; it must be a keyword"),
        ({"search_sort_fields": "description"}, "SEARCH_SORT_FIELDS: 'description' is mapped as text; it must be"),
        ({"search_rank_field": "brand"}, "SEARCH_RANK_FIELD: 'brand' is mapped as keyword; it must be a numeric"),
    ],
)
def test_a_setting_that_does_not_fit_the_mapping_stops_serve_in_one_line(product_index, tmp_path, settings, line):
    configured = (PRODUCT_ENVIRONMENT | settings) if settings else {}
    env = startup_environment(product_index, free_port(), tmp_path, **configured)

    result = subprocess.run(
        [sys.executable, "scripts/serve"], cwd=REPO, env=env, capture_output=True, text=True, timeout=STARTUP_LIMIT
    )

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    problems = [text for text in result.stderr.splitlines() if text.startswith("scripts/serve: ")]
    assert len(problems) == 1, result.stderr
    assert line.format(index=product_index) in problems[0]
    if not settings:
        assert "manage.py inspect_index" in problems[0]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def test_an_index_that_appears_later_is_waited_for_then_checked(tmp_path, server, elasticsearch_url):
    index = f"later-{uuid.uuid4().hex}"
    port = free_port()
    env = startup_environment(index, port, tmp_path, **PRODUCT_ENVIRONMENT)
    server.append(subprocess.Popen([sys.executable, "scripts/serve"], cwd=REPO, env=env, text=True))
    base = f"http://127.0.0.1:{port}"

    before = wait_for(f"{base}/ready", timeout=STARTUP_LIMIT)
    with Elasticsearch(**client_options(service_settings())) as client:
        client.indices.create(index=index, mappings=PRODUCT_MAPPING, settings={"number_of_replicas": 0})
        try:
            for document in products(20):
                client.index(index=index, id=document.pop("_id"), document=document)
            client.indices.refresh(index=index)
            after = httpx.get(f"{base}/ready", timeout=10)
            found = httpx.get(f"{base}/search", params={"q": "kettle", "stats": "price"}, timeout=10)
        finally:
            client.indices.delete(index=index)

    assert before.status_code == 503
    assert before.json() == {
        "error": "index_unavailable",
        "detail": "The index ELASTICSEARCH_INDEX names does not exist yet",
    }
    assert after.status_code == 200, after.text
    assert found.status_code == 200, found.text
    assert found.json()["total"]["value"] > 0
    assert found.json()["stats"]["price"]["count"] > 0
