"""Isolation between callers, through the API on the real node: rate limits and the expensive-query lane.

What a test waits for is an event (a turn taken, a request queued), never a length of time, and what it asserts
is who waited for a turn, not how long a request took: a loaded machine changes durations, not the order of
events."""

import asyncio
import time
from collections.abc import Callable
from types import SimpleNamespace

import httpx
import pytest
from django.conf import settings

from config.asgi import application
from search_service.admission import admission_for
from search_service.admission import callers as callers_module
from search_service.admission.fair_queue import FairScheduler, Ticket
from search_service.admission.gate import Admission
from tests.test_search_errors import assert_error

WILDCARD = {"q": "dump*"}
# Far longer than any of these waits takes on a loaded machine: reaching it means the event never came.
BOUND = 30.0


def lanes() -> Admission:
    """The worker's admission for the configuration the test set (the app runs in the test's event loop)."""
    return admission_for(settings.SEARCH)


async def until(condition: Callable[[], bool]) -> None:
    """Wait for `condition` on the lanes' state, which has no event of its own to wait on."""
    async with asyncio.timeout(BOUND):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


@pytest.fixture
def tickets(monkeypatch) -> list[tuple[FairScheduler, Ticket]]:
    """Every turn taken, in order, with its lane: a ticket that went through a queue has waited > 0, one taken at
    once has waited exactly 0 (its start is its arrival, one clock reading)."""
    taken: list[tuple[FairScheduler, Ticket]] = []
    acquire = FairScheduler.acquire

    async def recording(self: FairScheduler, caller: str, units: float) -> Ticket:
        ticket = await acquire(self, caller, units)
        taken.append((self, ticket))
        return ticket

    monkeypatch.setattr(FairScheduler, "acquire", recording)
    return taken


async def test_a_client_over_its_rate_limit_gets_429_with_retry_after(api, configure_service):
    configure_service(search_rate_limit="3/minute")
    for _ in range(3):
        assert (await api.get("/search", params={"q": "json"})).status_code == 200

    response = await api.get("/search", params={"q": "json"})

    body = assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    assert "3 requests" in body["detail"]
    assert (await api.get("/health")).status_code == 200  # probes are never limited
    assert (await api.get("/ready")).status_code == 200


async def test_a_refusal_is_held_back_so_hammering_costs_the_worker_little(api, configure_service, monkeypatch):
    configure_service(search_rate_limit="1/minute", search_refusal_delay=0.5)
    assert (await api.get("/search", params={"q": "json"})).status_code == 200
    held: list[float] = []

    async def sleep(seconds: float) -> None:
        held.append(seconds)
        await asyncio.sleep(seconds)

    monkeypatch.setattr(callers_module, "asyncio", SimpleNamespace(sleep=sleep))
    started = time.monotonic()
    response = await api.get("/search", params={"q": "json"})

    assert_error(response, 429, "rate_limited")
    assert held == [0.5]  # once, the delay asked for (below Retry-After)
    assert time.monotonic() - started >= 0.5  # and answered after it, however busy the machine


async def test_clients_are_limited_separately(api, configure_service):
    configure_service(search_rate_limit="1/minute")
    assert (await api.get("/search", params={"q": "json"})).status_code == 200
    assert (await api.get("/search", params={"q": "json"})).status_code == 429

    # As uvicorn presents a client behind a trusted proxy: another address.
    api._transport.client = ("198.51.100.7", 4000)
    assert (await api.get("/search", params={"q": "json"})).status_code == 200


async def test_expensive_queries_have_a_budget_of_their_own(api, configure_service):
    configure_service(search_expensive_rate_limit="1/minute")
    assert (await api.get("/search", params=WILDCARD)).status_code == 200

    # Another one: the same again is answered by the answer cache, which asks nothing of Elasticsearch.
    body = assert_error(await api.get("/search", params={"q": "pick*"}), 429, "rate_limited")

    assert "expensive queries" in body["detail"]
    assert (await api.get("/search", params={"q": "json"})).status_code == 200  # ordinary ones still run


async def test_a_full_lane_refuses_expensive_queries_while_ordinary_ones_flow(
    api, configure_service, slow_elasticsearch
):
    # Every answer takes 2 s: the first expensive query holds the only turn for that long.
    configure_service(
        elasticsearch_hosts=slow_elasticsearch,
        search_expensive_concurrency=1,
        search_expensive_queue=0,
    )
    holder = asyncio.create_task(api.get("/search", params=WILDCARD))
    await until(lambda: lanes().expensive.in_flight == 1)

    refused, ordinary = await asyncio.gather(
        api.get("/search", params={"q": "pick*"}),
        api.get("/search", params={"q": "json"}),
    )

    assert_error(refused, 429, "too_many_expensive_queries")
    assert int(refused.headers["Retry-After"]) >= 1
    assert ordinary.status_code == 200  # did not wait for the lane
    assert (await holder).status_code == 200


async def test_with_the_defaults_a_burst_from_one_caller_runs_in_full_at_once(
    api, slow_elasticsearch, configure_service, tickets
):
    # The seed's promise: one worker serves 100 concurrent slow searches in about one search's time, whoever
    # sends them. Every answer takes 2 s (the proxy); a fixed per-address rate limit refused most of them.
    configure_service(elasticsearch_hosts=slow_elasticsearch, elasticsearch_connections_per_node=200)
    assert (await api.get("/search", params={"q": "json"})).status_code == 200  # the mapping read, once
    tickets.clear()

    # 100 different searches: identical ones would share one search (the answer cache's coalescing).
    answers = await asyncio.gather(*(api.get("/search", params={"q": "json", "size": 1 + i}) for i in range(100)))

    assert [answer.status_code for answer in answers] == [200] * 100
    # All at once, not in turns: every search took its turn at the door and in front of Elasticsearch on arrival.
    door, ordinary = lanes().door, lanes().ordinary
    assert sum(lane is door for lane, _ in tickets) == 100
    assert sum(lane is ordinary for lane, _ in tickets) >= 100  # its did-you-mean calls too, if any
    assert [ticket for _, ticket in tickets if ticket.waited != 0.0] == []


