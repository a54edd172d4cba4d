"""`_highlightResult` and `_snippetResult` from a source value and Elasticsearch's whole-value highlights."""

import pytest

from search_service.instantsearch.body import word_prefix_pattern
from search_service.instantsearch.highlight import fragments_for, highlighted, query_words, snippet, source_value
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


def numbered(count: int, marked: int | None = None) -> str:
    """`w0 w1 … w<count-1>`, the word `marked` between the tags."""
    return " ".join(mark(f"w{n}") if n == marked else f"w{n}" for n in range(count))


def test_false_is_written_as_algolia_writes_it() -> None:
    assert highlighted(False, [], ["x"], PRE, POST)["value"] == "false"


def test_a_typo_match_of_one_word_of_two_is_partial() -> None:
    entry = highlighted("kettle", [mark("kettle")], ["steel", "ketle"], PRE, POST)
    assert entry["matchLevel"] == "partial"
    assert len(entry["matchedWords"]) == 1


def test_a_mark_across_a_line_break_is_a_match() -> None:
    # A keyword value is marked whole, line breaks and all.
    value = "first line\nsecond line"
    assert highlighted(value, [mark(value)], ["first"], PRE, POST)["matchLevel"] == "full"


def test_with_a_tag_left_empty_nothing_is_marked() -> None:
    # Elasticsearch then writes the other tag alone: half a mark is no mark, and the value is shown as it is.
    entry = highlighted("Acme steel", ["Acme steel</em>"], ["steel"], "", "</em>")
    assert entry == {"value": "Acme steel", "matchLevel": "none", "matchedWords": []}
    text = "<em> marks emphasis"  # a document about HTML: the tag's text in the value itself
    entry = highlighted(text, ["<em> marks <em>emphasis"], ["emphasis"], "<em>", "")
    assert entry == {"value": text, "matchLevel": "none", "matchedWords": []}


def test_fragments_are_the_attributes_own_and_its_sub_fields() -> None:
    marks = {"title": ["a"], "title.english": ["b"], "titles": ["c"], "subtitle": ["d"]}
    assert fragments_for(marks, "title") == ["a", "b"]
    assert fragments_for({"title.english": ["b"]}, "title") == ["b"]
    assert fragments_for(marks, "body") == []


def test_source_values_by_names_of_several_dots() -> None:
    assert source_value({"a": {"b": {"c": 1}}}, "a.b.c") == 1
    assert source_value({"a": {"b.c": 2}}, "a.b.c") == 2
    assert source_value({"a": 1}, "a.b") is None
    assert source_value({"a": 1}, "b") is None


@pytest.mark.parametrize("count", range(1, 20))
def test_a_snippet_without_a_match_is_the_start_of_the_value(count: int) -> None:
    cut = snippet(numbered(20), count, PRE, POST, "…")
    assert cut == " ".join(f"w{n}" for n in range(count)) + "…"


def test_a_value_no_longer_than_the_snippet_is_left_as_it_is() -> None:
    assert snippet("a  b\nc", 3, PRE, POST, "…") == "a  b\nc"
    assert snippet("a  b\nc", 4, PRE, POST, "…") == "a  b\nc"


@pytest.mark.parametrize(
    ("marked", "words", "expected"),
    [
        # A third of the words before the match, the rest after.
        (20, 6, f"…w18 w19 {mark('w20')} w21 w22 w23…"),
        (3, 6, f"…w1 w2 {mark('w3')} w4 w5 w6…"),
        (2, 6, f"w0 w1 {mark('w2')} w3 w4 w5…"),
        # Near the end: as many words, taken from before it, and no ellipsis after the last.
        (29, 6, f"…w24 w25 w26 w27 w28 {mark('w29')}"),
        (26, 6, f"…w24 w25 {mark('w26')} w27 w28 w29"),
        (1, 1, f"…{mark('w1')}…"),
    ],
)
def test_a_snippet_is_cut_around_its_first_match(marked: int, words: int, expected: str) -> None:
    assert snippet(numbered(30, marked), words, PRE, POST, "…") == expected


def test_a_snippet_cut_inside_a_mark_closes_it() -> None:
    text = " ".join([*(f"w{n}" for n in range(10)), f"{PRE}m1", "m2", f"m3{POST}", *(f"w{n}" for n in range(13, 30))])
    assert snippet(text, 2, PRE, POST, "…") == f"…{PRE}m1 m2{POST}…"


