"""The attack set: candidate queries at the default policy's limits, each timed alone, the slowest kept."""

import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from benchmarks.attack.plan import PORT, PROBE_REPEATS
from benchmarks.outcomes import outcome_of
from search_service.demo import stdlib_documents
from search_service.query.policy import QueryPolicy, QueryRefused, check_query
from search_service.query.simple import check_simple_query


@dataclass
class Candidate:
    label: str
    q: str
    size: int = 100
    page: int = 1
    mode: str = "query_string"

    def path(self) -> str:
        return "/search?" + urlencode({"q": self.q, "size": self.size, "page": self.page, "mode": self.mode})


def attack_candidates(policy: QueryPolicy) -> list[Candidate]:
    """Queries at the default policy's limits, built from the corpus' own vocabulary: the 2-letter prefixes
    with the most distinct words, the most frequent long words (fuzzy), the most frequent words (clauses)."""
    words = Counter(
        word.lower()
        for document in stdlib_documents()
        for word in re.findall(r"[A-Za-z]+", document["summary"] + " " + document["docstring"])
    )
    prefixes = Counter(word[:2] for word in words if len(word) > 2).most_common(policy.max_wildcard_terms)
    wildcards = [f"{prefix}*" for prefix, _ in prefixes]
    long_words = [w for w, _ in words.most_common(400) if len(w) >= 5][: policy.max_fuzzy_terms]
    fuzzy = [f"{w}~{policy.max_fuzzy_edits}" for w in long_words]
    common = [w for w, _ in words.most_common(200) if w.upper() not in {"AND", "OR", "NOT", "TO"}]
    fill = policy.max_clauses - len(wildcards) - len(fuzzy)
    nested = " OR ".join(wildcards[:2])
    for _ in range(policy.max_depth - 1):
        nested = f"({nested})"
    phrase = " ".join(common[:4])
    # mode=simple's tolerant pass (query/tolerance.py): long words with a typo each, so that the query as written
    # finds nothing and every word is fuzzed, ending in a one-letter completion (`the_a`: priced as a wildcard).
    typoed = [w[0] + w[2] + w[1] + w[3:] for w, _ in words.most_common(400) if len(w) >= 8][:32]
    return [
        Candidate("wildcards", " ".join(wildcards)),
        Candidate("fuzzy", " ".join(fuzzy)),
        Candidate("wildcards + fuzzy", " ".join(wildcards + fuzzy)),
        Candidate(f"{policy.max_clauses} common words", " ".join(common[: policy.max_clauses])),
        Candidate("wildcards + fuzzy + common words", " ".join(wildcards + fuzzy + common[:fill])),
        Candidate(f"nested {policy.max_depth} deep", f"({nested} OR {fuzzy[0]}) {wildcards[2]} {fuzzy[1]}"),
        Candidate("sloppy phrases, size 50", " ".join([f'"{phrase}"~{policy.max_phrase_slop}'] * 12), size=50),
        Candidate("ranges over every term, size 50", " ".join(["[a TO zzzz]"] * 12), size=50),
        Candidate("common words, last page of 50", " ".join(common[:12]), size=50, page=200),
        Candidate("simple: 6 typo'd words, a one-letter completion", " ".join([*typoed[:6], "the_a"]), mode="simple"),
        Candidate(f"simple: {policy.max_clauses} typo'd words", " ".join(typoed[: policy.max_clauses]), mode="simple"),
    ]


@dataclass
class Probe:
    candidate: Candidate
    median_ms: float
    status: str

    @property
    def accepted(self) -> bool:
        """Past the policy and the limits: answered, or timed out in Elasticsearch (the costliest of all)."""
        return all(not outcome.startswith(("400", "422", "429")) for outcome in self.status.split(", "))


def probe(candidates: list[Candidate], policy: QueryPolicy) -> list[Probe]:
    """Each candidate the policy accepts, timed alone through the service (a fresh client address each time,
    so no limit interferes); the slowest first."""
    probes = []
    with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=60) as client:
        for n, candidate in enumerate(candidates):
            try:
                if candidate.mode == "simple":
                    check_simple_query(candidate.q, policy)
                else:
                    check_query(candidate.q, policy)
            except QueryRefused as refused:
                probes.append(Probe(candidate, float("nan"), f"refused by the policy: {refused.code}"))
                continue
            times, statuses = [], Counter[str]()
            for repeat in range(PROBE_REPEATS):
                started_at = time.perf_counter()
                answer = client.get(candidate.path(), headers={"X-Forwarded-For": f"10.100.{n}.{repeat + 1}"})
                times.append((time.perf_counter() - started_at) * 1e3)
                statuses[outcome_of(answer)] += 1
                time.sleep(0.6)  # under SEARCH_EXPENSIVE_RATE_LIMIT even if it counted all probes as one
            probes.append(Probe(candidate, statistics.median(times), ", ".join(sorted(statuses))))
    return sorted(probes, key=lambda p: -p.median_ms if p.accepted else float("inf"))
