"""The tree writer node by node: ranges, fuzzy terms, phrases' slop, regular expressions, boosts and `_exists_`, each
written as Elasticsearch will read it or refused with its code and detail. No server.

Some refusals guard trees luqum does not make today (a fuzzy phrase, a negative slop): those trees are built by
hand, so that the guards hold if a new luqum makes them.
"""

from decimal import Decimal

import pytest
from luqum.tree import BoolOperation, Boost, Fuzzy, Phrase, Proximity, Range, Regex, SearchField, Term, Word

from search_service.query.policy import QueryPolicy, QueryRefused, check_query
from search_service.query.rewrite import TreeWriter

POLICY = QueryPolicy(allowed_fields=("title", "body"))
REGEX = QueryPolicy(allowed_fields=("title", "body"), allow_regex=True)
RANGE_END = "a range's ends cannot be empty or contain quotes or backslashes"


def refusal(query: str, policy: QueryPolicy = POLICY) -> tuple[str, str]:
    with pytest.raises(QueryRefused) as raised:
        check_query(query, policy)
    return raised.value.code, raised.value.detail


def tree_refusal(node, policy: QueryPolicy = REGEX) -> tuple[str, str]:
    with pytest.raises(QueryRefused) as raised:
        TreeWriter(policy).write(node, depth=0, field=None)
    return raised.value.code, raised.value.detail


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("body:[a TO b]", 'body:["a" TO "b"]'),
        ("body:{a TO b}", 'body:{"a" TO "b"}'),
        ("body:[a TO b}", 'body:["a" TO "b"}'),
        ("body:{a TO b]", 'body:{"a" TO "b"]'),
        ("body:[a TO *]", 'body:["a" TO *]'),
        ("body:{* TO b}", 'body:{* TO "b"}'),
        ('body:["a b" TO c]', 'body:["a b" TO "c"]'),  # a phrase's text, quoted again
        ("body:[a\\:b TO c]", 'body:["a:b" TO "c"]'),  # an escaped character is itself inside quotes
        ("body:>a", 'body:{"a" TO *]'),
        ("body:>=a", 'body:["a" TO *]'),
        ("body:<a", 'body:[* TO "a"}'),
        ("body:<=a", 'body:[* TO "a"]'),
    ],
)
def test_a_range_is_written_with_its_ends_quoted_and_its_brackets_kept(query, text):
    assert check_query(query, POLICY).text == text


@pytest.mark.parametrize(
    "query",
    [
        # Accepted, `a\` would be written `"a\"`: Lucene would read `"a\" TO "` as one quoted end and `x OR secret:y`
        # outside any quotes, a field nobody checked.
        'body:[a\\\\ TO "x OR secret:y"]',
        "body:[a TO b\\\\]",
        'body:["a\\\\" TO b]',
        'body:[a\\" TO b]',  # a quote, escaped or in a phrase, would close the quoted end the same way
        'body:["a\\"b" TO c]',
        'body:["" TO b]',  # an empty end is no value
        'body:[a TO ""]',
    ],
)
def test_a_range_end_that_could_leave_its_quotes_is_refused(query):
    assert refusal(query) == ("invalid_query", RANGE_END)


def test_a_range_end_must_be_a_value():
    detail = "a range's ends are values, e.g. [2020-01-01 TO 2021-01-01]"

    assert tree_refusal(Range(Regex("/a/"), Word("b"))) == ("invalid_query", detail)
    assert tree_refusal(Range(Word("a"), Term("b"))) == ("invalid_query", detail)


@pytest.mark.parametrize("query", ["ab*~2", "ab*~", "ab?~1", "title:ab*~1"])
def test_fuzzy_cannot_follow_a_wildcard(query):
    # Elasticsearch would read `ab*~2` as a wildcard and drop the ~, or fail: what the caller meant is unclear.
    assert refusal(query) == ("invalid_query", "~ after a word makes it fuzzy; it cannot follow a wildcard")


def test_a_fuzzy_term_is_a_word():
    assert tree_refusal(Fuzzy(Phrase('"a b"'), 1)) == (
        "invalid_query",
        "~ after a word makes it fuzzy; it cannot follow a wildcard",
    )


@pytest.mark.parametrize("degree", ["-1", "1.5", "0.25"])
def test_a_fuzzy_distance_is_a_whole_number_from_zero(degree):
    assert tree_refusal(Fuzzy(Word("jsn"), Decimal(degree))) == (
        "invalid_query",
        f"~{degree}: a fuzzy distance is a whole number of edits, 0 to 2",
    )


def test_a_slop_follows_a_phrase_only():
    assert tree_refusal(Proximity(Word("a"), 2)) == (
        "invalid_query",
        "~N after a phrase sets its slop; it cannot follow this term",
    )


@pytest.mark.parametrize("slop", [Decimal(-1), Decimal("1.5")])
def test_a_slop_is_a_whole_number_from_zero(slop):
    node = Proximity(Phrase('"a b"'), 1)
    node.degree = slop

    assert tree_refusal(node) == ("invalid_query", f"~{slop}: a phrase's slop is a whole number")


def test_regular_expressions_are_refused_unless_turned_on():
    detail = "regular expressions (/.../) are turned off on this service"

    assert refusal("/ab.*/") == ("regex_not_allowed", detail)
    assert refusal("title:/ab.*/") == ("regex_not_allowed", detail)
    assert check_query("title:/ab.*/", REGEX).text == "title:/ab.*/"


def test_a_slash_inside_a_regular_expression_is_escaped():
    assert check_query("/a\\/b/", REGEX).text == "/a\\/b/"
    # luqum ends a regex at an unescaped slash, as Lucene does; a tree that holds one is refused, not sent.
    assert tree_refusal(Regex("/a/b/")) == ("invalid_query", "a / inside a regular expression must be escaped as \\/")


