"""The attack's index: the demo corpus copied up to a size where wildcard and fuzzy terms cost what they
cost on a real corpus."""

import json
import random
import re
from typing import Any

import httpx

from benchmarks.attack.plan import AUTH
from benchmarks.harness import ES_URL, commands_run, log
from search_service.demo import DEMO_MAPPING, stdlib_documents

# A copy alters this share of its words of five letters or more by one letter, so the term dictionary grows.
MUTATION_RATE = 0.05
WORD = re.compile(r"[A-Za-z]{5,}")


def ensure_attack_index(documents: int) -> str:
    """An index of `documents` demo documents: the demo corpus copied with new ids, 5% of each copy's longer
    words altered by one letter so that the term dictionary grows as a real corpus' does (that is what
    wildcard and fuzzy terms expand over). Reused when it already holds that many; merged to one segment."""
    index = f"bench-attack-{documents}"
    count = httpx.get(f"{ES_URL}/{index}/_count", auth=AUTH, timeout=30)
    if count.status_code == 200 and count.json()["count"] == documents and _has_demo_fields(index):
        log(f"attack: reusing index {index}")
        return index
    log(f"attack: building index {index} ({documents:,} documents)")
    httpx.delete(f"{ES_URL}/{index}", auth=AUTH, timeout=60)
    created = httpx.put(
        f"{ES_URL}/{index}",
        json={"mappings": DEMO_MAPPING, "settings": {"number_of_replicas": 0, "refresh_interval": "-1"}},
        auth=AUTH,
        timeout=60,
    )
    created.raise_for_status()
    commands_run.append(f"PUT {ES_URL}/{index} (demo mapping), then _bulk {documents:,} documents")
    with httpx.Client(auth=AUTH, timeout=300) as client:
        batch: list[str] = []
        for document_id, source in _replicated_documents(documents):
            batch += [json.dumps({"index": {"_id": document_id}}), json.dumps(source)]
            if len(batch) >= 4000:
                _bulk(client, index, batch)
                batch = []
        if batch:
            _bulk(client, index, batch)
        client.put(f"{ES_URL}/{index}/_settings", json={"index": {"refresh_interval": None}}).raise_for_status()
        client.post(f"{ES_URL}/{index}/_refresh").raise_for_status()
        client.post(f"{ES_URL}/{index}/_forcemerge?max_num_segments=1", timeout=900).raise_for_status()
    commands_run.append(f"POST {ES_URL}/{index}/_forcemerge?max_num_segments=1")
    return index


def _has_demo_fields(index: str) -> bool:
    """Whether the index has the demo mapping's fields, each of its type: one built before the demo mapping changed
    would fail the service's start-up check of SEARCH_FIELDS."""
    answer = httpx.get(f"{ES_URL}/{index}/_mapping", auth=AUTH, timeout=30)
    if answer.status_code != 200:
        return False
    properties = next(iter(answer.json().values()))["mappings"].get("properties", {})
    wanted = {name: field.get("type") for name, field in DEMO_MAPPING["properties"].items()}
    return {name: field.get("type") for name, field in properties.items()} == wanted


def _bulk(client: httpx.Client, index: str, lines: list[str]) -> None:
    answer = client.post(
        f"{ES_URL}/{index}/_bulk",
        content="\n".join(lines) + "\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    answer.raise_for_status()
    if answer.json()["errors"]:
        raise RuntimeError(f"bulk load into {index} failed: {answer.text[:500]}")


def _replicated_documents(documents: int) -> list[tuple[str, dict[str, Any]]]:
    originals = list(stdlib_documents())
    rng = random.Random(7)

    def mutate(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            word = match.group(0)
            if rng.random() >= MUTATION_RATE:
                return word
            i = rng.randrange(1, len(word) - 1)
            return word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1 :]

        return WORD.sub(one, text)

    out: list[tuple[str, dict[str, Any]]] = []
    copy = 0
    while len(out) < documents:
        for original in originals[: documents - len(out)]:
            source = {k: v for k, v in original.items() if k != "_id"}
            document_id = str(original["_id"])
            if copy:
                document_id += f"~{copy}"
                source["summary"] = mutate(source["summary"])
                source["docstring"] = mutate(source["docstring"])
            out.append((document_id, source))
        copy += 1
    return out
