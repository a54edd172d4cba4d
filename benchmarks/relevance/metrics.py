"""Ranking metrics over one query's hits, and the summaries the report prints. Pure: no I/O.

`ranked` is the list of document ids as the service answered them, best first; `grades` maps each judged document
to its grade (1 acceptable, 2 best; a document not in it is not relevant).
"""

import math
from collections.abc import Mapping, Sequence
from statistics import median


def hit_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """1.0 when a relevant document is among the first `k` hits, else 0.0 (averaged over queries: the share of
    queries answered within the first `k`, what the report calls recall@k)."""
    return 1.0 if any(grades.get(doc, 0) > 0 for doc in ranked[:k]) else 0.0


def top1(ranked: Sequence[str], grades: Mapping[str, int]) -> float:
    return hit_at_k(ranked, grades, 1)


def reciprocal_rank(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """1 / the rank of the first relevant hit within the first `k`, 0 when there is none (its mean is MRR@k)."""
    for rank, doc in enumerate(ranked[:k], start=1):
        if grades.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def dcg(gains: Sequence[int]) -> float:
    """Discounted cumulative gain of grades in rank order: sum of (2^grade - 1) / log2(rank + 1)."""
    return float(sum((2**grade - 1) / math.log2(rank + 1) for rank, grade in enumerate(gains, start=1)))


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """DCG of the first `k` hits over the DCG of the ideal ranking of the judged documents (0 when none is
    relevant). With binary judgements (every grade 1) this is plain binary NDCG."""
    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([grades.get(doc, 0) for doc in ranked[:k]]) / ideal


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of `values`; nan for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def middle(values: Sequence[float]) -> float:
    return median(values) if values else math.nan


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan
