"""The query policy: what Elasticsearch receives for what a caller wrote, and what is refused. No server."""

import pytest

from search_service.query.policy import QueryPolicy, QueryRefused, check_query

POLICY = QueryPolicy(allowed_fields=("title", "body", "meta.*"))


def written(query: str, policy: QueryPolicy = POLICY) -> str:
    return check_query(query, policy).text


def refusal(query: str, policy: QueryPolicy = POLICY) -> QueryRefused:
    with pytest.raises(QueryRefused) as raised:
        check_query(query, policy)
    return raised.value


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("json", "json"),
        ("json  dumps", "json dumps"),  # plain words need no parser
        ("json AND dumps", "(json AND dumps)"),
        ("a OR b AND c", "(a OR (b AND c))"),  # luqum's grouping, made explicit for Elasticsearch
        ("title:csv", "title:csv"),
        ("title:(csv OR json)", "title:(csv OR json)"),
        ('"reader object"', '"reader object"'),
        ('"say \\"hi\\""', '"say \\"hi\\""'),
        ("json/dumps", "json\\/dumps"),  # every non-alphanumeric character is escaped
        ("json.dumps", "((json\\.dumps)^2 OR (+json +dumps))"),  # a dotted name: rewrite._dotted_parts
        ("a\\:b", "a\\:b"),
        ("deserial*", "deserial*"),
        ("du?ps", "du?ps"),
        ("du\\*ps", "du\\*ps"),  # an escaped star is a literal, not a wildcard
        ("jsn~1", "jsn~1"),
        ("jsn~", "jsn~2"),  # a bare ~ allows as many edits as the policy does
        ('"a b"~3', '"a b"~3'),
        ("title:[a TO c}", 'title:["a" TO "c"}'),
        ("body:>=5", 'body:["5" TO *]'),
        ("body:<5", 'body:[* TO "5"}'),
        ("x^2", "(x)^2"),
        ("-x +y NOT z", "(-x +y NOT z)"),
        ("_exists_:title", "_exists_:title"),
        ("meta.author:x", "meta.author:x"),
        ("*", "*"),
        ("title:*", "title:*"),
        ("a && b", "(a \\&\\& b)"),  # luqum reads && as a word, so it is sent as one
        ("café", "café"),
        # Lucene takes one modifier per clause and none right after a colon; luqum nests them, so they are
        # written in groups (as they were, `NOT -x` and `title:+x` are parse errors in Elasticsearch).
        ("NOT -x", "NOT (-x)"),
        ("--x", "-(-x)"),
        ("title:(+x)", "title:(+x)"),
        ("title:(NOT x^2)", "title:(NOT (x)^2)"),
        ("+(-x)", "+(-x)"),
    ],
)
def test_queries_are_rewritten_as_checked(query, text):
    assert written(query) == text


@pytest.mark.parametrize(
    ("query", "text"),
    [
        # luqum reads the words `x"` and `y"` around a phrase; Lucene, given this text as it is, read a phrase,
        # a field clause, then a phrase. Written back with the quotes inside words escaped, Lucene must read
        # what luqum read: the hidden field is only text inside a phrase.
        ('x" " +popularity_rank:[1 TO 3] " y"', '(x\\" " +popularity_rank:[1 TO 3] " y\\")'),
        ('a"b" c', '(a\\"b\\" c)'),
        # An ideographic space is whitespace to luqum, and becomes an ordinary space.
        ("a\u3000b", "(a b)"),
    ],
)
def test_a_quote_or_space_inside_a_word_is_read_as_luqum_reads_it(query, text):
    assert written(query) == text


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("secret:x", "field_not_allowed"),
        ("_id:x", "field_not_allowed"),
        ("_index:x", "field_not_allowed"),
        ("_exists_:secret", "field_not_allowed"),
        ("title.raw:x", "field_not_allowed"),
        ("ti*:x", "field_not_allowed"),  # a pattern would expand to unchecked fields
        ("title:(body:x)", "invalid_query"),
        ("title:(unclosed", "invalid_query"),
        ('"unbalanced', "invalid_query"),
        ("name:django^1.2.3", "invalid_query"),  # luqum raises decimal.InvalidOperation here
        ("x^5000", "invalid_query"),
        ("a\\", "invalid_query"),
        ("/.*/", "regex_not_allowed"),
        ("title:/ab.*/", "regex_not_allowed"),
        ("ab* bc* cd* de*", "too_many_wildcards"),
        ("a*", "wildcard_prefix_too_short"),
        ("*leading", "wildcard_prefix_too_short"),
        ("?x", "wildcard_prefix_too_short"),
        ("a~1 b~1 c~1 d~1", "too_many_fuzzy_terms"),
        ("jsn~3", "fuzzy_distance_too_large"),
        ("jsn~1.5", "invalid_query"),
        ('"a b"~50', "phrase_slop_too_large"),
        (" ".join(f"w{n}" for n in range(33)), "too_many_clauses"),
        (" OR ".join(f"w{n}" for n in range(33)), "too_many_clauses"),
        ("(" * 7 + "x" + ")" * 7, "query_too_deep"),
        ("(" * 400 + "x" + ")" * 400, "query_too_deep"),
        ('title:[a\\" TO b]', "invalid_query"),
    ],
)
def test_refusals_have_their_own_codes(query, code):
    refused = refusal(query)

    assert refused.code == code
    assert refused.detail