@pytest.mark.parametrize(
    ("force", "detail"),
    [
        ("abc", "^abc: a boost is a number"),
        (None, "^None: a boost is a number"),
        (Decimal("Infinity"), "^Infinity: a boost is a number from 0 to 1000"),
        (Decimal("NaN"), "^NaN: a boost is a number from 0 to 1000"),
        (Decimal(-1), "^-1: a boost is a number from 0 to 1000"),
        (Decimal("-0.5"), "^-0.5: a boost is a number from 0 to 1000"),
    ],
)
def test_a_boost_is_a_number_from_zero_to_the_maximum(force, detail):
    node = Boost(Word("x"), 2)
    node.force = force

    assert tree_refusal(node) == ("invalid_query", detail)


def test_a_large_boost_is_written_without_an_exponent():
    node = Boost(Word("x"), 2)
    node.force = Decimal("1E+3")

    assert TreeWriter(POLICY).write(node, depth=0, field=None) == "(x)^1000"


@pytest.mark.parametrize(
    ("query", "result"),
    [
        ("_exists_:title", "_exists_:title"),
        ('_exists_:"title"', "_exists_:title"),
        ("_exists_:(title)", ("invalid_query", "_exists_: takes a field name, e.g. _exists_:summary")),
        ("_exists_:secret", ("field_not_allowed", "cannot search secret; fields open to search: title, body")),
        ("_exists_:ti*", ("field_not_allowed", "cannot search ti*; fields open to search: title, body")),
        ("title:_exists_:x", ("invalid_query", "_exists_: a field's value cannot name another field")),
        ("title:(body:x)", ("invalid_query", "body: a field's value cannot name another field")),
    ],
)
def test_exists_names_an_open_field(query, result):
    if isinstance(result, str):
        assert check_query(query, POLICY).text == result
    else:
        assert refusal(query) == result


@pytest.mark.parametrize(
    "query", ["title:(-body:x)", "title:(+body:x)", "title:(NOT body:x)", "title:(body:x^2)", "title:((body:x))"]
)
def test_a_field_cannot_hide_inside_another_fields_value(query):
    # Under a modifier, a boost or a group, the value is still the outer field's.
    assert refusal(query) == ("invalid_query", "body: a field's value cannot name another field")


def test_a_node_the_writer_does_not_know_is_refused_not_written():
    assert tree_refusal(Term("x")) == ("invalid_query", "unsupported syntax: x")
    assert tree_refusal(BoolOperation(Word("a", head=" "), Word("b" * 60, head=" "))) == (
        "invalid_query",
        "unsupported syntax: a " + "b" * 48,
    )
    assert tree_refusal(SearchField("title", Term("x"))) == ("invalid_query", "unsupported syntax: x")


@pytest.mark.parametrize(
    ("query", "highlight"),
    [
        ("ab* x y", "x OR y"),
        ("title:x ab*", "title:x"),
        ('title:"a b" ab*', 'title:"a b"'),
        ("* ab*", ""),  # `*` matches every document: nothing to highlight
        ("x jsn~1", "x"),
        ("body:[a TO b] title:(x y)", "title:x OR title:y"),
        ("ab* title:(+x -y)", "title:x OR title:y"),  # a modifier keeps the field
        ("ab* title:(x^2)", "title:x"),  # so does a boost
    ],
)
def test_a_term_expanding_query_is_highlighted_with_its_plain_terms(query, highlight):
    assert check_query(query, POLICY).highlight_text == highlight


@pytest.mark.parametrize(
    ("query", "text"),
    [
        # A dotted name: the term itself, or all of its parts (rewrite._dotted_parts says why), written as the
        # writer writes what it reads, so that the text reads again as itself.
        ("asyncio.sleep", "((asyncio\\.sleep)^2 OR (+asyncio +sleep))"),
        ("os.path.join json", "(((os\\.path\\.join)^2 OR (+os +path +join)) json)"),
        ("asyncio.wait_for", "((asyncio\\.wait\\_for)^2 OR (+asyncio +wait\\_for))"),
        ("title:json.dumps", "title:((json\\.dumps)^2 OR (+json +dumps))"),
        ("json.dumps^2", "(((json\\.dumps)^2 OR (+json +dumps)))^2"),
        ("-json.dumps", "-((json\\.dumps)^2 OR (+json +dumps))"),
        ("py3.json", "((py3\\.json)^2 OR (+py3 +json))"),
        ("zipfile.ZipFile", "((zipfile\\.ZipFile)^2 OR +zipfile)"),  # a part once, whatever its case
        ("a.b.A.c", "((a\\.b\\.A\\.c)^2 OR (+a +b +c))"),
        # Not names: left as one term.
        ("v1.2.3", "v1\\.2\\.3"),
        ("3.14", "3\\.14"),
        ("AND.OR", "AND\\.OR"),  # its parts alone would be operators
        ("a..b", "a\\.\\.b"),
        (".json", "\\.json"),
        ("json.", "json\\."),
        ("json.du*", "json\\.du*"),  # a wildcard: priced as one, written as one
        ("json.dumps~1", "json\\.dumps~1"),
        ('"json.dumps"', '"json.dumps"'),
        ("json\\.dumps", "json\\.dumps"),  # an escaped dot is a literal one: how the written text reads again
        ("json\\:dumps", "json\\:dumps"),
    ],
)
def test_a_dotted_name_means_all_of_its_parts(query, text):
    assert check_query(query, POLICY).text == text


def test_each_part_of_a_dotted_name_is_a_clause():
    assert check_query("asyncio.sleep", POLICY).cost.clauses == 3
    assert refusal("a.b " * 11, POLICY)[0] == "too_many_clauses"  # 33 clauses of 32
