"""Deep paging with `next` cursors on the real node: past the 10,000-hit window, no hit repeated or skipped."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from elasticsearch import Elasticsearch

from search_service.elastic import client_options
from search_service.query.cursor import decode_cursor
from tests.conftest import service_settings, temporary_index

DOCUMENTS = 12_000
MAPPING = {"properties": {"name": {"type": "text"}, "group": {"type": "keyword"}, "rank": {"type": "integer"}}}


@pytest.fixture(scope="module")
def big_index(elasticsearch_url: str) -> Iterator[str]:
    documents = (
        {"_id": f"doc{n:05d}", "name": f"entry {n}", "group": f"g{n % 7}", "rank": n % 100} for n in range(DOCUMENTS)
    )
    with temporary_index("cursor", MAPPING, list(documents)) as name:
        yield name


def configure(configure_service: Any, index: str, **overrides: Any) -> None:
    configure_service(
        elasticsearch_index=index,
        search_fields="name",
        search_query_fields="name",
        search_filter_fields="group,rank",
        search_sort_fields="group,rank",
        search_max_size=500,
        **overrides,
    )


@pytest.fixture
def search(api, configure_service, big_index):
    configure(configure_service, big_index)

    async def run(**params: Any) -> Any:
        return await api.get("/search", params={"q": "entry"} | params)

    return run


async def walk(search: Any, **params: Any) -> tuple[list[str], int]:
    """Every hit, following `next` from the first page; and how many requests that took."""
    seen: list[str] = []
    cursor = None
    for requests in range(1, 200):
        response = await search(**params, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [hit["id"] for hit in body["hits"]]
        cursor = body["next"]
        if cursor is None:
            return seen, requests
    raise AssertionError("the walk did not end")


async def test_a_walk_by_cursor_passes_the_window_without_repeats_or_gaps(search):
    seen, requests = await walk(search, size=500)
    assert len(seen) == DOCUMENTS
    assert set(seen) == {f"doc{n:05d}" for n in range(DOCUMENTS)}
    # Past SEARCH_TRACK_TOTAL_HITS the total is a lower bound, so a full last page still offers `next` (to an
    # empty page): one request more at most.
    assert requests in (DOCUMENTS // 500, DOCUMENTS // 500 + 1)


async def test_a_sorted_walk_keeps_the_order_across_pages(search):
    seen, _ = await walk(search, size=500, sort="group,-rank", filter="rank:..49")
    assert len(seen) == len(set(seen)) == DOCUMENTS // 2
    keys = [(f"g{int(doc[3:]) % 7}", -(int(doc[3:]) % 100)) for doc in seen]
    assert keys == sorted(keys)


async def test_a_cursor_from_the_last_page_of_the_window_continues(search):
    first = await search(size=100, page=100)
    assert first.status_code == 200
    body = first.json()
    assert body["total"] == {"value": 10_000, "relation": "gte"}  # SEARCH_TRACK_TOTAL_HITS' default
    response = await search(size=100, cursor=body["next"])
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["page"] is None
    assert len(after["hits"]) == 100
    ids_before = {hit["id"] for hit in body["hits"]}
    assert not ids_before & {hit["id"] for hit in after["hits"]}


async def test_the_last_page_has_no_next(search):
    body = (await search(q="entry AND 5", size=10)).json()
    assert body["total"]["value"] == 1
    assert body["next"] is None


async def test_an_altered_cursor_is_refused(search):
    cursor = (await search(size=10)).json()["next"]
    altered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    for bad in (altered, "not-a-cursor", cursor[: len(cursor) // 2]):
        response = await search(size=10, cursor=bad)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_cursor"


async def test_a_cursor_for_another_search_is_refused(search):
    cursor = (await search(size=10)).json()["next"]
    for changed in ({"q": "entry OR 5"}, {"sort": "rank"}, {"filter": "group:g1"}, {"mode": "simple"}):
        response = await search(size=10, cursor=cursor, **changed)
        assert response.status_code == 400
        assert response.json()["error"] == "cursor_mismatch"


async def test_an_expired_cursor_is_refused_with_its_own_code(search):
    first = (await search(size=10)).json()["next"]
    second = (await search(size=10, cursor=first)).json()["next"]
    # The point in time the cursor reads is gone, as after its keep-alive (or a restart of the nodes holding it).
    pit_id = decode_cursor(second, key=settings.SECRET_KEY, max_age=60).pit_id
    with Elasticsearch(**client_options(service_settings())) as client:
        client.close_point_in_time(id=pit_id)
    response = await search(size=10, cursor=second)
    assert response.status_code == 400
    assert response.json()["error"] == "cursor_expired"


async def test_totals_are_exact_up_to_the_configured_count(search, configure_service, big_index):
    configure(configure_service, big_index, search_track_total_hits=20_000)
    assert (await search()).json()["total"] == {"value": DOCUMENTS, "relation": "eq"}
    configure(configure_service, big_index, search_track_total_hits=100)
    assert (await search()).json()["total"] == {"value": 100, "relation": "gte"}


async def test_opening_a_walk_counts_against_the_expensive_rate_limit(search, configure_service, big_index):
    # A point in time holds segments open for its keep-alive: how often one client may open one is bounded.
    configure(configure_service, big_index, search_expensive_rate_limit="1/minute")
    cursor = (await search(size=10)).json()["next"]
    opened = await search(size=10, cursor=cursor)
    assert opened.status_code == 200
    walked_on = await search(size=10, cursor=opened.json()["next"])
    assert walked_on.status_code == 200  # later steps reuse it: cheap
    assert (await search(size=10, cursor=cursor)).status_code == 200  # a replay shares it (cursor_pits.py)
    another = (await search(size=11)).json()["next"]
    refused = await search(size=11, cursor=another)  # another walk opens another
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
