"""The cost policy for `mode=simple` (`simple_query_string`). Pure: no I/O, no Django.

That syntax names no fields (it searches SEARCH_FIELDS only) and, with the flags body.SIMPLE_QUERY_FLAGS allows,
expands no terms; what is left to price is the number of words, each a clause over every search field.
"""

import re

from search_service.query.policy import CheckedQuery
from search_service.query.rules import QueryCost, QueryPolicy, too_many_clauses

# A word is what the operators and whitespace leave between them.
_WORD = re.compile(r'[^\s|+()"]+')


def check_simple_query(query: str, policy: QueryPolicy) -> CheckedQuery:
    words = _WORD.findall(query)
    if len(words) > policy.max_clauses:
        raise too_many_clauses(len(words), policy)
    return CheckedQuery(text=query, cost=QueryCost(clauses=len(words)))
