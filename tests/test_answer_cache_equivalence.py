"""A cached answer is the uncached one: 10,000 random requests, many of them repeats and many the same search
written differently (parameters in another order, defaults spelled out, spacing), answered with the cache on and
again with it off, compared byte for byte.

Two fields differ between any two makings of an answer, cached or not, and are aligned before comparing:
Elasticsearch's `took_ms`, and the `next` cursor (encrypted afresh each time)."""

import asyncio
import random
import re

from tests.conftest import ES_URL
from tests.recording_proxy import recording_proxy

REQUESTS = 10_000
AT_ONCE = 50
QUERIES = [
    "",
    "json",
    "JSON",
    " json",
    "json ",
    "json dumps",
    "dumps json",
    "jsno",
    "pick*",
    "json OR pickle",
    '"json"',
]
FILTERS = ["kind:function", "module:json", "module:pickle", "kind:class"]
TOOK = re.compile(rb'"took_ms":\d+')
NEXT = re.compile(rb'"next":(null|"[^"]*")')


DEFAULTS = [("page", "1"), ("size", "10"), ("mode", "query_string"), ("rank", "custom"), ("facet_size", "10")]
SEARCHES = 400  # distinct searches the 10,000 requests are drawn from


def random_search(rng: random.Random) -> list[tuple[str, str]]:
    params = [("q", rng.choice(QUERIES))] if rng.random() < 0.9 else []
    optional = {
        "mode": ["query_string", "simple"],
        "size": ["1", "2", "10"],
        "page": ["1", "2"],
        "sort": ["module", "-module", "score"],
        "rank": ["custom", "text"],
        "facet_size": ["10", "3"],
    }
    for name, values in optional.items():
        if rng.random() < 0.3:
            params.append((name, rng.choice(values)))
    params += [("filter", value) for value in rng.sample(FILTERS, rng.choice([0, 0, 1, 2]))]
    params += [("facets", value) for value in rng.sample(["kind", "module"], rng.choice([0, 0, 1, 2]))]
    return params


def written_differently(search: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """The same search: its parameters in another order, and a default spelled out or not."""
    names = {name for name, _ in search}
    params = search + [default for default in DEFAULTS if default[0] not in names and rng.random() < 0.2]
    rng.shuffle(params)
    return params


async def answers(api, requests: list[list[tuple[str, str]]]) -> list[tuple[int, bytes]]:
    found: list[tuple[int, bytes]] = []
    for start in range(0, len(requests), AT_ONCE):
        batch = await asyncio.gather(*(api.get("/search", params=p) for p in requests[start : start + AT_ONCE]))
        found += [(answer.status_code, answer.content) for answer in batch]
    return found


def aligned(uncached: bytes, cached: bytes) -> bytes:
    took = TOOK.search(cached)
    following = NEXT.search(cached)
    if took is not None:
        uncached = TOOK.sub(took.group(0), uncached)
    if following is not None:
        uncached = NEXT.sub(following.group(0).replace(b"\\", b"\\\\"), uncached)
    return uncached


async def test_ten_thousand_random_requests_cached_are_byte_identical_to_uncached(api, configure_service):
    rng = random.Random(23)
    searches = [random_search(rng) for _ in range(SEARCHES)]
    requests = [written_differently(rng.choice(searches), rng) for _ in range(REQUESTS)]
    with recording_proxy(ES_URL) as proxy:
        # Room in front of Elasticsearch for every search of a batch: with none, an answer leaves out its did-you-mean
        # suggestions (admit_if_free), and such an answer is not cached; this compares whole answers.
        room = {"search_concurrency_min": 4 * AT_ONCE, "search_concurrency_max": 4 * AT_ONCE}
        configure_service(elasticsearch_hosts=proxy.url, search_cache_ttl=3600, **room)
        cached = await answers(api, requests)
        searched = sum(request.endswith("/_search") for request in proxy.requests)
        configure_service(elasticsearch_hosts=proxy.url, search_cache_ttl=0, **room)
        uncached = await answers(api, requests)

    assert {status for status, _ in cached} == {200}
    assert searched < REQUESTS / 3  # most were answered from the cache
    differing = [
        (requests[i], body, uncached[i][1])
        for i, (_, body) in enumerate(cached)
        if aligned(uncached[i][1], body) != body or uncached[i][0] != 200
    ]
    assert differing == []