@pytest.mark.parametrize("words", range(1, 12))
def test_a_snippet_of_several_marks_is_balanced(words: int) -> None:
    text = " ".join(mark(f"w{n}") if n in (0, 2, 5, 9) else f"w{n}" for n in range(12))
    cut = snippet(text, words, PRE, POST, "…")
    assert cut.count(PRE) == cut.count(POST), cut
    assert cut.startswith(mark("w0"))


@pytest.mark.parametrize("words", range(1, 30))
def test_a_closing_tag_in_the_value_itself_is_text_and_opens_no_mark(words: int) -> None:
    # Values are not escaped (as Algolia's are not): a text about HTML may hold `</b>` itself, before the match.
    # Only the marks Elasticsearch made are marks: the snippet neither closes nor opens one for that text.
    before = " ".join(f"w{n}" for n in range(10))
    text = f"{before} close with </b> then <b>match</b> " + " ".join(f"w{n}" for n in range(15, 30))
    cut = snippet(text, words, "<b>", "</b>", "…")
    assert cut.count("<b>") == 1, cut
    assert "<b>match" in cut
    # And when nothing matched.
    cut = snippet(text.replace("<b>match</b>", "match"), words, "<b>", "</b>", "…")
    assert "<b>" not in cut, cut


def test_a_snippet_with_the_same_text_for_both_tags() -> None:
    # Markdown's bold: `**` opens and closes.
    assert snippet("w0 w1 **w2** w3 w4 w5", 3, "**", "**", "…") == "…w1 **w2** w3…"


def test_a_snippet_adds_tags_only_when_there_are_both() -> None:
    text = numbered(10)
    assert snippet(text, 3, "<em>", "", "…") == "w0 w1 w2…"
    assert snippet(text, 3, "", "</em>", "…") == "w0 w1 w2…"


def test_snippets_through_highlighted() -> None:
    text = numbered(30)
    words = ["w20"]
    entry = highlighted(text, [numbered(30, 20)], words, PRE, POST, snippet_words=4, ellipsis=" [...]")
    assert entry == {"value": f" [...]w19 {mark('w20')} w21 w22 [...]", "matchLevel": "full", "matchedWords": words}
    # One word is a snippet too; the default ellipsis is Algolia's.
    assert highlighted(text, [numbered(30, 20)], words, PRE, POST, snippet_words=1)["value"] == f"…{mark('w20')}…"
    # Cut inside a phrase's mark, the mark is closed.
    phrase = f"w0 w1 {PRE}m1 m2 m3{POST} w5 w6"
    entry = highlighted("w0 w1 m1 m2 m3 w5 w6", [phrase], ["m1"], PRE, POST, snippet_words=3)
    assert entry["value"] == f"…w1 {PRE}m1 m2{POST}…"
    # No snippet: the whole value.
    assert highlighted(text, [], words, PRE, POST, snippet_words=0)["value"] == text


def test_each_value_of_a_list_or_an_object_is_cut_alike() -> None:
    long, short = numbered(10), "w0 w1"
    listed = highlighted([long, short], [], ["x"], PRE, POST, snippet_words=3, ellipsis="...")
    assert [entry["value"] for entry in listed] == ["w0 w1 w2...", short]
    nested = highlighted({"a": long, "b": [long]}, [], ["x"], PRE, POST, snippet_words=3, ellipsis="...")
    assert nested["a"]["value"] == "w0 w1 w2..."
    assert nested["b"][0]["value"] == "w0 w1 w2..."


def test_a_dotted_key_holding_an_object() -> None:
    # Elasticsearch indexes {"a.b": {"c": 3}} as the field a.b.c, as it does {"a": {"b": {"c": 3}}}.
    assert source_value({"a.b": {"c": 3}}, "a.b.c") == 3


def test_a_snippet_with_tags_that_have_attributes() -> None:
    # highlightPreTag may be any text: `<em class="hit">` is split by the space in it, the match is never found, and
    # the snippet is the value's start, cut inside the tag (`w0 w1 w2 <em…`).
    pre, post = '<em class="hit">', "</em>"
    text = numbered(30).replace("w20", f"{pre}w20{post}")
    assert snippet(text, 4, pre, post, "…") == f"…w19 {pre}w20{post} w21 w22…"
    for words in range(1, 10):
        cut = snippet(numbered(30).replace("w3", f"{pre}w3{post}"), words, pre, post, "…")
        assert cut.count("<em") == cut.count(post), cut


def test_a_snippet_cut_inside_a_mark_with_the_same_text_for_both_tags() -> None:
    assert snippet("w0 **m1 m2 m3** w4", 2, "**", "**", "…") == "…**m1 m2**…"  # w0 was cut: an ellipsis