def test_a_syntax_error_says_where_and_offers_the_simple_syntax():
    refused = refusal("title:(unclosed")

    assert refused.position == 6
    assert refused.detail.startswith("Cannot parse the query: the ( at position 6 ")
    assert refused.hint == "Search for the words as typed with mode=simple"


def test_a_phrase_slop_luqum_cannot_read_is_refused_not_raised():
    # luqum reads it with int(): a plain ValueError, which escaped as a 500 before.
    assert refusal('"a b"~1.5').position == 5


def test_a_refusal_that_is_no_syntax_error_has_no_position_or_hint():
    refused = refusal("secret:x")

    assert (refused.position, refused.hint) == (None, None)


def test_a_refused_field_names_the_open_ones():
    assert refusal("secret:x").detail == "cannot search secret; fields open to search: title, body, meta.*"


def test_the_allow_list_can_open_every_field():
    assert written("_id:x", QueryPolicy(allowed_fields=("*",))) == "_id:x"


@pytest.mark.parametrize(
    ("query", "text"),
    [
        # Lucene drops the escapes in a field name; checked and written with them, `t\itle` was refused, and
        # an open name was escaped twice (`meta.a\-b` became `meta.a\\\-b`, another field for Lucene).
        ("t\\itle:x", "title:x"),
        ("meta.a\\-b:x", "meta.a\\-b:x"),
        ("_exists\\_:title", "_exists_:title"),
    ],
)
def test_a_field_name_is_read_without_its_escapes(query, text):
    assert written(query) == text


@pytest.mark.parametrize("query", ["title\\.raw:x", "ti\\*:x", "_exists_:title\\.raw"])
def test_an_escaped_field_name_is_checked_as_lucene_reads_it(query):
    assert refusal(query).code == "field_not_allowed"


def test_regex_can_be_turned_on_and_counts_as_a_wildcard():
    policy = QueryPolicy(allowed_fields=("title",), allow_regex=True, max_wildcard_terms=1)

    assert written("title:/ab.*/", policy) == "title:/ab.*/"
    assert refusal("/ab.*/ /cd.*/", policy).code == "too_many_wildcards"
    assert written("/a/b/", policy) == "(/a/ b\\/)"  # luqum ends the regex at the second slash, as Lucene does


def test_limits_follow_the_policy():
    strict = QueryPolicy(allowed_fields=("title",), max_wildcard_terms=0, max_fuzzy_edits=1, min_wildcard_prefix=4)

    assert refusal("json*", strict).code == "too_many_wildcards"
    assert refusal("jsn~2", strict).code == "fuzzy_distance_too_large"
    assert written("jsn~", strict) == "jsn~1"


def test_cost_counts_what_expands():
    cost = check_query("jso* OR jsn~1 OR title:x", POLICY).cost

    assert (cost.clauses, cost.wildcard_terms, cost.fuzzy_terms, cost.expands_terms) == (3, 1, 1, True)
    assert not check_query("plain words", POLICY).cost.expands_terms


@pytest.mark.parametrize(
    ("query", "highlight_text"),
    [
        ("json dumps", None),  # highlighted with the query itself
        ("title:json AND body:x", None),
        ("deser* json", "json"),
        ('title:("a b"~2 OR jsn~1)', 'title:"a b"~2'),
        ("body:[a TO c] x", "x"),
        ("ab*", ""),  # nothing plain: not highlighted
    ],
)
def test_term_expanding_queries_are_highlighted_with_their_plain_terms(query, highlight_text):
    assert check_query(query, POLICY).highlight_text == highlight_text


def test_a_range_expands_terms():
    cost = check_query("body:[a TO zzzz]", POLICY).cost

    assert (cost.range_terms, cost.expands_terms) == (1, True)
