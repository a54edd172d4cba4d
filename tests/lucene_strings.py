"""Hypothesis strategies for adversarial Lucene query strings, shared by the fuzz tests.

Built from fragments of the syntax the two parsers (luqum, Elasticsearch's) might read differently: field
names inside values, quotes and slashes inside words, escapes, ranges, dates and times, operators, Unicode
spaces. Mostly well-formed, so that most examples get past the parser to the field check; some noise, so that
the parser's own edges are walked too.
"""

from hypothesis import strategies as st

ALLOWED_FIELDS = ("title", "body", "tags")
HIDDEN_FIELDS = ("popularity_rank", "secret", "internal_notes", "created")
METADATA_FIELDS = (
    "_id",
    "_index",
    "_routing",
    "_source",
    "_ignored",
    "_seq_no",
    "_version",
    "_tier",
    "_doc_count",
    "_field_names",
    "_primary_term",
)
# Names that are not plain: a sub-field, patterns, escapes, case, an empty name.
TRICKY_FIELDS = ("title.raw", "ti*", "tit?e", "title.*", "*", "title\\.raw", "t\\itle", "TITLE", "_exists_", "")
FIELD_NAMES = ALLOWED_FIELDS + HIDDEN_FIELDS + METADATA_FIELDS + TRICKY_FIELDS
# The known bypass of the check-then-forward design, and variations on it.
KNOWN_BYPASSES = (
    'x" " +popularity_rank:[1 TO 3] " y"',
    'x" " +_id:a " y"',
    'x"\u3000+secret:x\u3000"y',
    "x/ +_index:fuzz* /y",
    "x\u00a0+created:[2020 TO now]",
)

SPACES = (" ", " ", " ", " ", "  ", "\u00a0", "\u3000", "\u2028", "\u2003", "\t", "\n", "\r\n")
OPERATORS = (" AND ", " OR ", " ", " ", " && ", " || ", " NOT ", " AND NOT ", "\u3000", "\u00a0", "\n")
PREFIXES = ("+", "-", "!", "NOT ", "", "", "")
SUFFIXES = ("^2", "^0.5", "^1.2.3", "^", "~1", "~", "~2", "~5", "*", "?", "", "", "")

# Pieces of one word: most are literal characters, some are syntax that luqum and Lucene treat differently
# when it appears inside a word (a quote, a slash, a colon, !, &&).
WORD_PIECES = (
    *("x", "json", "café", "a1", "Ab", "y", "ÉTÉ", "b2", "z", "q"),
    *ALLOWED_FIELDS,
    *HIDDEN_FIELDS,
    *METADATA_FIELDS,
    *("\\:", "\\ ", '\\"', "\\/", "\\\\", "\\*", "\\(", "\\[", "\\~", "\\^", "\\!", "\\&", "\\-"),
    *("\\\u00a0", "\\\u3000"),
    *(":", '"', "/", "!", "&&", "||", "-", ".", "@", "#", "'", "=", ";", ",", "*", "?", "~", "^", "+"),
    *("2020-01-01", "2020-01-01T10:00:00Z", "10:00:00", "now-1d/d", "now/d", "now", "1", "3", "1.5"),
)
PHRASE_PIECES = (
    *("a", "b", "json", " ", " ", "\u3000", "\t", "\n"),
    *(f"{name}:" for name in FIELD_NAMES),
    *("[1 TO 3]", "(", ")", '\\"', "\\\\", "/", "*", "?", "~2", "^3", "+", "-", "&&", "||", "!", "\\", "'"),
)
DATES = ("2020-01-01", "2020-01-01T10:00:00Z", "now-1d/d", "now", "now/d", "10:00:00", "2020", "1", "3", "a")
RANGE_BOUNDS = (*DATES, "*", '"a b"', '"2020-01-01"', "x*", "a\\ b", 'a"', "_id:x", "")

words = st.lists(st.sampled_from(WORD_PIECES), min_size=1, max_size=4).map("".join)
phrases = st.lists(st.sampled_from(PHRASE_PIECES), max_size=6).map(lambda pieces: '"' + "".join(pieces) + '"')
ranges = st.tuples(
    st.sampled_from("[{"), st.sampled_from(RANGE_BOUNDS), st.sampled_from(RANGE_BOUNDS), st.sampled_from("]}")
).map(lambda parts: f"{parts[0]}{parts[1]} TO {parts[2]}{parts[3]}")
comparisons = st.tuples(st.sampled_from((">", ">=", "<", "<=")), st.sampled_from(DATES)).map("".join)
regexes = st.lists(st.sampled_from(("a", "b", ".", "*", "+", " ", "\\/", "_id:", "[0-9]", "|", "x")), max_size=5).map(
    lambda pieces: "/" + "".join(pieces) + "/"
)
noise = st.one_of(
    st.text(alphabet='ab:"/\\*?~^()[]{} \u3000\u00a0-+!&|><=', min_size=1, max_size=5),
    st.sampled_from(SPACES),
    st.sampled_from(FIELD_NAMES).map(lambda name: name + ":"),
)
terms = st.one_of(
    words,
    words,
    phrases,
    ranges,
    comparisons,
    regexes,
    noise,
    st.sampled_from(KNOWN_BYPASSES),
)


def _field_clause(parts: tuple[str, str]) -> str:
    return f"{parts[0]}:{parts[1]}"


def _compose(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        inner.map(lambda query: f"({query})"),
        st.tuples(st.sampled_from(FIELD_NAMES + ALLOWED_FIELDS * 4), inner).map(_field_clause),
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map("".join),
        st.tuples(st.sampled_from(PREFIXES), inner, st.sampled_from(SUFFIXES)).map("".join),
    )


lucene_queries: st.SearchStrategy[str] = st.recursive(terms, _compose, max_leaves=8)
"""A Lucene-like query: terms of adversarial pieces composed into groups, field clauses and operations."""
