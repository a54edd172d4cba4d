"""The gate in front of Elasticsearch (gate.py): which lane a request takes, with what settings, and that every
turn is given back, whatever the block did. In one event loop, no server; each lane on a clock the test moves."""

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from search_service.admission import Cost, Refused, admission_for, admit, admit_if_free, batch_cost
from search_service.admission import gate as gate_module
from search_service.admission.cost import EXPENSIVE_UNITS
from search_service.admission.fair_queue import NEWCOMER_HEADROOM
from search_service.admission.gate import Admission
from search_service.settings import ServiceSettings
from tests.admission.turns import Clock, bounded, settle
from tests.conftest import service_settings

ORDINARY = Cost(2.5)
EXPENSIVE = Cost(EXPENSIVE_UNITS)


def admission(**overrides: Any) -> tuple[ServiceSettings, Admission, Clock]:
    """A configuration, the worker's admission for it in this loop, and the clock its lanes read."""
    config = service_settings(**overrides)
    made, clock = admission_for(config), Clock()
    for lane in (made.door, made.ordinary, made.expensive):
        lane.clock = clock
    return config, made, clock


async def fail_within(turn: AbstractAsyncContextManager[Any], clock: Clock) -> None:
    """Work that takes half a second in its turn, then fails."""
    async with turn:
        clock.now += 0.5
        raise ZeroDivisionError


@pytest.fixture
def observed(monkeypatch) -> dict[str, list[Any]]:
    """What the gate told the metrics: the lanes and waits of each admission, and each refusal's reason."""
    seen: dict[str, list[Any]] = {"admissions": [], "refusals": [], "delays": []}
    monkeypatch.setattr(
        gate_module, "observe_admission", lambda lanes, waited: seen["admissions"].append((lanes, waited))
    )
    monkeypatch.setattr(gate_module, "observe_refusal", seen["refusals"].append)

    async def delay_refusal(refused: Refused, delay: float) -> None:
        seen["delays"].append((refused.code, delay))

    monkeypatch.setattr(gate_module, "delay_refusal", delay_refusal)
    return seen


def test_each_setting_reaches_its_lane():
    config = service_settings(
        search_concurrency_min=3,
        search_concurrency_max=30,
        search_queue_per_caller=7,
        search_queue_wait=4.5,
        search_expensive_concurrency=2,
        search_expensive_queue=5,
        search_expensive_wait=1.5,
        search_rate_limit="20/second",
        search_expensive_rate_limit="3/minute",
    )
    made = admission_for(config)

    for lane in (made.ordinary, made.door):
        assert (lane.capacity.floor, lane.capacity.ceiling, lane.capacity.limit) == (3, 30, 30)  # type: ignore[attr-defined]
        assert (lane.queue_per_caller, lane.wait, lane.overcommit) == (7, 4.5, NEWCOMER_HEADROOM)
        assert (lane.name, lane.code) == ("searches", "overloaded")
    assert made.ordinary is not made.door
    expensive = made.expensive
    assert (expensive.capacity.limit, expensive.queue_per_caller, expensive.wait, expensive.overcommit) == (
        2,
        5,
        1.5,
        0,
    )
    assert (expensive.name, expensive.code) == ("expensive queries", "too_many_expensive_queries")
    assert [str(item) for item in made.requests.items] == ["20 per 1 second"]
    assert (made.requests.code, made.requests.what) == ("rate_limited", "requests")
    assert [str(item) for item in made.expensive_requests.items] == ["3 per 1 minute"]
    assert (made.expensive_requests.code, made.expensive_requests.what) == ("rate_limited", "expensive queries")
    assert made.enabled


def test_the_rate_limits_count_where_the_configuration_says():
    made = admission_for(service_settings(rate_limit_storage_url="redis://127.0.0.1:1"))
    assert made.requests.shared
    assert made.expensive_requests.shared
    assert not admission_for(service_settings()).requests.shared


def test_the_admission_is_made_anew_for_another_configuration_or_event_loop():
    config = service_settings()
    outside = admission_for(config)
    assert admission_for(config) is outside
    assert admission_for(service_settings()) is not outside

    async def in_a_loop() -> Admission:
        return admission_for(config)

    assert asyncio.run(in_a_loop()) is not admission_for(config)


