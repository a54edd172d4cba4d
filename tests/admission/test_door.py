"""The door (door.py): which requests pass through it, as whom, and what it measures. No server: an ASGI scope as
uvicorn gives it, and the door's scheduler on a clock the test moves."""

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from search_service.admission import Refused, admission_for
from search_service.admission.door import DOOR_WAIT, GATE_WAIT, passes_door, through_door
from search_service.admission.fair_queue import FairScheduler
from search_service.settings import ServiceSettings
from tests.admission.turns import Clock, bounded, settle
from tests.conftest import service_settings


@pytest.mark.parametrize(
    ("path", "passes"),
    [
        ("/search", True),
        ("/suggest", True),
        ("/documents/json.dumps", True),
        ("/documents", False),
        ("/health", False),
        ("/ready", False),
        ("/metrics", False),
        ("/", False),
        ("/static/search.js", False),
    ],
)
def test_only_the_search_path_passes_the_door(path, passes):
    assert passes_door(service_settings(), {"type": "http", "path": path}) is passes


def test_with_admission_off_nothing_passes_the_door():
    assert not passes_door(service_settings(search_admission=False), {"type": "http", "path": "/search"})
    assert not passes_door(service_settings(), {"type": "http"})


async def fail_within(turn: AbstractAsyncContextManager[Any], clock: Clock) -> None:
    """Work that takes three seconds in its turn, then fails."""
    async with turn:
        clock.now += 3
        raise ZeroDivisionError


def door_of(config: ServiceSettings) -> tuple[FairScheduler, Clock]:
    door, clock = admission_for(config).door, Clock()
    door.clock = clock
    return door, clock


@pytest.mark.parametrize(
    ("client", "caller"),
    [(("203.0.113.9", 4000), "203.0.113.9"), (("2001:db8::1", 4000), "2001:db8::/64"), (None, "unknown")],
)
async def test_a_request_is_one_unit_of_its_address(client, caller):
    config = service_settings()
    door, _ = door_of(config)

    async with through_door(config, {"path": "/search", "client": client}) as ticket:
        assert (ticket.caller, ticket.units) == (caller, 1.0)
        assert door.in_flight == 1

    assert door.in_flight == 0


async def test_the_door_notes_the_wait_and_measures_the_worker_without_the_gates_wait():
    config = service_settings()
    door, clock = door_of(config)
    scope: dict[str, Any] = {"path": "/search", "client": ("203.0.113.9", 4000)}

    async with through_door(config, scope):
        clock.now += 3
        scope[GATE_WAIT] = 2.0  # of which 2 s waiting in front of Elasticsearch (noted by the views)

    assert scope[DOOR_WAIT] == 0.0
    assert door.capacity.unloaded == 1.0  # type: ignore[attr-defined]


async def test_a_request_that_failed_is_not_measured():
    config = service_settings()
    door, clock = door_of(config)

    with pytest.raises(ZeroDivisionError):
        await fail_within(through_door(config, {"path": "/search", "client": ("203.0.113.9", 4000)}), clock)

    assert door.in_flight == 0
    assert door.capacity.unloaded == float("inf")  # type: ignore[attr-defined]


async def test_past_its_queue_a_caller_is_refused_at_the_door_and_waiters_note_their_wait():
    config = service_settings(search_concurrency_min=1, search_concurrency_max=1, search_queue_per_caller=1)
    _, clock = door_of(config)
    scope: dict[str, Any] = {"path": "/search", "client": ("203.0.113.9", 4000)}
    waiting_scope = dict(scope)

    async def wait_at_the_door() -> None:
        async with through_door(config, waiting_scope):
            pass

    async with through_door(config, scope):
        waiter = asyncio.create_task(bounded(wait_at_the_door()))
        await settle()
        with pytest.raises(Refused) as raised:
            async with through_door(config, dict(scope)):
                pass
        clock.now += 1.5

    await bounded(waiter)
    assert raised.value.code == "overloaded"
    assert waiting_scope[DOOR_WAIT] == 1.5
