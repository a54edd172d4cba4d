"""The worker's copy of the mapping: read once for a burst, not on every /ready, and again when the alias moves."""

import asyncio
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from search_service.elastic import client_options
from search_service.mapping import loaded
from tests.conftest import service_settings
from tests.products import PRODUCT_ENVIRONMENT, PRODUCT_MAPPING, products


@pytest.fixture
def mapping_reads(monkeypatch) -> list[str]:
    loaded.forget_index_fields()  # whatever an earlier test left: these tests count reads from a cold worker
    reads: list[str] = []
    read = loaded.read_index_fields

    async def counted(client: Any, index: str) -> Any:
        reads.append(index)
        return await read(client, index)

    monkeypatch.setattr(loaded, "read_index_fields", counted)
    return reads


async def test_a_cold_burst_reads_the_mapping_once(api, mapping_reads):
    answers = await asyncio.gather(*(api.get("/search", params={"q": "json"}) for _ in range(50)))

    assert [answer.status_code for answer in answers] == [200] * 50
    assert len(mapping_reads) == 1


async def test_ready_rereads_at_most_once_a_second(api, mapping_reads):
    for _ in range(20):
        assert (await api.get("/ready")).status_code == 200

    assert len(mapping_reads) == 1


async def test_an_alias_moved_to_a_new_index_is_read_and_checked_again(
    api, configure_service, mapping_reads, monkeypatch
):
    alias = f"moving-{id(mapping_reads)}"
    with Elasticsearch(**client_options(service_settings())) as client:
        client.indices.create(index=f"{alias}-1", mappings=PRODUCT_MAPPING, aliases={alias: {}})
        client.indices.create(index=f"{alias}-2", mappings={"properties": {"title": {"type": "text"}}})
        for document in products(5):
            client.index(index=f"{alias}-1", id=document.pop("_id"), document=document, refresh=True)
        try:
            configure_service(elasticsearch_index=alias, **PRODUCT_ENVIRONMENT)
            before = await api.get("/search", params={"q": "kettle", "stats": "price"})
            client.indices.update_aliases(
                actions=[
                    {"remove": {"index": f"{alias}-1", "alias": alias}},
                    {"add": {"index": f"{alias}-2", "alias": alias}},
                ]
            )
            monkeypatch.setattr(loaded, "MIN_AGE", 0.0)
            ready = await api.get("/ready")
            after = await api.get("/search", params={"q": "kettle"})
        finally:
            client.indices.delete(index=f"{alias}-1,{alias}-2")

    assert before.status_code == 200
    # The new index lacks the configured fields: the service says so instead of answering empty.
    assert ready.status_code == 503
    assert ready.json()["error"] == "configuration_mismatch"
    assert after.status_code == 503
    assert len(mapping_reads) == 2