async def test_ordinary_work_takes_a_turn_of_its_cost_and_gives_it_back_measured(observed):
    config, made, clock = admission()

    async with admit(config, "a", ORDINARY) as ticket:
        assert (ticket.caller, ticket.units) == ("a", 2.5)
        assert (made.ordinary.in_flight, made.expensive.in_flight, made.door.in_flight) == (2.5, 0, 0)
        clock.now += 0.5

    assert made.ordinary.in_flight == 0
    assert made.ordinary.capacity.unloaded == 0.2  # type: ignore[attr-defined]  # 0.5 s for 2.5 units
    lanes = {"door": made.door, "ordinary": made.ordinary, "expensive": made.expensive}
    assert observed["admissions"] == [(lanes, 0.0), (lanes, None)]


async def test_work_that_fails_gives_its_turn_back_unmeasured():
    config, made, clock = admission()

    with pytest.raises(ZeroDivisionError):
        await fail_within(admit(config, "a", ORDINARY), clock)

    assert made.ordinary.in_flight == 0
    assert made.ordinary.capacity.unloaded == float("inf")  # type: ignore[attr-defined]


async def test_expensive_work_takes_one_turn_of_the_expensive_lane():
    config, made, _ = admission(search_expensive_concurrency=2)

    async with admit(config, "a", Cost(30.0)) as first, admit(config, "b", EXPENSIVE) as second:
        assert (first.units, second.units) == (1.0, 1.0)
        assert (made.expensive.in_flight, made.ordinary.in_flight) == (2, 0)
        third = asyncio.create_task(bounded(admit(config, "c", EXPENSIVE).__aenter__()))
        await settle()
        assert not third.done()  # two at a time: the setting's value, and one past it waits
        third.cancel()

    assert made.expensive.in_flight == 0


async def test_searches_sent_together_take_a_turn_per_expensive_one_at_once_and_ordinary_ones_ride_along():
    config, made, _ = admission(search_expensive_concurrency=3)
    ordinary_batch = batch_cost([ORDINARY, ORDINARY, ORDINARY, ORDINARY])  # 10 units: past the line, yet ordinary
    assert ordinary_batch.units >= EXPENSIVE_UNITS
    async with admit(config, "a", ordinary_batch) as turn:
        assert turn.units == ordinary_batch.units
        assert (made.ordinary.in_flight, made.expensive.in_flight) == (ordinary_batch.units, 0)

    two_expensive = batch_cost([EXPENSIVE, ORDINARY, EXPENSIVE])
    async with admit(config, "a", two_expensive) as turn:
        assert turn.units == 2.0  # a turn per expensive search, taken at once
        assert (made.expensive.in_flight, made.ordinary.in_flight) == (2, 0)
        third = asyncio.create_task(bounded(admit(config, "b", batch_cost([EXPENSIVE, EXPENSIVE])).__aenter__()))
        await settle()
        assert not third.done()  # 2 + 2 > 3: it waits for the whole of its turns, holding none of them
        assert made.expensive.in_flight == 2
        third.cancel()
    assert made.expensive.in_flight == 0


async def test_each_expensive_search_sent_together_counts_against_the_expensive_rate_limit(observed):
    config, _, _ = admission(search_expensive_rate_limit="2/minute")
    with pytest.raises(Refused) as raised:
        async with admit(config, "a", batch_cost([EXPENSIVE, EXPENSIVE, EXPENSIVE])):
            pass
    assert raised.value.code == "rate_limited"


async def test_past_the_expensive_queue_it_is_refused_and_the_lane_is_left_clean(observed):
    config, made, _ = admission(search_expensive_queue=1, search_expensive_wait=0.05, search_refusal_delay=0.5)

    async with admit(config, "a", EXPENSIVE):
        with pytest.raises(Refused) as timed_out:  # the one place in the queue: a wait, then a refusal
            async with admit(config, "a", EXPENSIVE):
                pass
        waiter = asyncio.create_task(bounded(admit(config, "a", EXPENSIVE).__aenter__()))
        await settle()
        with pytest.raises(Refused) as full:  # one past the queue
            async with admit(config, "a", EXPENSIVE):
                pass
        waiter.cancel()
        await settle()

    assert "no turn within 0.05 s" in timed_out.value.detail
    assert full.value.code == "too_many_expensive_queries"
    assert observed["refusals"] == ["too_many_expensive_queries"] * 2
    assert observed["delays"] == [("too_many_expensive_queries", 0.5)] * 2
    # Nothing leaked: the next expensive query, of any caller, runs at once.
    assert (made.expensive.in_flight, made.expensive.queued, made.expensive._callers) == (0, 0, {})
    async with admit(config, "a", EXPENSIVE) as ticket:
        assert ticket.waited == 0.0


