"""Admission: who a caller is (callers.py), what a request will cost (cost.py), who gets Elasticsearch's capacity
and when (gate.py, over fair_queue.py and limiter.py), and the rate limits that are policy (rate_limits.py)."""

from search_service.admission.callers import KEY_IDENTITY, Refused, client_key, delay_refusal
from search_service.admission.cost import (
    LOOKUP,
    Cost,
    batch_cost,
    facet_search_cost,
    search_cost,
    spelling_cost,
    tolerant_cost,
)
from search_service.admission.gate import admission_for, admit, admit_if_free
from search_service.admission.rate_limits import RateLimit, parse_rate_limit

__all__ = [
    "KEY_IDENTITY",
    "LOOKUP",
    "Cost",
    "RateLimit",
    "Refused",
    "admission_for",
    "admit",
    "admit_if_free",
    "batch_cost",
    "client_key",
    "delay_refusal",
    "facet_search_cost",
    "parse_rate_limit",
    "search_cost",
    "spelling_cost",
    "tolerant_cost",
]
