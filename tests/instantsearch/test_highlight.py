"""`_highlightResult` and `_snippetResult` from a source value and Elasticsearch's whole-value highlights."""

from search_service.instantsearch.body import word_prefix_pattern
from search_service.instantsearch.highlight import highlighted, query_words, snippet, source_value
from search_service.instantsearch.response import mark_word_start

PRE, POST = "__ais-highlight__", "__/ais-highlight__"


def mark(word: str) -> str:
    return f"{PRE}{word}{POST}"


def test_full_partial_and_none() -> None:
    words = query_words("Steel Kettle")
    assert words == ["steel", "kettle"]
    both = f"Acme {mark('steel')} {mark('kettles')}"
    entry = highlighted("Acme steel kettles", [both], words, PRE, POST)
    assert entry == {"value": both, "matchLevel": "full", "matchedWords": ["steel", "kettle"]}
    one = highlighted("Acme steel", [f"Acme {mark('steel')}"], words, PRE, POST)
    assert one["matchLevel"] == "partial"
    assert one["matchedWords"] == ["steel"]
    assert highlighted("Acme", [], words, PRE, POST) == {"value": "Acme", "matchLevel": "none", "matchedWords": []}


def test_a_typo_match_is_a_match() -> None:
    entry = highlighted("kettle", [mark("kettle")], ["ketle"], PRE, POST)
    assert entry["matchLevel"] == "full"


def test_lists_objects_and_numbers() -> None:
    value = ["sale", "new"]
    entries = highlighted(value, [mark("new")], ["new"], PRE, POST)
    assert [entry["value"] for entry in entries] == ["sale", mark("new")]
    assert highlighted(9.5, [], ["x"], PRE, POST)["value"] == "9.5"
    assert highlighted(True, [], ["x"], PRE, POST)["value"] == "true"
    assert highlighted({"a": "b"}, [], ["x"], PRE, POST) == {
        "a": {"value": "b", "matchLevel": "none", "matchedWords": []}
    }


def test_a_snippet_is_the_words_around_the_first_match_with_ellipses() -> None:
    text = " ".join(f"w{n}" for n in range(30)).replace("w20", mark("w20"))
    cut = snippet(text, 6, PRE, POST, "…")
    assert cut.startswith("…")
    assert cut.endswith("…")
    assert mark("w20") in cut
    assert len(cut.strip("…").split()) == 6
    assert snippet("a b c", 6, PRE, POST, "…") == "a b c"
    assert snippet(" ".join(["x"] * 20), 5, PRE, POST, "...") == "x x x x x..."


def test_a_snippet_never_leaves_a_tag_open() -> None:
    text = " ".join(["a"] * 10) + f" {PRE}b c d{POST} " + " ".join(["e"] * 10)
    for words in range(1, 15):
        cut = snippet(text, words, PRE, POST, "…")
        assert cut.count(PRE) == cut.count(POST), cut


def test_source_values_by_dotted_name() -> None:
    source = {"a": {"b": 1}, "c.d": 2}
    assert source_value(source, "a.b") == 1
    assert source_value(source, "c.d") == 2
    assert source_value(source, "a.x") is None


def test_facet_value_search_marks_and_patterns() -> None:
    assert mark_word_start("Big Acme", "ac", "<b>", "</b>") == "Big <b>Ac</b>me"
    assert mark_word_start("Acme", "", "<b>", "</b>") == "Acme"
    assert mark_word_start("bacon", "ac", "<b>", "</b>") == "bacon"  # not at a word's start
    assert word_prefix_pattern("ac") == "(.*[^a-zA-Z0-9])?[aA][cC].*"
    assert word_prefix_pattern('a.*"(') == '(.*[^a-zA-Z0-9])?[aA]\\.\\*\\"\\(.*'
