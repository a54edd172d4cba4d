"""What Elasticsearch found for a request, for those who report on it after the answer is made (the analytics
recorder, the access log, the metrics): set on the request by the view, read by their middleware. Pure."""

from dataclasses import dataclass

from django.http import HttpRequest, QueryDict

from search_service.admission.door import DOOR_WAIT, GATE_WAIT

_OUTCOME = "_search_outcome"
_QUEUE_WAIT = "_admission_wait"
_INSTANTSEARCH = "_instantsearch_searches"


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    total_hits: int  # hits, suggestions or documents found
    took_ms: int | None  # Elasticsearch's own `took` (of the search that made the answer, when it was cached)
    cached: bool = False  # answered without a search of its own (answer_cache/)


def note_outcome(request: HttpRequest, *, total_hits: int, took_ms: int | None, cached: bool = False) -> None:
    """Called by a view once Elasticsearch (or the answer cache) has answered."""
    setattr(request, _OUTCOME, SearchOutcome(total_hits, took_ms, cached))


def outcome_of(request: HttpRequest) -> SearchOutcome | None:
    outcome: SearchOutcome | None = getattr(request, _OUTCOME, None)
    return outcome


def note_instantsearch(request: HttpRequest, searches: list[tuple[QueryDict, SearchOutcome]]) -> None:
    """Called by the InstantSearch endpoints once answered: each search to record, as /search's parameters would
    say it, with what it found (endpoints/instantsearch.py)."""
    setattr(request, _INSTANTSEARCH, searches)
    if searches:
        found = sum(outcome.total_hits for _, outcome in searches)
        took = max((outcome.took_ms or 0) for _, outcome in searches)
        note_outcome(request, total_hits=found, took_ms=took)


def instantsearch_searches(request: HttpRequest) -> list[tuple[QueryDict, SearchOutcome]] | None:
    """The searches an InstantSearch call answered; None when it was refused before any."""
    searches: list[tuple[QueryDict, SearchOutcome]] | None = getattr(request, _INSTANTSEARCH, None)
    return searches


def note_queue_wait(request: HttpRequest, seconds: float) -> None:
    """Called by a view once admission gave it a turn (admission/gate.py): the seconds it waited."""
    setattr(request, _QUEUE_WAIT, seconds)
    scope = getattr(request, "scope", None)
    if scope is not None:
        scope[GATE_WAIT] = seconds


def queue_wait_of(request: HttpRequest) -> float | None:
    """The seconds it waited at the door (admission/door.py) and for Elasticsearch (gate.py); None if neither."""
    at_gate: float | None = getattr(request, _QUEUE_WAIT, None)
    at_door: float | None = getattr(request, "scope", {}).get(DOOR_WAIT)
    if at_gate is None and at_door is None:
        return None
    return (at_gate or 0.0) + (at_door or 0.0)
