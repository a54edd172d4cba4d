"""What the benchmarks ask: requests drawn from the demo corpus, so that they find what real traffic finds."""

import random
import re
from collections import Counter
from functools import cache
from typing import Any

from search_service.demo import stdlib_documents


@cache
def demo_documents() -> list[dict[str, Any]]:
    """The demo corpus (reading it imports the standard library's modules: ~2 s, so once)."""
    return list(stdlib_documents())


def query_mix(count: int = 200, seed: int = 7) -> list[str]:
    """Words of the demo corpus' summaries, drawn by their frequency (so common words repeat, as in real
    traffic), a quarter of them as `a AND b` pairs."""
    words = Counter(
        word.lower() for document in demo_documents() for word in re.findall(r"[A-Za-z]{4,}", document["summary"])
    )
    vocabulary, weights = zip(*words.most_common(2000), strict=True)
    rng = random.Random(seed)
    queries = []
    for i in range(count):
        first, second = rng.choices(vocabulary, weights=weights, k=2)
        queries.append(f"{first} AND {second}" if i % 4 == 0 else first)
    return queries
