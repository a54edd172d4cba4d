"""Did you mean: which words are looked up, in which fields, and how the suggester's answer becomes corrected
queries; a malformed answer gives none. No server."""

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_service.query.spelling import (
    MAX_SUGGESTIONS,
    WORD_COUNTS,
    build_spelling_body,
    found_at_most,
    spelling_suggestions,
)
from search_service.query.spelling_words import MAX_LETTERS, MAX_WORDS

FIELDS = ["qualname^3", "name^3", "summary^2", "docstring"]


def body(query: str, fields: list[str] = FIELDS) -> dict[str, Any]:
    built = build_spelling_body(query, fields, timeout_seconds=1.5)
    assert built is not None
    return built


def words_sent(query: str) -> list[str]:
    built = build_spelling_body(query, FIELDS, timeout_seconds=1)
    return [] if built is None else str(built["suggest"]["text"]).split(" ")


def entry(word: str, offset: int, *options: tuple[str, float, int]) -> dict[str, Any]:
    return {
        "text": word,
        "offset": offset,
        "length": len(word),
        "options": [{"text": text, "score": score, "freq": freq} for text, score, freq in options],
    }


def answer(suggest: dict[str, list[dict[str, Any]]], *counts: int) -> dict[str, Any]:
    buckets = {str(number): {"doc_count": count} for number, count in enumerate(counts)}
    return {"aggregations": {WORD_COUNTS: {"buckets": buckets}}, "suggest": suggest}


def test_the_body_asks_each_searched_field_without_its_boost_and_no_hits():
    built = body("pyhton")

    assert built["size"] == 0
    assert built["track_total_hits"] is False
    assert built["timeout"] == "1500ms"
    assert built["suggest"]["text"] == "pyhton"
    assert {name for name in built["suggest"] if name != "text"} == {"qualname", "name", "summary", "docstring"}
    for name in ("qualname", "name", "summary", "docstring"):
        assert built["suggest"][name]["term"]["field"] == name
        assert built["suggest"][name]["term"]["suggest_mode"] == "always"


def test_the_body_counts_each_word_in_the_searched_fields_only():
    built = body("pyhton jsno")

    count = {
        "multi_match": {"query": "pyhton", "fields": ["qualname", "name", "summary", "docstring"], "lenient": True}
    }
    filters = built["aggs"][WORD_COUNTS]["filters"]["filters"]
    assert filters["0"] == count
    assert filters["1"]["multi_match"]["query"] == "jsno"
    assert built["query"] == {"bool": {"should": [filters["0"], filters["1"]]}}
    assert "secret" not in json.dumps(built)


def test_a_field_pattern_is_counted_but_not_given_to_a_suggester():
    built = body("pyhton", ["name", "meta.*^2"])

    assert {name for name in built["suggest"] if name != "text"} == {"name"}
    assert built["aggs"][WORD_COUNTS]["filters"]["filters"]["0"]["multi_match"]["fields"] == ["name", "meta.*"]
    assert build_spelling_body("pyhton", ["meta.*"], timeout_seconds=1) is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pyhton", ["pyhton"]),
        ("Pyhton PYHTON pyhton", ["pyhton"]),
        ("jsno AND dumsp", ["jsno", "dumsp"]),
        ('"read csv fiel"', ["read", "fiel"]),
        ("json.dumps pyhton", ["pyhton"]),
        ("name:pyhton jsno", ["jsno"]),
        ("name: pyhton jsno", ["jsno"]),
        ("name:(pyhton OR jsno) other", ["other"]),
        ('name:"pyhton jsno" other', ["other"]),
        ("_exists_:name", []),
        ("pyhton~1 deserial* dump?", []),
        ("[alpha TO omega] word", ["word"]),
        ("{alpha TO omega} word", ["word"]),
        ("/pyhto.*/ word", ["word"]),
        ("(pyhton^2 OR +jsno) -pickel", ["pyhton", "jsno", "pickel"]),
        ("py3k utf8 x_y some_name", []),
        ("héllo wörld", ["héllo", "wörld"]),
        ("a an the and jsn", []),  # three letters and fewer: too many neighbours
        ("AND OR NOT TO", []),
    ],
)
def test_only_plain_words_outside_fields_ranges_and_patterns_are_looked_up(query, expected):
    assert words_sent(query) == expected


