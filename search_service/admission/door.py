"""The door: how many search requests a worker works on at once, and whose turn it is, before Django sees them.

The fair gate in front of Elasticsearch (gate.py) shares Elasticsearch's capacity; this one shares the worker's
own. With one backend on 64 connections the worker's core, not Elasticsearch, ran out first: every request it
had accepted was parsed, checked and rendered in turn on the one event loop, so a light client's search waited
behind 64 others at each of its steps (7.6 ms at rest, 37 ms beside it, with the gate in front of Elasticsearch
alone; 149 ms with no admission). Here the surplus waits before any work is done on it, in the same fair queues
(fair_queue.py, one unit a request, a caller by address: no key is verified yet), under a limit that follows
the requests' own latency (limiter.py); a caller with nothing in flight walks in.

Only the search path (`/search`, `/suggest`, `/documents/`, InstantSearch's `/1/indexes/`) passes through it; probes,
metrics, the page and its files never wait. Refused here: 429 `overloaded`, with the access line and the metric
the middleware would have written.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from search_service.admission.callers import client_key
from search_service.admission.fair_queue import Ticket
from search_service.admission.gate import admission_for
from search_service.settings import ServiceSettings

DOOR_PATHS = ("/search", "/suggest", "/documents/", "/1/indexes/")
# Where the seconds a request waited at the door are kept, in its ASGI scope.
DOOR_WAIT = "search_service.door_wait"
# And the seconds it then waited in front of Elasticsearch (gate.py; noted by the views, outcome.py).
GATE_WAIT = "search_service.gate_wait"


def passes_door(config: ServiceSettings, scope: dict[str, Any]) -> bool:
    return config.search_admission and str(scope.get("path", "")).startswith(DOOR_PATHS)


@asynccontextmanager
async def through_door(config: ServiceSettings, scope: dict[str, Any]) -> AsyncIterator[Ticket]:
    """The block runs in the caller's turn; Refused (429 `overloaded`) when its queue is full or the wait ends."""
    door = admission_for(config).door
    client = scope.get("client")
    ticket = await door.acquire(client_key(client[0] if client else None), 1.0)
    scope[DOOR_WAIT] = ticket.waited  # for the access line (outcome.py)
    ok = False
    try:
        yield ticket
        ok = True
    finally:
        # A search that waited in front of Elasticsearch (gate.py) held its place here meanwhile; that wait is
        # the gate's to measure, not the worker's latency.
        door.release(ticket, ok=ok, waited_inside=scope.get(GATE_WAIT, 0.0))
