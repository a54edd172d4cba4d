"""The tolerant pass's text (query/tolerance.py): which words get typos and which is completed, without a server."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search_service.query.tolerance import MAX_RELAXED_WORDS, Tolerance, most_typos, tolerant_text

AUTO = Tolerance(most_typos=2, prefix=True)
TYPOS_ONLY = Tolerance(most_typos=2, prefix=False)


def relaxed(query: str, tolerance: Tolerance = AUTO) -> str | None:
    found = tolerant_text(query, tolerance)
    return None if found is None else found.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("+pyhton", "+(pyhton* | pyhton~1)"),  # the last word: being typed, or misspelt
        ("pyhton +json", "pyhton~1 +(json* | json~1)"),
        ("+defaultdictt", "+(defaultdictt* | defaultdictt~2)"),  # 8 letters and more: two typos
        ("+abc", "+abc*"),  # too short for a typo, long enough to complete
        ("+a", None),  # too short for either
        ("+utf8 2024", "+utf8~1 2024*"),  # a number never gets a typo; a word with digits may
        ("+12345 x", None),
        ("+json.dumsp", "+(json~1 (dumsp* | dumsp~1))"),  # split as the simple analyser splits names
        ("-pickle pyhton", "-pickle (pyhton* | pyhton~1)"),  # what is excluded is not relaxed
        ("-(caching words) pyhton", "-(caching words) (pyhton* | pyhton~1)"),
        ('"exact phrase" pyhton', '"exact phrase" (pyhton* | pyhton~1)'),  # nor a phrase
        ('pyhton "unclosed words', 'pyhton~1 "unclosed words'),  # nor what follows a stray quote
        ("pyhton", "(pyhton* | pyhton~1)"),
        ("json.dumsp", "(json~1 (dumsp* | dumsp~1))"),
        ("b64encdoe", "(b64encdoe* | b64encdoe~2)"),  # a word with digits is a word; only a number is not
        ("abc-2024", "(abc 2024*)"),
        ("pyhton~2", "(pyhton~1 2*)"),  # the caller's ~ is text in this mode, as in the exact pass
        ("pyhton*", "((pyhton* | pyhton~1))"),
        ("+pyhton | jsno", "+pyhton~1 | (jsno* | jsno~1)"),
    ],
)
def test_what_is_relaxed(query, expected):
    assert relaxed(query) == expected


def test_typos_zero_completes_the_last_word_only():
    assert relaxed("pyhton +jsno", Tolerance(most_typos=0, prefix=True)) == "pyhton +jsno*"
    assert relaxed("pyhton jsno", Tolerance(most_typos=0, prefix=True)) == "pyhton jsno*"


def test_prefix_false_gives_typos_only():
    assert relaxed("pyhton +jsno", TYPOS_ONLY) == "pyhton~1 +jsno~1"


def test_nothing_to_relax_is_no_second_pass():
    assert tolerant_text("pyhton", Tolerance(most_typos=0, prefix=False)) is None
    assert tolerant_text("ab 12", TYPOS_ONLY) is None


def test_one_typo_at_most_when_asked():
    one = Tolerance(most_typos=1, prefix=False)
    assert relaxed("+defaultdictt", one) == "+defaultdictt~1"


def test_the_word_lengths_are_settings():
    strict = Tolerance(most_typos=2, prefix=False, min_letters_one_typo=6, min_letters_two_typos=13)
    assert relaxed("+jsno pyhton defaultdictt", strict) == "+jsno pyhton~1 defaultdictt~1"


def test_a_completion_of_one_letter_is_a_part_of_a_longer_word_and_priced_apart():
    found = tolerant_text("disk_u", AUTO)
    assert found is not None
    assert (found.text, found.prefixed, found.short_prefix) == ("(disk~1 u*)", True, True)
    longer = tolerant_text("disk_us", AUTO)
    assert longer is not None
    assert (longer.prefixed, longer.short_prefix) == (True, False)
    assert tolerant_text("u", AUTO) is None


def test_auto_is_two():
    assert [most_typos(value) for value in ("0", "1", "2", "auto")] == [0, 1, 2, 2]


def test_the_number_of_relaxed_words_is_bounded():
    found = tolerant_text("+" + " ".join(["pyhton"] * 20), TYPOS_ONLY)
    assert found is not None
    assert found.fuzzy_words == MAX_RELAXED_WORDS
    assert found.text.count("~") == MAX_RELAXED_WORDS


def test_highlighting_leaves_the_typos_out():
    found = tolerant_text("pyhton +json.du", AUTO)
    assert found is not None
    assert found.text == "pyhton~1 +(json~1 du*)"
    assert found.completed_text == "pyhton +(json du*)"


# Any text a caller can send: the operators of the syntax are over-represented.
QUERIES = st.text(alphabet=st.sampled_from('ab pyhton2_.-+|~*"()\\é字'), max_size=60)
_OPERATOR = re.compile(r"(?<!\\)(?:\\\\)*([~*])")  # an unescaped ~ or *


@given(QUERIES, st.integers(0, 2), st.booleans())
def test_only_plain_words_are_relaxed_and_the_callers_operators_stay_text(query, typos, prefix):
    tolerance = Tolerance(most_typos=typos, prefix=prefix)
    found = tolerant_text(query, tolerance)
    if found is None:
        return
    assert found.fuzzy_words <= MAX_RELAXED_WORDS
    assert found.fuzzy_words or found.prefixed
    fuzzy = re.findall(r"([^\W_]*)~(\d)", found.text.replace("\\~", ""))
    assert len(fuzzy) == found.fuzzy_words
    for word, edits in fuzzy:
        # Never a number, and as many typos as the length allows.
        assert not word.isdigit()
        assert 1 <= int(edits) == tolerance.typos_for(word) <= typos
    completed = re.findall(r"([^\W_]*)\*", found.text.replace("\\*", ""))
    assert len(completed) == int(found.prefixed)
    if completed:
        assert prefix
        # Two letters at least, or a part of a longer word (`disk_u`), priced apart.
        assert len(completed[0]) >= 2 or found.short_prefix
    # Every ~ and * Elasticsearch reads as an operator is one the tolerant pass wrote.
    operators = [match.group(1) for match in _OPERATOR.finditer(found.text)]
    assert operators.count("~") == found.fuzzy_words
    assert operators.count("*") == int(found.prefixed)


# The word walker at its edges: exclusions, phrases, escapes and stray operators. (text, typo'd words, completed,
# completed part shorter than two letters).
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pyhton -jsno pyhton", ("pyhton~1 -jsno (pyhton* | pyhton~1)", 2, True, False)),
        ("pyhton|-jsno pyhton", ("pyhton~1|-jsno (pyhton* | pyhton~1)", 2, True, False)),
        ("-jsno|pyhton", ("-jsno|(pyhton* | pyhton~1)", 1, True, False)),  # `|` ends the exclusion
        ("pyhton (-jsno pyhton)", ("pyhton~1 (-jsno pyhton~1)", 2, False, False)),  # `)` ends the query's last word
        ("pyhton-jsno", ("(pyhton~1 (jsno* | jsno~1))", 2, True, False)),  # a hyphen inside a word excludes nothing
        ("-(jsno) pyhton", ("-(jsno) (pyhton* | pyhton~1)", 1, True, False)),
        ("-(jsno (pyhton)) pyhton", ("-(jsno (pyhton)) (pyhton* | pyhton~1)", 1, True, False)),  # nested, excluded
        ("(-jsno) pyhton", ("(-jsno) (pyhton* | pyhton~1)", 1, True, False)),
        ("+-jsno pyhton", ("+-jsno (pyhton* | pyhton~1)", 1, True, False)),
        ("jsno | pyhton", ("jsno~1 | (pyhton* | pyhton~1)", 2, True, False)),
        ('"pyhton" jsno', ('"pyhton" (jsno* | jsno~1)', 1, True, False)),
        ('"" pyhton', ('"" (pyhton* | pyhton~1)', 1, True, False)),
        ('"a" "b" pyhton', ('"a" "b" (pyhton* | pyhton~1)', 1, True, False)),
        ('"a"pyhton', ('"a"(pyhton* | pyhton~1)', 1, True, False)),
        ('jsno"a b"', ('jsno~1"a b"', 1, False, False)),
        ('"pyhton jsno" pyhton', ('"pyhton jsno" (pyhton* | pyhton~1)', 1, True, False)),
        ("x\\\\ pyhton", ("x\\\\ (pyhton* | pyhton~1)", 1, True, False)),  # an escaped backslash, then a word
        ("pyhton \\jsno", ("pyhton~1 \\jsno", 1, False, False)),  # a word starting with an escape: as written
        ("jsno \\jsno pyhton", ("jsno~1 \\jsno (pyhton* | pyhton~1)", 2, True, False)),
        ("pyhton a\\~b", ("pyhton~1 (a b*)", 1, True, True)),
        ("pyhton )jsno(", ("pyhton~1 )jsno~1(", 2, False, False)),
        ("pyhto", ("(pyhto* | pyhto~1)", 1, True, False)),
        ("defaultdic", ("(defaultdic* | defaultdic~2)", 1, True, False)),  # 10 letters: two typos
        ("abcdefgh +x", ("abcdefgh~2 +x", 1, False, False)),  # exactly SEARCH_TYPO_MIN_2 (8) letters: two
        ("abcdefg +x", ("abcdefg~1 +x", 1, False, False)),
        ("ab_c", ("(ab c*)", 0, True, True)),
        ("a_b", ("(a b*)", 0, True, True)),
        ("ab", ("ab*", 0, True, False)),  # exactly two letters: completed
        ("x_", None),  # one letter in all: not completed, nothing else to relax
        ("-jsno -pyhton", None),
        ('"a" pyhton "b"', ('"a" pyhton~1 "b"', 1, False, False)),  # a phrase ends at its own closing quote
        ("(a)-jsno pyhton", ("(a)-jsno (pyhton* | pyhton~1)", 1, True, False)),  # `-` at a word's start excludes
        ("x\\~y pyhton", ("x\\~y (pyhton* | pyhton~1)", 1, True, False)),  # an escape written stays as written
        ("aXb pyhton", ("aXb (pyhton* | pyhton~1)", 1, True, False)),
        ("+x~y pyhton", ("+x\\~y (pyhton* | pyhton~1)", 1, True, False)),  # the caller's ~ stays text
        ('pyhton "a b', ('pyhton~1 "a b', 1, False, False)),  # after a stray quote, nothing is relaxed
        ('"a b" pyhton', ('"a b" (pyhton* | pyhton~1)', 1, True, False)),
    ],
)
def test_the_word_walker(query, expected):
    found = tolerant_text(query, AUTO)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert (found.text, found.fuzzy_words, found.prefixed, found.short_prefix) == expected
