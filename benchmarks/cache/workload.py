"""The cache scenario's requests: 10,000 distinct searches made from the demo corpus, a Zipf sequence over them (a
few searches asked very often, most rarely, as real traffic asks), a never-repeating sequence of distinct searches
(every request a miss), and the wrk scripts that walk them through the service and straight to Elasticsearch."""

import json
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.harness import FIELDS, INDEX
from benchmarks.workload import demo_documents
from search_service.query.body import build_search_body

DISTINCT_QUERIES = 10_000
# Searches by page size and page: distinct searches of the same text, so that a never-repeating sequence
# (10,000 x 20 x 5 = a million searches) outlasts any run.
MISS_SIZES = range(1, 21)
MISS_PAGES = range(1, 6)
# A qualified name the default query syntax reads as one term (no `<lambda>`, no operators).
PLAIN_NAME = re.compile(r"[A-Za-z_][\w.]*")


@dataclass(frozen=True)
class Queries:
    texts: list[str]  # in the Zipf order: texts[0] is the most asked
    kinds: Counter[str]  # how many of them are words, word pairs, qualified names


@cache
def distinct_queries(count: int = DISTINCT_QUERIES, seed: int = 7) -> Queries:
    """`count` distinct search texts from the demo corpus: every word of 4+ letters of the summaries, then the
    commonest pairs of consecutive words (`a AND b`, as the demo query mix writes them) and the most popular
    qualified names, half and half. Shuffled (seeded) before they are ranked, so that a query's popularity in the
    Zipf sequence says nothing of what it costs (a common word finds more documents than a qualified name)."""
    summaries = [re.findall(r"[A-Za-z]{4,}", document["summary"].lower()) for document in demo_documents()]
    words = [word for word, _ in Counter(word for summary in summaries for word in summary).most_common()]
    pairs = Counter(f"{a} AND {b}" for summary in summaries for a, b in pairwise(summary) if a != b)
    names = [
        document["qualname"]
        for document in sorted(demo_documents(), key=lambda d: (-d["popularity"], d["qualname"]))
        if PLAIN_NAME.fullmatch(document["qualname"])
    ]
    rest = count - len(words)
    chosen = {text: "word" for text in words}
    chosen |= {text: "word pair" for text, _ in pairs.most_common(rest // 2)}
    for name in names:
        if len(chosen) == count:
            break
        chosen.setdefault(name, "qualified name")
    texts = list(chosen)
    if len(texts) != count:
        raise RuntimeError(f"the demo corpus gave {len(texts)} distinct queries, not {count}")
    random.Random(seed).shuffle(texts)
    return Queries(texts, Counter(chosen.values()))


def zipf_sequence(distinct: int, draws: int, *, s: float = 1.0, seed: int) -> list[int]:
    """`draws` ranks in [0, distinct), rank k drawn with a probability proportional to 1 / (k + 1)^s."""
    weights = [1 / (k + 1) ** s for k in range(distinct)]
    return random.Random(seed).choices(range(distinct), weights=weights, k=draws)


def top_share(sequence: Sequence[int], top: int) -> float:
    """The share of the sequence asking one of its `top` most popular searches (ranks below `top`)."""
    return sum(1 for rank in sequence if rank < top) / len(sequence)


def service_request(parameters: dict[str, object]) -> dict[str, str]:
    return {"method": "GET", "path": "/search?" + urlencode(parameters), "body": ""}


def direct_request(query: str) -> dict[str, str]:
    """The same first page straight to Elasticsearch, with the body the service builds for it."""
    body = build_search_body(query=query, page=1, size=10, fields=FIELDS)
    return {"method": "POST", "path": f"/{INDEX}/_search", "body": json.dumps(body)}


@cache
def _miss_order(seed: int = 11) -> list[int]:
    order = list(range(DISTINCT_QUERIES * len(MISS_SIZES) * len(MISS_PAGES)))
    random.Random(seed).shuffle(order)
    return order


def miss_requests(part: int, parts: int) -> list[dict[str, str]]:
    """Part `part` of `parts` disjoint lists of distinct searches (text x size x page, shuffled): one per run, so
    that no run asks what another asked (a search asked again within the TTL would be a hit)."""
    texts = distinct_queries().texts
    order = _miss_order()
    per_part = len(order) // parts
    requests = []
    for n in order[part * per_part : (part + 1) * per_part]:
        text, rest = texts[n % len(texts)], n // len(texts)
        size, page = MISS_SIZES[rest % len(MISS_SIZES)], MISS_PAGES[rest // len(MISS_SIZES)]
        requests.append(service_request({"q": text, "size": size, "page": page}))
    return requests


def write_answers(path: Path, answers: list[dict[str, str]], headers: list[list[str]]) -> None:
    """Real answers of the service and the headers a replay keeps, for memory.py."""
    path.write_text(json.dumps({"answers": answers, "headers": headers}))
