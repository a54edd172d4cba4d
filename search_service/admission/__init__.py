"""Admission: who a caller is (callers.py), what a request costs, who gets Elasticsearch's capacity and when
(gate.py), and the rate limits that are policy (rate_limits.py)."""

from search_service.admission.callers import KEY_IDENTITY, Refused, client_key, delay_refusal
from search_service.admission.gate import ExpensiveLane, admission_for, admit, is_expensive
from search_service.admission.rate_limits import RateLimit, parse_rate_limit

__all__ = [
    "KEY_IDENTITY",
    "ExpensiveLane",
    "RateLimit",
    "Refused",
    "admission_for",
    "admit",
    "client_key",
    "delay_refusal",
    "is_expensive",
    "parse_rate_limit",
]
