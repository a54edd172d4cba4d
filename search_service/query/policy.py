"""What a caller may ask: parse the query, enforce field and cost rules on the tree, and write the tree back
as the only text Elasticsearch will see. Pure: no I/O, no Django.

Why re-write rather than check and forward: luqum and Elasticsearch's own parser disagree on details (where a
phrase or a regex starts inside a word, what counts as whitespace, `&&`), so a string one of them reads as
field-free can name a field for the other. Here Elasticsearch receives a query written from the checked
tree, with every term escaped and every operation in parentheses, so there is nothing left for the two
parsers to read differently.
"""

from dataclasses import dataclass
from decimal import InvalidOperation

from luqum.parser import parser

from search_service.query.diagnose import SIMPLE_MODE_HINT, diagnose_syntax
from search_service.query.rewrite import TreeWriter
from search_service.query.rules import QueryCost, QueryPolicy, QueryRefused, policy_from_settings, too_many_clauses

__all__ = ["CheckedQuery", "QueryCost", "QueryPolicy", "QueryRefused", "check_query", "policy_from_settings"]

_PLAIN_WORDS_EXCLUDED = frozenset({"AND", "OR", "NOT", "TO"})
MAX_REASON_LENGTH = 100


@dataclass(frozen=True)
class CheckedQuery:
    text: str  # what Elasticsearch receives
    cost: QueryCost
    # What to highlight with, when not the query itself: for a term-expanding query, its plain terms only
    # ("" when it has none: no highlighting). body.build_highlight says why.
    highlight_text: str | None = None


def check_query(query: str, policy: QueryPolicy) -> CheckedQuery:
    """Parse `query`, refuse what `policy` forbids (QueryRefused), and return the text to send."""
    plain = _plain_words(query)
    if plain is not None:
        if len(plain) > policy.max_clauses:
            raise too_many_clauses(len(plain), policy)
        return CheckedQuery(text=" ".join(plain), cost=QueryCost(clauses=len(plain)))
    try:
        tree = parser.parse(query)
    except (ValueError, InvalidOperation, RecursionError) as error:
        # luqum's ParseError is a ValueError, and so is int()'s for a phrase's slop (`"a b"~1.5`); it raises
        # decimal's InvalidOperation for `x^1.2.3`, RecursionError for absurd nesting.
        raise _unparseable(query, error) from None
    writer = TreeWriter(policy)
    try:
        text = writer.write(tree, depth=0, field=None)
    except QueryRefused:
        raise
    except (ValueError, RecursionError) as error:  # a value luqum accepted that cannot be written back
        raise _unparseable(query, error) from None
    cost = writer.cost()
    highlight_text = " OR ".join(writer.plain_terms) if cost.expands_terms else None
    return CheckedQuery(text=text, cost=cost, highlight_text=highlight_text)


def _plain_words(query: str) -> list[str] | None:
    """The words of a query made only of letters, digits and spaces (most queries), which needs no parser:
    nothing in it is syntax. None when the query has anything else."""
    words = query.split(" ")
    words = [word for word in words if word]
    if words and all(word.isalnum() and word.isascii() and word not in _PLAIN_WORDS_EXCLUDED for word in words):
        return words
    return None


def _unparseable(query: str, error: BaseException) -> QueryRefused:
    """The refusal of a query luqum cannot read: what is wrong and where when diagnose finds it, luqum's own
    reason otherwise; and, either way, the forgiving syntax as another way to ask."""
    problem = diagnose_syntax(query)
    if problem is not None:
        return QueryRefused(
            "invalid_query",
            f"Cannot parse the query: {problem.detail}",
            position=problem.position,
            hint=SIMPLE_MODE_HINT,
        )
    return QueryRefused("invalid_query", f"Cannot parse the query: {_parse_reason(error)}", hint=SIMPLE_MODE_HINT)


def _parse_reason(error: BaseException) -> str:
    if isinstance(error, InvalidOperation):
        return "a boost or distance is not a number"
    if isinstance(error, RecursionError):
        return "too deeply nested"
    reason = str(error)  # luqum's "Illegal character" quotes the rest of the query: keep the echo short
    return reason if len(reason) <= MAX_REASON_LENGTH else reason[:MAX_REASON_LENGTH] + "…"
