"""Properties of the query checker on generated Lucene-like strings. Pure: no server.

Whatever a caller writes, `check_query` either returns the text to send or refuses with a documented code;
and what it writes, checked again, is accepted and written the same way.
"""

import os
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_service.query.policy import QueryPolicy, QueryRefused, check_query
from tests.lucene_strings import ALLOWED_FIELDS, lucene_queries

EXAMPLES = int(os.environ.get("POLICY_FUZZ_EXAMPLES", "2000"))
POLICIES = st.sampled_from(
    [
        QueryPolicy(allowed_fields=ALLOWED_FIELDS),
        QueryPolicy(allowed_fields=ALLOWED_FIELDS, allow_regex=True),
        QueryPolicy(allowed_fields=("title", "meta.*"), max_wildcard_terms=0, max_fuzzy_edits=1, max_depth=2),
        QueryPolicy(allowed_fields=("*",), allow_regex=True),
    ]
)
# The codes docs/api.md documents for a refused query ("Errors"), each a 400.
REFUSAL_CODES = {
    "invalid_query",
    "field_not_allowed",
    "regex_not_allowed",
    "too_many_wildcards",
    "wildcard_prefix_too_short",
    "too_many_fuzzy_terms",
    "fuzzy_distance_too_large",
    "phrase_slop_too_large",
    "too_many_clauses",
    "query_too_deep",
}
queries = st.one_of(lucene_queries, st.text(max_size=40))
fuzz_settings = settings(
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@fuzz_settings
@given(queries, POLICIES)
def test_a_query_is_either_written_or_refused_with_a_documented_code(query, policy):
    refused: QueryRefused | None = None
    try:
        checked = check_query(query, policy)
    except QueryRefused as error:
        refused = error
    if refused is not None:
        assert refused.code in REFUSAL_CODES
        assert refused.detail
    else:
        assert checked.text.strip()
        assert checked.cost.clauses <= policy.max_clauses


@fuzz_settings
@given(queries, POLICIES)
def test_the_written_text_is_accepted_again_and_written_the_same(query, policy):
    try:
        written = check_query(query, policy).text
    except QueryRefused:
        return
    # The writer puts every operation in parentheses, which a parser reads as groups: the written text nests
    # deeper than the caller's, so only the depth limit is lifted for the second reading.
    assert check_query(written, replace(policy, max_depth=1_000)).text == written
