"""`manage.py index` and the answer cache: once the command has swapped the alias and returned, the next search
answers from the new index, though the same search was answered from the cache a moment before, and searches kept
coming all the while (so the cache's index generation was fresh when the alias moved)."""

import asyncio
import contextlib
from io import StringIO

from django.core.management import call_command
from elasticsearch import Elasticsearch

from tests.indexing.conftest import write_lines
from tests.products import products


def index(*arguments: str) -> None:
    call_command("index", *arguments, stdout=StringIO(), stderr=StringIO())


async def test_the_next_search_after_a_reload_answers_from_the_new_index(
    api, es: Elasticsearch, alias, mapping_file, tmp_path
):
    old = write_lines(tmp_path / "old.jsonl", products(200))
    new = write_lines(tmp_path / "new.jsonl", products(300))
    await asyncio.to_thread(index, str(old), "--mapping", str(mapping_file), "--grace", "0")
    search = {"q": "*", "size": 1}  # every product: the count tells the indices apart

    before = await api.get("/search", params=search)
    assert before.json()["total"]["value"] == 200
    # Cached: a document deleted behind the service's back is still counted by the answer it kept.
    (old_index,) = es.indices.get_alias(name=alias).body
    es.delete(index=old_index, id=before.json()["hits"][0]["id"], refresh=True)
    assert (await api.get("/search", params=search)).content == before.content

    async def traffic() -> None:
        while True:
            await api.get("/search", params={"q": "kettle"})
            await asyncio.sleep(0.05)

    running = asyncio.ensure_future(traffic())
    try:
        # The default grace would also wait ELASTICSEARCH_REQUEST_TIMEOUT to delete the old index; 2 s is what the
        # cache needs.
        await asyncio.to_thread(index, str(new), "--mapping", str(mapping_file), "--grace", "2")
        after = await api.get("/search", params=search)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running

    assert after.status_code == 200
    assert after.json()["total"]["value"] == 300
