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


@cache
def _searchable_words() -> list[tuple[tuple[str, str], frozenset[str]]]:
    """Each demo document's (module, kind) and the words a search finds it by, split roughly as the demo mapping
    does: the standard analyzer on summary and docstring (`gencodec.py` stays one word), the simple one (letters
    only) on qualname, name and signature."""
    return [
        (
            (document["module"], document["kind"]),
            frozenset(re.findall(r"\w+(?:[.']\w+)*", f"{document['summary']} {document['docstring']}".lower()))
            | frozenset(
                re.findall(r"[^\W\d_]+", f"{document['qualname']} {document['name']} {document['signature']}".lower())
            ),
        )
        for document in demo_documents()
    ]


def sidebar_filters(query: str) -> tuple[str, str]:
    """The (module, kind) a user would tick after searching `query` (words, or `a AND b`): the commonest pair among
    the documents the search finds, so that filtered searches find something too (the commonest of all documents
    when it finds none)."""
    words = {word.lower() for word in query.split(" AND ")}
    documents = _searchable_words()
    pairs = Counter(pair for pair, found_by in documents if words <= found_by) or Counter(p for p, _ in documents)
    return pairs.most_common(1)[0][0]


def typed_prefixes(names: int = 40, longest: int = 6, seed: int = 7) -> list[str]:
    """What a type-ahead box sends while `names` qualified names are typed, keystroke by keystroke (`s`, `sy`,
    `sys`, `sys.`, `sys.e`, `sys.ex`): the names drawn by popularity, as users look for popular things."""
    documents = demo_documents()
    weights = [1 + document["popularity"] for document in documents]
    rng = random.Random(seed)
    chosen: dict[str, None] = {}
    while len(chosen) < names:
        (document,) = rng.choices(documents, weights=weights)
        chosen[document["qualname"]] = None
    return [name[:n] for name in chosen for n in range(1, min(longest, len(name)) + 1)]
