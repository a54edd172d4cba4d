"""No accepted query touches a field outside the allow-list, as Elasticsearch's own parser reads it.

A differential test against the real node: generated adversarial queries go through `check_query`, and the
text of each accepted one is sent, as the service sends it, to `_validate/query?explain=true` on two indices.
REAL maps the allowed fields plus hidden ones (a sub-field, a number, a keyword, text, a date); SHADOW maps only
the allowed fields. A query that reaches only allowed fields reads the same on both; one that reaches a hidden
field or sub-field reads differently, because the field exists in only one of them. Comparing the two, rather
than looking for `name:` in one explanation, keeps values that merely contain `name:` text from looking like
field clauses. Metadata fields (`_id`, `_index`, ...) exist in both, so they are looked for by name.

FIELD_FUZZ_EXAMPLES sets how many queries are generated (default 10,000; more for a longer local run).
"""

import logging
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest
from elasticsearch import Elasticsearch
from hypothesis import HealthCheck, Phase, given, settings

from search_service.elastic import client_options
from search_service.query.body import build_query
from search_service.query.policy import QueryPolicy, QueryRefused, check_query
from tests.conftest import ES_PASSWORD, service_settings
from tests.lucene_strings import ALLOWED_FIELDS, lucene_queries

EXAMPLES = int(os.environ.get("FIELD_FUZZ_EXAMPLES", "10000"))
SEARCH_FIELDS = ["title^2", "body"]
POLICY = QueryPolicy(allowed_fields=ALLOWED_FIELDS)
REGEX_POLICY = QueryPolicy(allowed_fields=ALLOWED_FIELDS, allow_regex=True)
# Requests in flight to the node: on a 2-core machine more than this only queues.
CONCURRENCY = 8

REAL_MAPPING = {
    "properties": {
        "title": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "body": {"type": "text"},
        "tags": {"type": "text"},
        "popularity_rank": {"type": "integer"},
        "secret": {"type": "keyword"},
        "internal_notes": {"type": "text"},
        "created": {"type": "date"},
    }
}
SHADOW_MAPPING = {"properties": {name: {"type": "text"} for name in ALLOWED_FIELDS}}

_METADATA = "_id|_index|_routing|_source|_ignored|_seq_no|_version|_tier|_doc_count|_field_names|_primary_term"
# A metadata field as Lucene prints a clause on it (at the start of a clause), as an exists query on it, as the
# field a lenient failure names, or a match-all that no clause on the allowed fields can print (`_index:*`,
# `_tier:data_content` and `_exists_:_id` print as `*:*`; `#*:*` is what Lucene adds to a purely negative
# query), or a match-none with no reason (`_index:x`).
METADATA_CLAUSE = re.compile(
    rf"(?:^|[\s(+\-#|])(?:{_METADATA}):"
    rf"|FieldExistsQuery \[field=_"
    rf"|\[(?:{_METADATA})\]"
    rf"|(?<!#)\*:\*"
    rf'|MatchNoDocsQuery\(""\)'
)
# Phrases and regular expressions print their content as it was: text there is a value, not a clause.
_PHRASE = re.compile(r':"(?:[^"\\]|\\.)*"')
# Lucene 10 (Elasticsearch 9) prints a regexp query as `field:/.../` (8.19 printed an Automaton).
_REGEXP = re.compile(r":/(?:[^/\\]|\\.)*/")
_AUTOMATON = re.compile(r"Automaton@[0-9a-f]+")


@dataclass(frozen=True)
class Explained:
    valid: bool
    text: str  # the explanation, or the error when not valid


@dataclass
class Tally:
    generated: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # "accepted" or the refusal's code
    accepted: set[str] = field(default_factory=set)  # distinct checked texts
    unexpected: list[tuple[str, str]] = field(default_factory=list)  # (query, exception): check_query bugs


@pytest.fixture(scope="module")
def indices(elasticsearch_url: str) -> Iterator[tuple[str, str]]:
    """REAL and SHADOW, with random names, deleted after the module."""
    suffix = uuid.uuid4().hex
    real, shadow = f"fuzz-real-{suffix}", f"fuzz-shadow-{suffix}"
    with Elasticsearch(**client_options(service_settings())) as client:
        for name, mapping in ((real, REAL_MAPPING), (shadow, SHADOW_MAPPING)):
            client.indices.create(index=name, mappings=mapping, settings={"number_of_replicas": 0})
        try:
            yield real, shadow
        finally:
            client.indices.delete(index=f"{real},{shadow}")