def test_the_words_are_bounded_in_number_and_letters():
    many = " ".join(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"])
    assert words_sent(many) == ["alpha", "bravo", "charlie", "delta", "echo"][:MAX_WORDS]
    long_words = " ".join(letter * 45 for letter in "abcdef")
    assert sum(len(word) for word in words_sent(long_words)) <= MAX_LETTERS
    assert words_sent("x" * 51) == []


def test_nothing_to_correct_is_no_body():
    assert build_spelling_body("a1 b2 json.dumps *", FIELDS, timeout_seconds=1) is None


def test_a_misspelt_word_is_replaced_by_its_closest_best_held_neighbour():
    suggest = {
        "docstring": [entry("pyhton", 0, ("python", 0.83, 762), ("python3", 0.67, 1))],
        "name": [entry("pyhton", 0, ("python", 0.83, 11))],
    }

    assert spelling_suggestions("pyhton", answer(suggest, 0)) == ["python"]


def test_neighbours_as_close_come_most_held_first_and_at_most_three():
    options = [("fill", 0.75, 30), ("file", 0.75, 700), ("field", 0.75, 300), ("fiem", 0.75, 2), ("fuel", 0.5, 900)]
    suggest = {"docstring": [entry("read", 0), entry("fiel", 5, *options)]}

    suggestions = spelling_suggestions("read fiel", answer(suggest, 244, 0))

    assert suggestions == ["read file", "read field", "read fill"]
    assert len(suggestions) <= MAX_SUGGESTIONS


def test_each_misspelt_word_is_replaced_where_and_as_the_caller_wrote_it():
    suggest = {
        "summary": [
            entry("jsno", 0, ("json", 0.75, 17)),
            entry("dumsp", 5, ("dumps", 0.8, 40), ("dump", 0.8, 10)),
        ]
    }

    suggestions = spelling_suggestions("(Jsno AND DUMSP) OR jsno", answer(suggest, 0, 0))

    assert suggestions == ["(Json AND DUMPS) OR json", "(Json AND DUMP) OR json"]


def test_a_word_the_fields_hold_is_corrected_only_to_a_far_better_held_one():
    typo = {"docstring": [entry("pyhton", 0, ("python", 0.83, 762))]}
    real = {"docstring": [entry("json", 0, ("join", 0.75, 29))]}

    assert spelling_suggestions("pyhton", answer(typo, 1)) == ["python"]
    assert spelling_suggestions("json", answer(real, 21)) == []


def test_a_word_of_unknown_count_is_left_alone():
    suggest = {"docstring": [entry("pyhton", 0, ("python", 0.83, 762))]}

    assert spelling_suggestions("pyhton", {"suggest": suggest}) == []


def test_an_entry_for_a_token_the_analyser_changed_is_ignored():
    # A stemmer made `running` into `run`, a splitter cut a word: the offsets or the text no longer match.
    suggest = {
        "a": [{"text": "run", "offset": 0, "length": 7, "options": [{"text": "ran", "score": 0.7, "freq": 50}]}],
        "b": [{"text": "runn", "offset": 0, "length": 4, "options": [{"text": "rung", "score": 0.7, "freq": 50}]}],
    }

    assert spelling_suggestions("running", answer(suggest, 0)) == []


def test_offsets_count_utf16_units_as_elasticsearch_does():
    # U+1D49C is a letter of one code point and two UTF-16 units: `wörld` starts at 9 for Java, 5 for Python.
    script_a = "\U0001d49c"
    query = f"{script_a * 4} wörld"
    at_java_offset = {"name": [entry("wörld", 9, ("world", 0.8, 5))]}
    at_python_offset = {"name": [entry("wörld", 5, ("world", 0.8, 5))]}

    assert spelling_suggestions(query, answer(at_java_offset, 0, 0)) == [f"{script_a * 4} world"]
    assert spelling_suggestions(query, answer(at_python_offset, 0, 0)) == []


def test_an_option_that_is_not_a_plain_word_is_not_suggested():
    options = [("py thon", 0.9, 50), ("py:thon", 0.9, 50), ("py*", 0.9, 50), ("pyhton", 0.9, 50), ("python", 0.8, 9)]
    suggest = {"name": [entry("pyhton", 0, *options)]}

    assert spelling_suggestions("pyhton", answer(suggest, 0)) == ["python"]


@pytest.mark.parametrize("cut_short", [{"timed_out": True}, {"_shards": {"total": 2, "failed": 1}}])
def test_counts_from_a_search_cut_short_give_no_suggestions(cut_short):
    suggest = {"docstring": [entry("pyhton", 0, ("python", 0.83, 762))]}

    assert spelling_suggestions("pyhton", answer(suggest, 0) | {"timed_out": False}) == ["python"]
    assert spelling_suggestions("pyhton", answer(suggest, 0) | cut_short) == []


@pytest.mark.parametrize(
    ("total", "limit", "expected"),
    [
        ({"value": 3, "relation": "eq"}, 3, True),
        ({"value": 0, "relation": "eq"}, 0, True),
        ({"value": 4, "relation": "eq"}, 3, False),
        ({"value": 0, "relation": "gte"}, 3, False),  # counting stopped: there may be many more
        ({"value": True, "relation": "eq"}, 3, False),
        ({"value": "1", "relation": "eq"}, 3, False),
        (None, 3, False),
    ],
)
def test_few_hits_means_an_exact_total_within_the_limit(total, limit, expected):
    assert found_at_most({"hits": {"total": total, "hits": []}}, limit) is expected
    assert found_at_most([], limit) is False


@pytest.mark.parametrize("cut_short", [{"timed_out": True}, {"_shards": {"total": 2, "failed": 1}}])
def test_the_total_of_a_search_cut_short_is_not_few_hits(cut_short):
    result = {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}, "timed_out": False}

    assert found_at_most(result, 3) is True
    assert found_at_most(result | cut_short, 3) is False


