"""The extra looks a first page of `GET /search` may take (endpoints/search.py): the tolerant pass of `mode=simple`
(query/tolerance.py) and the did-you-mean call (query/spelling.py), and when each is wanted."""

import logging
from collections.abc import Sequence
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, TransportError

from search_service.query.body import Operator
from search_service.query.filters import Filter
from search_service.query.policy import CheckedQuery
from search_service.query.spelling import (
    build_held_body,
    build_spelling_body,
    found_at_most,
    held_counts,
    spelling_candidates,
    spelling_suggestions,
)
from search_service.query.tolerance import Tolerance, TolerantText, Typos, most_typos, tolerant_text
from search_service.schemas import SearchParams
from search_service.settings import ServiceSettings

logger = logging.getLogger(__name__)


def tolerant_pass_text(config: ServiceSettings, params: SearchParams, checked: CheckedQuery) -> TolerantText | None:
    """The tolerant pass's text for a `mode=simple` query that has words to relax; None otherwise."""
    if params.mode != "simple":
        return None
    return simple_tolerant_text(config, checked, typos=params.typos, prefix=params.prefix)


def simple_tolerant_text(
    config: ServiceSettings, checked: CheckedQuery, *, typos: Typos | None = None, prefix: bool | None = None
) -> TolerantText | None:
    """The tolerant pass's text for a `simple` query (`typos` and `prefix` as asked, else the settings'); None when
    it has no words to relax or the pass is off."""
    if not checked.text or config.search_typo_threshold == 0:
        return None
    tolerance = Tolerance(
        most_typos=most_typos(typos or config.search_typos),
        prefix=config.search_prefix if prefix is None else prefix,
        min_letters_one_typo=config.search_typo_min_1,
        min_letters_two_typos=config.search_typo_min_2,
    )
    return tolerant_text(checked.text, tolerance)


def wants_tolerant_pass(config: ServiceSettings, result: Any) -> bool:
    """Whether the search as written found fewer than SEARCH_TYPO_THRESHOLD hits (a search cut short is not
    searched again: its cluster is struggling)."""
    return found_at_most(result, config.search_typo_threshold - 1)


def default_operator(config: ServiceSettings) -> Operator | None:
    operator = config.search_default_operator
    return None if operator == "auto" else operator


def wants_did_you_mean(config: ServiceSettings, exact: Any, tolerant: Any | None) -> bool:
    """Whether the search as written found at most SEARCH_DID_YOU_MEAN_BELOW hits (-1: never ask), or its
    tolerant pass found SEARCH_DID_YOU_MEAN_RATIO times as many: a sign that a word is misspelt, known without
    another request (a typo that made it into a few documents finds those)."""
    below = config.search_did_you_mean_below
    if below < 0:
        return False
    if found_at_most(exact, below):
        return True
    if tolerant is None or not found_at_most(exact, config.search_typo_threshold):
        return False
    # The exact count is exact (it was below the threshold); the tolerant one may be a lower bound, which is enough.
    exact_hits, tolerant_hits = total_hits(exact), total_hits(tolerant)  # malformed: None here, a 502 once rendered
    return (
        exact_hits is not None
        and tolerant_hits is not None
        and tolerant_hits >= config.search_did_you_mean_ratio * max(exact_hits, 1)
    )


def total_hits(result: Any) -> int | None:
    hits = result.get("hits") if isinstance(result, dict) else None
    total = hits.get("total") if isinstance(hits, dict) else None
    value = total.get("value") if isinstance(total, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def did_you_mean(
    client: AsyncElasticsearch, config: ServiceSettings, query: str, *, tenant_filters: Sequence[Filter] = ()
) -> list[str]:
    """Corrections of `query`. Under a tenant token, the words are counted within its filters, and the suggester's
    candidates (which it draws from the whole index) are counted there too, in a second call: a word none of the
    tenant's documents holds is never suggested, so a correction reveals nothing of another tenant's."""
    timeout = config.search_timeout
    body = build_spelling_body(query, config.search_fields, timeout_seconds=timeout, tenant_filters=tenant_filters)
    if body is None:
        return []
    answer = await _extra_search(client, config, body)
    if answer is None:
        return []
    held = None
    if tenant_filters:
        candidates = spelling_candidates(query, answer)
        held_body = build_held_body(candidates, config.search_fields, tenant_filters, timeout_seconds=timeout)
        if held_body is None:
            return []
        held = held_counts(candidates, await _extra_search(client, config, held_body))
        if held is None:
            return []
    return spelling_suggestions(query, answer, min_ratio=config.search_did_you_mean_ratio, held=held)


async def _extra_search(client: AsyncElasticsearch, config: ServiceSettings, body: dict[str, Any]) -> Any:
    """A did-you-mean call's answer; None when it failed. The hits are ready: an extra that fails or is slow must
    not cost the caller them, nor more than the search's own time limit of waiting."""
    try:
        answer = await client.options(request_timeout=config.search_timeout).search(
            index=config.elasticsearch_index, body=body
        )
    except (ApiError, TransportError) as error:
        logger.warning("No did-you-mean suggestions, the call failed: %s", error)
        return None
    return answer.body