@pytest.fixture(scope="module")
def node(elasticsearch_url: str) -> Iterator[httpx.Client]:
    """A plain HTTP client for the node; quiet, because it sends tens of thousands of requests."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    with httpx.Client(base_url=elasticsearch_url, auth=("elastic", ES_PASSWORD), timeout=30, limits=limits) as client:
        yield client


class Oracle:
    """Asks the node how it reads a query text on both indices and says what, if anything, is wrong."""

    def __init__(self, node: httpx.Client, real: str, shadow: str) -> None:
        self.node, self.real, self.shadow = node, real, shadow

    def explain(self, text: str) -> tuple[Explained, Explained]:
        """How REAL and SHADOW read `text`: one request, which answers for each index."""
        body = {"query": build_query(query=text, fields=SEARCH_FIELDS)}
        answer = self.node.post(f"/{self.real},{self.shadow}/_validate/query", params={"explain": "true"}, json=body)
        answer.raise_for_status()
        readings = {
            explanation["index"]: Explained(
                valid=explanation["valid"],
                text=self._normalise(explanation["explanation"] if explanation["valid"] else explanation["error"]),
            )
            for explanation in answer.json()["explanations"]
        }
        return readings[self.real], readings[self.shadow]

    def _normalise(self, text: str) -> str:
        text = text.replace(self.real, "<index>").replace(self.shadow, "<index>")
        text = re.sub(r"\[<index>/[^\]]*\]", "[<index>]", text)  # the index's UUID in errors
        return _AUTOMATON.sub("Automaton@", text)  # an object's identity in a regex query's print

    def judge(self, text: str) -> tuple[str | None, Explained]:
        """(what is wrong or None, REAL's reading) for a checked query text."""
        real, shadow = self.explain(text)
        if real != shadow:
            return f"reads differently with hidden fields mapped: REAL {real.text!r} / SHADOW {shadow.text!r}", real
        # An error quotes the query: only a query Elasticsearch would run can name a field.
        if real.valid and METADATA_CLAUSE.search(_REGEXP.sub(":/ /", _PHRASE.sub(':""', real.text))):
            return f"names a metadata field: {real.text!r}", real
        return None, real


def test_the_oracle_sees_every_way_of_reaching_a_hidden_field(node, indices):
    """The raw, unchecked texts that reach hidden fields are all caught, so a clean run means something."""
    oracle = Oracle(node, *indices)
    reaching = [
        'x" " +popularity_rank:[1 TO 3] " y"',
        "secret:x",
        "internal_notes:x",
        "created:[2020 TO now]",
        "title.raw:x",
        "_exists_:secret",
        "_exists_:title.raw",
        "_id:x",
        "_index:fuzz*",
        "_index:x OR title:x",
        "_routing:x",
        "_ignored:x",
        "_seq_no:1",
        "_version:1",
        "_tier:data_content",
        "_doc_count:1",
        "_field_names:title",
        "_exists_:_id",
        "_exists_:_routing",
    ]
    missed = [query for query in reaching if oracle.judge(query)[0] is None]

    assert missed == []
    assert oracle.judge('title:"_id:x secret:y" OR body:x')[0] is None  # field-like text in a phrase is a value


def generate_and_check(policies: dict[str, QueryPolicy]) -> tuple[dict[str, Tally], dict[str, str]]:
    """EXAMPLES generated queries through `check_query` under each policy: the tallies, and each distinct
    accepted text with the first query that produced it."""
    tallies = {name: Tally() for name in policies}
    accepted: dict[str, str] = {}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,  # the same queries on every run: CI is reproducible
        database=None,
        deadline=None,
        phases=[Phase.generate],  # judged after generation, against the node, so nothing to shrink here
        suppress_health_check=list(HealthCheck),
    )
    @given(lucene_queries)
    def generate(query: str) -> None:
        for name, policy in policies.items():
            tally = tallies[name]
            tally.generated += 1
            try:
                text = check_query(query, policy).text
            except QueryRefused as refused:
                tally.outcomes[refused.code] += 1
                continue
            except Exception as error:  # a bug in the checker: collected and reported, not one crash
                tally.unexpected.append((query, repr(error)))
                continue
            tally.outcomes["accepted"] += 1
            tally.accepted.add(text)
            accepted.setdefault(text, query)

    generate()
    return tallies, accepted


def test_accepted_queries_reach_only_allowed_fields(node, indices, capsys):
    started = time.perf_counter()
    tallies, accepted = generate_and_check({"default": POLICY, "allow_regex": REGEX_POLICY})
    generated = time.perf_counter()
    oracle = Oracle(node, *indices)
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        verdicts = dict(zip(accepted, pool.map(oracle.judge, accepted), strict=True))
    validated = time.perf_counter()

    leaks = {accepted[text]: (text, problem) for text, (problem, _) in verdicts.items() if problem}
    unparsable = {accepted[text]: (text, reading.text) for text, (_, reading) in verdicts.items() if not reading.valid}
    with capsys.disabled():
        print(
            f"\nfield differential: {EXAMPLES} generated queries ({generated - started:.1f} s), "
            f"{len(accepted)} distinct accepted texts validated on both indices ({validated - generated:.1f} s)"
        )
        for name, tally in tallies.items():
            print(
                f"  policy {name}: {dict(tally.outcomes.most_common())}; {len(tally.accepted)} distinct accepted, "
                f"{len(tally.unexpected)} unexpected errors"
            )
        print(
            f"  disagreements: {len(leaks)} reach a field outside the allow-list, "
            f"{len(unparsable)} accepted but refused by Elasticsearch's parser"
        )
        for query, (text, reason) in list(unparsable.items())[:5]:
            print(f"    unparsable: {query!r} -> {text!r}: {reason[:200]}")

    for tally in tallies.values():
        assert tally.generated == EXAMPLES
        assert tally.unexpected == []
    assert leaks == {}
    assert unparsable == {}
