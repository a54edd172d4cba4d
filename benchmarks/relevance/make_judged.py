"""Writes benchmarks/relevance/judged.jsonl, the relevance benchmark's judged queries, from names.py and
descriptions.py, checked against the demo index as loaded (`manage.py load_demo`):

- `exact`: each name of names.EXACT as typed; relevant: its document. Every id must be in the index, and a bare
  name must be unambiguous there (no other document has it, or the one meant is at least 3 times as popular).
- `typo`: each of those names whose last part has at least 4 characters, with one typo (typos.make_typo, seeded
  by SEED): never another name of the index.
- `prefix`: each of those names cut to the first 60% of its last part (rounded up, at least 3 characters,
  shorter than the name), what a search box holds while someone types it.
- `description`: descriptions.DESCRIPTIONS, graded by hand.

    uv run python -m benchmarks.relevance.make_judged            # write judged.jsonl
    uv run python -m benchmarks.relevance.make_judged --check    # fail if judged.jsonl differs from what it writes

The output is committed: the typos come from Python's `random`, whose choices may change between versions, and the
set must not.
"""

import argparse
import json
import math
import sys
from collections import defaultdict
from typing import Any

import httpx

from benchmarks.harness import ES_PASSWORD, ES_URL, INDEX
from benchmarks.relevance import JUDGED
from benchmarks.relevance.descriptions import DESCRIPTIONS
from benchmarks.relevance.names import EXACT
from benchmarks.relevance.typos import make_typo

SEED = "relevance-2025"
PREFIX_SHARE = 0.6
MIN_PREFIX = 3
MIN_TYPO_LENGTH = 4
CANONICAL_RATIO = 3  # a bare name shared by several documents means the one this many times as popular as the next


def prefix_of(name: str) -> str | None:
    """The first 60% (rounded up, at least 3 characters) of the last dotted part, after its qualifier; None when
    that is the whole part."""
    head, dot, word = name.rpartition(".")
    length = max(MIN_PREFIX, math.ceil(PREFIX_SHARE * len(word)))
    return head + dot + word[:length] if length < len(word) else None


def index_documents(url: str, index: str) -> dict[str, dict[str, Any]]:
    """Every document's id, name and popularity, in one request (the demo index has ~7,000)."""
    answer = httpx.post(
        f"{url}/{index}/_search",
        json={"size": 10_000, "_source": ["name", "popularity"], "sort": ["_doc"], "track_total_hits": True},
        auth=("elastic", ES_PASSWORD),
        timeout=60,
    )
    answer.raise_for_status()
    body = answer.json()
    if body["hits"]["total"]["value"] > 10_000:
        sys.exit(f"make_judged: {index} holds more than 10,000 documents: is it the demo index?")
    return {hit["_id"]: hit["_source"] for hit in body["hits"]["hits"]}


def check_exact(documents: dict[str, dict[str, Any]]) -> list[str]:
    """Problems with names.EXACT against the index: missing ids, ambiguous bare names."""
    by_name: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for doc_id, source in documents.items():
        by_name[source["name"].lower()].append((source.get("popularity") or 0, doc_id))
    problems = []
    for query, doc_id in EXACT:
        if doc_id not in documents:
            problems.append(f"{query!r}: {doc_id} is not in the index")
            continue
        if "." in query:
            continue
        others = [(p, d) for p, d in by_name[query.lower()] if d != doc_id]
        mine = documents[doc_id].get("popularity") or 0
        if others and mine < CANONICAL_RATIO * max(p for p, _ in others):
            problems.append(f"{query!r} is ambiguous: {doc_id} ({mine}) beside {sorted(others, reverse=True)[:3]}")
    return problems


def judged_queries(documents: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    problems = check_exact(documents)
    problems += [
        f"description {query!r}: {doc_id} is not in the index"
        for query, grades in DESCRIPTIONS
        for doc_id in grades
        if doc_id not in documents
    ]
    if problems:
        sys.exit("make_judged: " + "\n  ".join(["the judged set does not fit the index:", *problems]))
    names = frozenset(source["name"].lower() for source in documents.values())
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def add(category: str, query: str, relevant: list[str], **extra: Any) -> None:
        if (category, query) not in seen:  # two names may share a prefix: the first keeps it
            seen.add((category, query))
            rows.append({"category": category, "query": query, "relevant": relevant, **extra})

    for query, doc_id in EXACT:
        add("exact", query, [doc_id])
    for query, doc_id in EXACT:
        if len(query.rpartition(".")[2]) >= MIN_TYPO_LENGTH:
            typo, kind = make_typo(query, SEED, avoid=names)
            add("typo", typo, [doc_id], typo_of=query, typo_kind=kind)
    for query, doc_id in EXACT:
        if (prefix := prefix_of(query)) is not None:
            add("prefix", prefix, [doc_id], prefix_of=query)
    for query, grades in DESCRIPTIONS:
        ranked = sorted(grades, key=lambda d: (-grades[d], d))
        add("description", query, [d for d in ranked if grades[d] > 0], graded={d: grades[d] for d in ranked})
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if judged.jsonl differs from what would be written")
    parser.add_argument("--elasticsearch", default=ES_URL)
    parser.add_argument("--index", default=INDEX)
    args = parser.parse_args()
    text = render(judged_queries(index_documents(args.elasticsearch, args.index)))
    if args.check:
        if not JUDGED.exists() or JUDGED.read_text() != text:
            sys.exit(f"make_judged: {JUDGED} is not what make_judged.py writes from the index: run it again")
        print(f"{JUDGED}: up to date")
        return
    JUDGED.write_text(text)
    counts: dict[str, int] = defaultdict(int)
    for line in text.splitlines():
        counts[json.loads(line)["category"]] += 1
    print(f"{JUDGED}: " + ", ".join(f"{n} {category}" for category, n in counts.items()))


if __name__ == "__main__":
    main()