@pytest.mark.parametrize(
    "weird",
    [
        None,
        [],
        "suggest",
        {},
        {"suggest": None},
        {"suggest": {"name": "x"}},
        {"suggest": {"name": [None, 1, "x"]}},
        {"suggest": {"name": [{"text": "pyhton", "offset": [0], "length": {}, "options": []}]}},
        {"suggest": {"name": [{"text": "pyhton", "offset": 0, "length": 6, "options": "python"}]}},
        {"suggest": {"name": [{"text": "pyhton", "offset": 0, "length": 6, "options": [None, {"text": 5}]}]}},
        answer({"name": [entry("pyhton", 0, ("python", float("nan"), 9))]}, 0),
        answer({"name": [{"text": "pyhton", "offset": 0, "length": 6, "options": [{"text": "python"}]}]}, 0),
        answer({"name": [entry("pyhton", 0, ("python", 0.8, -1))]}, 0),
        {"aggregations": {WORD_COUNTS: {"buckets": [1]}}, "suggest": {"name": [entry("pyhton", 0, ("python", 1, 9))]}},
        {"aggregations": {WORD_COUNTS: {"buckets": {"0": {"doc_count": "0"}}}}},
        {"aggregations": [], "suggest": []},
    ],
)
def test_a_malformed_answer_gives_no_suggestions(weird):
    assert spelling_suggestions("pyhton", weird) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)
ANSWERS = st.fixed_dictionaries(
    {},
    optional={
        "aggregations": st.fixed_dictionaries({WORD_COUNTS: st.fixed_dictionaries({"buckets": JSON})}) | JSON,
        "suggest": st.dictionaries(st.sampled_from(["name", "summary"]), st.lists(JSON, max_size=3)) | JSON,
    },
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(query=st.sampled_from(["pyhton", "jsno dumsp", "x"]) | st.text(max_size=30), weird=ANSWERS | JSON)
def test_no_answer_makes_it_raise(query, weird):
    suggestions = spelling_suggestions(query, weird)

    assert isinstance(suggestions, list)
    assert len(suggestions) <= MAX_SUGGESTIONS
    assert all(isinstance(suggestion, str) and suggestion != query for suggestion in suggestions)