async def test_expensive_queries_count_against_their_own_rate_limit_first(observed):
    config, _, _ = admission(search_expensive_rate_limit="1/minute")
    async with admit(config, "a", EXPENSIVE):
        pass

    with pytest.raises(Refused) as raised:
        async with admit(config, "a", EXPENSIVE):
            pass

    assert raised.value.code == "rate_limited"
    assert observed["refusals"] == ["rate_limited"]
    async with admit(config, "a", ORDINARY):  # ordinary work is not counted there
        pass
    async with admit(config, "b", EXPENSIVE):  # nor is another caller
        pass


@pytest.mark.parametrize("queue", [0, 1])
async def test_the_ordinary_queue_holds_its_bound_per_caller_and_refuses_one_past_it(observed, queue):
    config, made, _ = admission(search_concurrency_min=1, search_concurrency_max=1, search_queue_per_caller=queue)
    async with admit(config, "a", Cost(1.0)):
        waiters = [asyncio.create_task(bounded(admit(config, "a", Cost(1.0)).__aenter__())) for _ in range(queue)]
        await settle()
        assert made.ordinary.queued == queue

        with pytest.raises(Refused) as raised:
            async with admit(config, "a", Cost(1.0)):
                pass

        assert raised.value.code == "overloaded"
        assert observed["refusals"] == ["overloaded"]
        for waiter in waiters:
            waiter.cancel()


async def test_the_ordinary_limit_starts_at_its_ceiling_and_falls_to_its_floor_and_no_further():
    config, made, clock = admission(search_concurrency_min=8, search_concurrency_max=40)
    assert made.ordinary.capacity.limit == 40
    async with admit(config, "a", Cost(1.0)):
        clock.now += 0.001
    for _ in range(50):  # a hundred times slower: congestion
        async with admit(config, "a", Cost(1.0)):
            clock.now += 0.1
    assert made.ordinary.capacity.limit == 8

    turns = [admit(config, "a", Cost(1.0)) for _ in range(8)]
    for turn in turns:  # at the floor: all eight run
        await bounded(turn.__aenter__())
    ninth = asyncio.create_task(bounded(admit(config, "a", Cost(1.0)).__aenter__()))
    await settle()
    assert not ninth.done()  # one past it waits
    ninth.cancel()
    for turn in turns:
        await turn.__aexit__(None, None, None)


async def test_with_admission_off_ordinary_work_runs_without_a_turn_but_expensive_work_keeps_its_lane():
    config, made, _ = admission(search_admission=False, search_queue_per_caller=0)

    async with admit(config, "a", ORDINARY) as ticket:
        assert (ticket.caller, ticket.units, ticket.waited, ticket.in_flight_at_start) == ("a", 2.5, 0.0, 0.0)
        assert made.ordinary.in_flight == 0
    async with admit_if_free(config, "a", ORDINARY) as room:
        assert room
        assert made.ordinary.in_flight == 0
    async with admit(config, "a", EXPENSIVE):
        assert made.expensive.in_flight == 1


async def test_an_extra_runs_only_when_there_is_room_now(observed):
    config, made, clock = admission(search_expensive_concurrency=1)

    async with admit_if_free(config, "a", EXPENSIVE) as room:
        assert room
        assert made.expensive.in_flight == 1
        async with admit_if_free(config, "b", EXPENSIVE) as second:
            assert not second  # no waiting for it: left out
        assert observed["refusals"] == ["extra_skipped"]
    assert made.expensive.in_flight == 0

    async with admit_if_free(config, "a", ORDINARY) as room:
        assert room
        assert made.ordinary.in_flight == 2.5
        clock.now += 0.5
    assert made.ordinary.in_flight == 0
    assert made.ordinary.capacity.unloaded == 0.2  # type: ignore[attr-defined]


async def test_an_extra_that_fails_gives_its_turn_back_unmeasured():
    config, made, clock = admission()

    with pytest.raises(ZeroDivisionError):
        await fail_within(admit_if_free(config, "a", ORDINARY), clock)

    assert made.ordinary.in_flight == 0
    assert made.ordinary.capacity.unloaded == float("inf")  # type: ignore[attr-defined]