async def test_past_the_callers_queue_it_is_overloaded_while_another_caller_still_waits_its_turn(
    api, slow_elasticsearch, configure_service
):
    configure_service(
        elasticsearch_hosts=slow_elasticsearch,
        search_concurrency_min=1,
        search_concurrency_max=1,
        search_queue_per_caller=1,
        # The other caller's turn comes after two whole searches of three slow exchanges each (the mapping, the
        # search, the did-you-mean call: 10 s at rest): its wait must not be what the test measures.
        search_queue_wait=60,
        search_refusal_delay=0,
    )
    holder = asyncio.create_task(api.get("/search", params={"q": "json"}))
    await until(lambda: lanes().door.in_flight == 1)
    queued = asyncio.create_task(api.get("/search", params={"q": "dump"}))
    await until(lambda: lanes().door.queued == 1)

    refused = await api.get("/search", params={"q": "load"})

    body = assert_error(refused, 429, "overloaded")
    assert int(refused.headers["Retry-After"]) >= 1
    assert "serves callers in turn" in body["detail"]
    api._transport.client = ("198.51.100.7", 4000)  # another caller: a queue of its own
    other = asyncio.create_task(api.get("/search", params={"q": "json"}))
    await until(lambda: lanes().door.queued == 2)  # queued behind, not refused
    answers = [await holder, await queued, await other]
    assert [answer.status_code for answer in answers] == [200, 200, 200], answers[2].text


async def test_a_light_caller_walks_past_a_heavy_callers_backlog_at_the_door(
    api, slow_elasticsearch, configure_service, tickets
):
    # Four searches at a time (every answer takes 2 s): a backend's 8 fill them and queue 4 at the door.
    configure_service(elasticsearch_hosts=slow_elasticsearch, search_concurrency_min=4, search_concurrency_max=4)
    assert (await api.get("/search", params={"q": "json"})).status_code == 200  # the mapping read, once
    heavy = [asyncio.create_task(api.get("/search", params={"q": "json", "size": 1 + i})) for i in range(8)]
    await until(lambda: lanes().door.queued == 4)
    light_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application, client=("198.51.100.7", 4000)), base_url="http://localhost"
    )

    async with light_client:
        light = await light_client.get("/search", params={"q": "dump"})

    assert light.status_code == 200
    # It did not wait for a turn, at the door or in front of Elasticsearch, while the backlog still waited.
    light_turns = [ticket for _, ticket in tickets if ticket.caller == "198.51.100.7"]
    assert len(light_turns) >= 2
    assert [ticket.waited for ticket in light_turns] == [0.0] * len(light_turns)
    assert [answer.status_code for answer in await asyncio.gather(*heavy)] == [200] * 8
    # Its turn at the door came before any of the backlog's: compared by when each turn was given, not by what was
    # still running when its answer came (its own answer takes 2 s or more, a did-you-mean call 2 s more, by which
    # time part of the backlog may have been served).
    door = lanes().door
    backlog = [ticket for lane, ticket in tickets if lane is door and ticket.waited > 0]
    [light_at_door] = [ticket for lane, ticket in tickets if lane is door and ticket.caller == "198.51.100.7"]
    assert len(backlog) == 4
    assert light_at_door.started < min(ticket.started for ticket in backlog)


async def test_refused_at_the_door_is_a_json_429_with_retry_after_and_an_access_line(
    api, slow_elasticsearch, configure_service, caplog
):
    configure_service(
        elasticsearch_hosts=slow_elasticsearch,
        search_concurrency_min=1,
        search_concurrency_max=1,
        search_queue_per_caller=0,
        search_refusal_delay=0,
        search_access_log=True,
    )
    holder = asyncio.create_task(api.get("/search", params={"q": "json"}))
    await until(lambda: lanes().door.in_flight == 1)

    refused = await api.get("/search", params={"q": "dump"}, headers={"X-Request-ID": "door-refusal"})

    body = assert_error(refused, 429, "overloaded")
    assert "0 searches waiting" in body["detail"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-Request-ID"] == "door-refusal"
    assert any("door-refusal" in str(getattr(r, "access", "")) for r in caplog.records)
    assert (await api.get("/health")).status_code == 200  # probes never wait at the door
    assert (await holder).status_code == 200


async def test_an_answer_from_the_cache_takes_no_turn_in_front_of_elasticsearch(api, tickets):
    assert (await api.get("/search", params={"q": "json"})).status_code == 200  # searched: its turns
    searched = [lane for lane, _ in tickets]
    tickets.clear()
    for _ in range(3):  # a hit through Django, then replays before it
        assert (await api.get("/search", params={"q": "json"})).status_code == 200

    ordinary, expensive = lanes().ordinary, lanes().expensive
    assert any(lane is ordinary for lane in searched)
    assert [lane for lane, _ in tickets if lane is ordinary or lane is expensive] == []
    assert (
        sum(lane is lanes().door for lane, _ in tickets) == 1
    )  # the hit through Django passed the door; replays did not
