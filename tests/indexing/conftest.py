"""Fixtures for the loader's tests on the real node: an alias name of their own, and everything made under it
deleted afterwards."""

import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from elasticsearch import Elasticsearch

from search_service.elastic import client_options
from tests.conftest import service_settings
from tests.products import PRODUCT_ENVIRONMENT, PRODUCT_MAPPING


@pytest.fixture
def es(elasticsearch_url: str) -> Iterator[Elasticsearch]:
    with Elasticsearch(**client_options(service_settings())) as client:
        yield client


def concrete_indices(client: Elasticsearch, pattern: str) -> list[str]:
    """The concrete indices matching `pattern`, sorted (the loader's versions sort by age)."""
    return sorted(client.indices.get_alias(index=pattern, expand_wildcards="open,closed").body)


@pytest.fixture
def alias(configure_service: Any, es: Elasticsearch) -> Iterator[str]:
    """A fresh alias name the service searches (ELASTICSEARCH_INDEX); its indices are deleted afterwards, by name
    (Elasticsearch refuses to delete by wildcard)."""
    name = f"load-{uuid.uuid4().hex}"
    configure_service(elasticsearch_index=name, **PRODUCT_ENVIRONMENT)
    yield name
    made = concrete_indices(es, f"{name}*")
    if made:
        es.indices.delete(index=",".join(made))


@pytest.fixture
def mapping_file(tmp_path: Path) -> Path:
    """tests/products.py's mapping as a mappings object alone, as a user writes one."""
    path = tmp_path / "mapping.json"
    path.write_bytes(orjson.dumps(PRODUCT_MAPPING))
    return path


def write_lines(path: Path, lines: Iterable[dict[str, Any] | bytes]) -> Path:
    """A JSON Lines file: documents as JSON, bytes as they are (for the bad lines)."""
    with path.open("wb") as out:
        for line in lines:
            out.write(line if isinstance(line, bytes) else orjson.dumps(line))
            out.write(b"\n")
    return path
