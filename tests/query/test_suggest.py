"""Completions: the body asks Elasticsearch for literal prefixes only, and the answer is ranked, distinct and
bounded, and refused when malformed. No server."""

import json
from typing import Any

import pytest

from search_service.faults import ElasticsearchAnswerMalformed
from search_service.query.suggest import MAX_CANDIDATES, build_suggest_body, suggest_response

FIELD = "qualname.raw"


def body(prefix: str = "json.d", **options: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {"prefix": prefix, "field": FIELD, "size": 5}
    return build_suggest_body(**(defaults | options))


def clauses(built: dict[str, Any]) -> dict[str, Any]:
    """Each tier's query, by its kind, with its boost."""
    tiers = built["query"]["bool"]["should"]
    return {
        next(iter(tier["constant_score"]["filter"])): (
            tier["constant_score"]["boost"],
            next(iter(tier["constant_score"]["filter"].values())),
        )
        for tier in tiers
    }


def test_the_whole_value_outranks_a_start_which_outranks_a_word():
    tiers = clauses(body("JSON.D"))

    assert tiers["term"] == (4.0, {FIELD: {"value": "JSON.D", "case_insensitive": True}})
    assert tiers["prefix"] == (2.0, {FIELD: {"value": "JSON.D", "case_insensitive": True}})
    assert tiers["match_bool_prefix"] == (1.0, {FIELD: {"query": "JSON.D", "operator": "and"}})
    assert body()["query"]["bool"]["minimum_should_match"] == 1


@pytest.mark.parametrize("prefix", ["js*", "?", "a\\*", '"x', "x~2", "/re.*/", "title:x", "é😀"])
def test_the_prefix_reaches_elasticsearch_only_as_a_literal(prefix):
    built = body(prefix)
    text = json.dumps(built)

    # No query that gives * or ? a meaning: only term, prefix and match_bool_prefix, each with the text as it is.
    for kind in ("wildcard", "query_string", "simple_query_string", "regexp", "fuzzy"):
        assert f'"{kind}"' not in text
    assert {value for _, query in clauses(built).values() for value in _values(query)} == {prefix}


def _values(query: dict[str, Any]) -> list[str]:
    return [options.get("value", options.get("query")) for options in query.values()]


def test_reads_only_the_field_counts_nothing_and_stops_at_the_timeout():
    built = body(timeout_seconds=0.25)

    assert built["_source"] is False
    assert built["fields"] == [FIELD]
    assert built["track_total_hits"] is False
    assert built["timeout"] == "250ms"
    assert "timeout" not in body()


@pytest.mark.parametrize(("size", "candidates"), [(1, 4), (5, 20), (20, 80), (100, MAX_CANDIDATES)])
def test_fetches_a_few_candidates_per_suggestion_within_a_cap(size, candidates):
    assert body(size=size)["size"] == candidates


@pytest.mark.parametrize(
    ("rank_field", "sort"),
    [
        ("", [{"_score": {"order": "desc"}}]),
        (
            "popularity",
            [
                {"_score": {"order": "desc"}},
                {"popularity": {"order": "desc", "missing": "_last", "unmapped_type": "double"}},
            ],
        ),
        (
            "-rank",
            [
                {"_score": {"order": "desc"}},
                {"rank": {"order": "asc", "missing": "_last", "unmapped_type": "double"}},
            ],
        ),
    ],
)
def test_the_rank_field_orders_within_a_tier_and_may_be_missing_or_unmapped(rank_field, sort):
    assert body(rank_field=rank_field)["sort"] == sort


def hit(doc_id: str, *values: str, sort: list[Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"_index": "docs", "_id": doc_id, "_score": None, "sort": sort or [3.0]}
    if values:
        found["fields"] = {FIELD: list(values)}
    return found


def answer(*hits: Any) -> dict[str, Any]:
    return {"took": 2, "timed_out": False, "hits": {"hits": list(hits)}}


def texts(result: dict[str, Any]) -> list[str]:
    return [suggestion["text"] for suggestion in result["suggestions"]]


def shaped(*hits: dict[str, Any], prefix: str = "json.d", size: int = 5) -> dict[str, Any]:
    return suggest_response(answer(*hits), prefix=prefix, field=FIELD, size=size)


def test_an_answer_is_shaped_as_documented():
    assert shaped(hit("json.dumps", "json.dumps")) == {
        "prefix": "json.d",
        "took_ms": 2,
        "suggestions": [{"text": "json.dumps", "id": "json.dumps"}],
    }


def test_within_a_tie_shorter_values_come_first_and_tiers_and_rank_come_before_length():
    result = shaped(
        hit("exact", "json.d", sort=[7.0, 1]),
        hit("long-popular", "json.decoder.JSONDecoder", sort=[3.0, 90]),
        hit("long", "json.decoder", sort=[3.0, 5]),
        hit("short", "json.dump", sort=[3.0, 5]),
        hit("word", "simplejson.d", sort=[1.0, 99]),
    )

    assert texts(result) == ["json.d", "json.decoder.JSONDecoder", "json.dump", "json.decoder", "simplejson.d"]


def test_values_that_start_with_the_prefix_come_before_word_matches_of_the_same_tie():
    result = shaped(hit("a", "the json dump"), hit("b", "JSON dump tool"), prefix="json d")

    assert texts(result) == ["JSON dump tool", "the json dump"]


def test_a_value_is_suggested_once_naming_its_best_document():
    result = shaped(hit("first", "json"), hit("second", "json"), hit("third", "jsonl"), prefix="js")

    assert result["suggestions"] == [{"text": "json", "id": "first"}, {"text": "jsonl", "id": "third"}]


def test_of_a_multi_valued_field_only_the_values_that_complete_the_prefix_are_suggested():
    result = shaped(hit("tags", "xml", "json", "yaml"), prefix="js")

    assert texts(result) == ["json"]


def test_sorted_by_score_alone_hits_of_equal_score_are_a_tie():
    # Elasticsearch leaves `sort` out of the hits when the order is its default, `_score` alone.
    unsorted = [
        {"_id": doc_id, "_score": score, "fields": {FIELD: [doc_id]}}
        for doc_id, score in [("json.decoder", 3.0), ("json.dumps", 3.0), ("json.d.x", 1.0)]
    ]

    assert texts(shaped(*unsorted)) == ["json.dumps", "json.decoder", "json.d.x"]


def test_hits_without_the_field_are_skipped_and_the_list_stops_at_size():
    result = shaped(hit("none"), *(hit(f"d{n}", f"json.d{n}") for n in range(9)), size=3)

    assert texts(result) == ["json.d0", "json.d1", "json.d2"]


@pytest.mark.parametrize(
    "malformed",
    [
        None,
        [],
        {"took": 1},
        {"took": 1, "hits": {}},
        {"hits": {"hits": []}},
        {"took": -1, "hits": {"hits": []}},
        {"took": True, "hits": {"hits": []}},
        answer("not a hit"),
        answer({"_id": 1, "sort": [1]}),
        answer({"_id": "a"}),
        answer({"_id": "a", "_score": "1"}),
        answer({"_id": "a", "sort": "1"}),
        answer({"_id": "a", "sort": [1], "fields": []}),
        answer({"_id": "a", "sort": [1], "fields": {FIELD: "json"}}),
        answer({"_id": "a", "sort": [1], "fields": {FIELD: [1]}}),
    ],
)
def test_a_malformed_answer_is_refused(malformed):
    with pytest.raises(ElasticsearchAnswerMalformed):
        suggest_response(malformed, prefix="j", field=FIELD, size=5)
