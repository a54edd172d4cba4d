"""Replaying a first-page cursor on the real node: the points in time it opens stay bounded (issue 19)."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch

from config.asgi import application
from search_service.elastic import client_options
from tests.conftest import service_settings, temporary_index

DOCUMENTS = 100
MAPPING = {"properties": {"name": {"type": "text"}}}
REPLAYS = 1_000
AT_ONCE = 50


@pytest.fixture(scope="module")
def replay_index(elasticsearch_url: str) -> Iterator[str]:
    with temporary_index(
        "replays", MAPPING, [{"_id": f"doc{n:03d}", "name": f"entry {n}"} for n in range(DOCUMENTS)]
    ) as name:
        yield name


@pytest.fixture
def search(api: httpx.AsyncClient, configure_service: Any, replay_index: str) -> Any:
    # Every replay opens a walk, an expensive query: a lane wide enough that all AT_ONCE run together.
    configure_service(
        elasticsearch_index=replay_index,
        search_fields="name",
        search_query_fields="name",
        search_expensive_concurrency=AT_ONCE,
        search_expensive_queue=REPLAYS,
    )

    async def run(client: httpx.AsyncClient = api, **params: Any) -> httpx.Response:
        return await client.get("/search", params={"q": "entry"} | params)

    return run


@pytest.fixture
async def other_caller() -> AsyncIterator[httpx.AsyncClient]:
    """A client calling from another address: another caller for the limits."""
    transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 40_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


def open_contexts(index: str) -> int:
    """Search contexts open on `index`: one per shard of each open point in time (GET <index>/_stats/search, the
    index's share of _nodes/stats' open_contexts, which other users of the node would blur)."""
    with Elasticsearch(**client_options(service_settings())) as client:
        stats = client.indices.stats(index=index, metric="search").body
    count: int = stats["indices"][index]["total"]["search"]["open_contexts"]
    return count


async def test_a_replayed_first_page_cursor_opens_a_bounded_number_of_points_in_time(search, replay_index):
    cursor = (await search(size=10)).json()["next"]
    before = open_contexts(replay_index)
    gate = asyncio.Semaphore(AT_ONCE)

    async def replay() -> httpx.Response:
        async with gate:
            answer: httpx.Response = await search(size=10, cursor=cursor)
            return answer

    answers = await asyncio.gather(*(replay() for _ in range(REPLAYS)))

    assert {answer.status_code for answer in answers} == {200}
    opened = open_contexts(replay_index) - before
    print(f"{REPLAYS} replays, {AT_ONCE} at once: {opened} search contexts opened")
    assert opened <= 2
    # The walk still works: page 2 answered, and its `next` leads on.
    page_2 = answers[-1].json()
    assert [hit["id"] for hit in page_2["hits"]] == [hit["id"] for hit in answers[0].json()["hits"]]
    page_3 = await search(size=10, cursor=page_2["next"])
    assert page_3.status_code == 200, page_3.text
    assert not {hit["id"] for hit in page_3.json()["hits"]} & {hit["id"] for hit in page_2["hits"]}


async def test_a_caller_past_its_openings_is_refused_while_another_still_opens(
    search, configure_service, replay_index, other_caller
):
    configure_service(
        elasticsearch_index=replay_index,
        search_fields="name",
        search_query_fields="name",
        search_cursor_max_open=2,
    )
    # Different page sizes: cursors to different offsets, each of which opens a point in time of its own.
    cursors = {size: (await search(size=size)).json()["next"] for size in (5, 6, 7)}
    for size in (5, 6):
        assert (await search(size=size, cursor=cursors[size])).status_code == 200

    refused = await search(size=7, cursor=cursors[7])

    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_cursors"
    assert 1 <= int(refused.headers["Retry-After"]) <= 120
    # A replay of a cursor it opened already reads the same point in time: nothing new to open.
    assert (await search(size=5, cursor=cursors[5])).status_code == 200
    # Another caller has its own budget.
    assert (await search(other_caller, size=7, cursor=cursors[7])).status_code == 200


async def test_replays_of_a_cursor_to_the_last_page_all_answer(search):
    # Each replay reaches the walk's end; the point in time they share stays open for the others.
    cursor = (await search(size=60)).json()["next"]

    answers = await asyncio.gather(*(search(size=60, cursor=cursor) for _ in range(20)))

    assert {answer.status_code for answer in answers} == {200}
    assert {len(answer.json()["hits"]) for answer in answers} == {DOCUMENTS - 60}
    assert {answer.json()["next"] for answer in answers} == {None}
