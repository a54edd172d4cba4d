"""Did you mean under a tenant token: counted within the tenant's filters, and never a word only another tenant's
documents hold (issue 24). No server."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from search_service.query.filters import ValueFilter
from search_service.query.spelling import (
    HELD_COUNTS,
    WORD_COUNTS,
    build_held_body,
    build_spelling_body,
    held_counts,
    spelling_candidates,
    spelling_suggestions,
)

FIELDS = ["title^2", "body"]
TENANT = [ValueFilter("customer", "acme")]
ACME = {"terms": {"customer": ["acme"]}}


def suggested(*options: tuple[str, float, int], word: str = "pyhton") -> dict[str, Any]:
    entries = [{"text": word, "offset": 0, "length": len(word), "options": []}]
    entries[0]["options"] = [{"text": text, "score": score, "freq": freq} for text, score, freq in options]
    return {"aggregations": {WORD_COUNTS: {"buckets": {"0": {"doc_count": 0}}}}, "suggest": {"body": entries}}


def test_the_words_are_counted_within_the_tenant():
    body = build_spelling_body("pyhton", FIELDS, timeout_seconds=1, tenant_filters=TENANT)
    assert body is not None
    assert body["query"]["bool"]["filter"] == [ACME]
    assert "suggest" in body
    alone = build_spelling_body("pyhton", FIELDS, timeout_seconds=1)
    assert alone is not None
    assert "filter" not in alone["query"]["bool"]


def test_the_candidates_are_every_word_offered_once():
    answer = suggested(("python", 0.8, 700), ("pylon", 0.8, 30), ("python", 0.7, 5))
    assert spelling_candidates("pyhton", answer) == ["pylon", "python"]
    assert spelling_candidates("pyhton", "not an answer") == []


def test_the_candidates_are_counted_within_the_tenant_in_the_searched_fields():
    body = build_held_body(["pylon", "python"], FIELDS, TENANT, timeout_seconds=1)
    assert body is not None
    assert body["size"] == 0
    assert body["query"]["bool"]["filter"] == [ACME]
    counted = body["aggs"][HELD_COUNTS]["filters"]["filters"]
    assert counted["1"] == {"multi_match": {"query": "python", "fields": ["title", "body"], "lenient": True}}
    assert build_held_body([], FIELDS, TENANT, timeout_seconds=1) is None


def test_held_counts_are_read_or_not_at_all():
    buckets = {"0": {"doc_count": 0}, "1": {"doc_count": 40}}
    assert held_counts(["pylon", "python"], {"aggregations": {HELD_COUNTS: {"buckets": buckets}}}) == {
        "pylon": 0,
        "python": 40,
    }
    assert (
        held_counts(["pylon", "python"], {"aggregations": {HELD_COUNTS: {"buckets": {"0": {"doc_count": 1}}}}}) is None
    )
    assert held_counts(["pylon"], {"timed_out": True, "aggregations": {HELD_COUNTS: {"buckets": buckets}}}) is None
    assert held_counts(["pylon"], []) is None


def test_a_word_only_another_tenant_holds_is_never_suggested():
    # The index holds `python` 700 times, all of them in another tenant's documents; this tenant holds `pylon`.
    answer = suggested(("python", 0.8, 700), ("pylon", 0.8, 30))
    assert spelling_suggestions("pyhton", answer) == ["python", "pylon"]
    assert spelling_suggestions("pyhton", answer, held={"python": 0, "pylon": 30}) == ["pylon"]
    assert spelling_suggestions("pyhton", answer, held={}) == []


@given(
    st.lists(
        st.tuples(st.sampled_from(["python", "pylon", "photon", "pytho"]), st.floats(0.5, 1), st.integers(0, 1000)),
        max_size=6,
    ),
    st.dictionaries(st.sampled_from(["python", "pylon", "photon", "pytho"]), st.integers(0, 1000)),
)
def test_every_suggestion_is_a_word_the_tenant_holds(options, held):
    for suggestion in spelling_suggestions("pyhton", suggested(*options), held=held):
        assert held.get(suggestion, 0) > 0
