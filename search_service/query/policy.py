"""What a caller may ask: parse the query, enforce field and cost rules on the tree, and write the tree back
as the only text Elasticsearch will see. Pure: no I/O, no Django.

Why re-write rather than check and forward: luqum and Elasticsearch's own parser disagree on details (where a
phrase or a regex starts inside a word, what counts as whitespace, `&&`), so a string one of them reads as
field-free can name a field for the other. Here Elasticsearch receives a query written from the checked
tree, with every term escaped and every operation in parentheses, so there is nothing left for the two
parsers to read differently.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from luqum.exceptions import ParseError
from luqum.parser import parser
from luqum.tree import (
    AndOperation,
    Boost,
    FieldGroup,
    From,
    Fuzzy,
    Group,
    Item,
    Not,
    OrOperation,
    Phrase,
    Plus,
    Prohibit,
    Proximity,
    Range,
    Regex,
    SearchField,
    To,
    UnknownOperation,
    Word,
)

from search_service.query.syntax import (
    is_wildcard,
    literal_prefix_length,
    read_phrase,
    read_term,
    write_field,
    write_phrase,
    write_term,
)

if TYPE_CHECKING:
    from search_service.settings import ServiceSettings

MAX_BOOST = Decimal(1000)
EXISTS_FIELD = "_exists_"
_OPERATORS = {AndOperation: " AND ", OrOperation: " OR ", UnknownOperation: " "}
_MODIFIERS = {Not: "NOT ", Prohibit: "-", Plus: "+"}
_PLAIN_WORDS_EXCLUDED = frozenset({"AND", "OR", "NOT", "TO"})


class QueryRefused(ValueError):
    """The query is refused before Elasticsearch sees it; `code` is the API's stable `error` code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class QueryPolicy:
    """The rules a query must follow; one per configuration (search_service.settings)."""

    allowed_fields: tuple[str, ...]
    allow_regex: bool = False
    max_clauses: int = 32
    max_depth: int = 6
    max_wildcard_terms: int = 3
    min_wildcard_prefix: int = 2
    max_fuzzy_terms: int = 3
    max_fuzzy_edits: int = 2
    max_phrase_slop: int = 10

    def allows_field(self, name: str) -> bool:
        if "*" in self.allowed_fields:
            return True
        if any(char in name for char in "*?"):
            return False  # a pattern would expand, inside Elasticsearch, to fields nobody checked
        return any(fnmatchcase(name, pattern) for pattern in self.allowed_fields)


@dataclass(frozen=True)
class QueryCost:
    """What the query will cost Elasticsearch, as counted on its tree."""

    clauses: int = 0
    depth: int = 0
    wildcard_terms: int = 0
    fuzzy_terms: int = 0
    regex_terms: int = 0

    @property
    def expands_terms(self) -> bool:
        """Wildcard, fuzzy and regex clauses expand to many terms: the costly part of a search."""
        return bool(self.wildcard_terms or self.fuzzy_terms or self.regex_terms)


@dataclass(frozen=True)
class CheckedQuery:
    text: str  # what Elasticsearch receives
    cost: QueryCost


def check_query(query: str, policy: QueryPolicy) -> CheckedQuery:
    """Parse `query`, refuse what `policy` forbids (QueryRefused), and return the text to send."""
    plain = _plain_words(query)
    if plain is not None:
        if len(plain) > policy.max_clauses:
            raise _too_many_clauses(len(plain), policy)
        return CheckedQuery(text=" ".join(plain), cost=QueryCost(clauses=len(plain)))
    try:
        tree = parser.parse(query)
    except (ParseError, InvalidOperation, RecursionError) as error:
        # luqum raises decimal's InvalidOperation for `x^1.2.3`, RecursionError for absurd nesting.
        raise QueryRefused("invalid_query", f"Cannot parse the query: {_parse_reason(error)}") from None
    writer = _Writer(policy)
    try:
        text = writer.write(tree, depth=0, field=None)
    except QueryRefused:
        raise
    except (ValueError, RecursionError) as error:  # a value luqum accepted that cannot be written back
        raise QueryRefused("invalid_query", f"Cannot parse the query: {_parse_reason(error)}") from None
    return CheckedQuery(text=text, cost=writer.cost())


def _plain_words(query: str) -> list[str] | None:
    """The words of a query made only of letters, digits and spaces (most queries), which needs no parser:
    nothing in it is syntax. None when the query has anything else."""
    words = query.split(" ")
    words = [word for word in words if word]
    if words and all(word.isalnum() and word.isascii() and word not in _PLAIN_WORDS_EXCLUDED for word in words):
        return words
    return None


def _parse_reason(error: BaseException) -> str:
    if isinstance(error, InvalidOperation):
        return "a boost or distance is not a number"
    if isinstance(error, RecursionError):
        return "too deeply nested"
    return str(error)


def _too_many_clauses(count: int, policy: QueryPolicy) -> QueryRefused:
    return QueryRefused("too_many_clauses", f"the query has {count} terms; at most {policy.max_clauses} are allowed")


class _Writer:
    """Walks luqum's tree once, checking each node and writing it as Elasticsearch will read it. A node type
    it does not know is refused: only what was checked can be written."""

    def __init__(self, policy: QueryPolicy) -> None:
        self.policy = policy
        self.clauses = self.max_depth = self.wildcards = self.fuzzies = self.regexes = 0

    def cost(self) -> QueryCost:
        return QueryCost(self.clauses, self.max_depth, self.wildcards, self.fuzzies, self.regexes)

    def write(self, node: Item, *, depth: int, field: str | None) -> str:
        if isinstance(node, (Group, FieldGroup)):
            depth += 1
            self.max_depth = max(self.max_depth, depth)
            if depth > self.policy.max_depth:
                raise QueryRefused(
                    "query_too_deep", f"the query nests groups deeper than {self.policy.max_depth} levels"
                )
            return self.write(node.expr, depth=depth, field=field)
        for operation, operator in _OPERATORS.items():
            if type(node) is operation:
                parts = [self.write(child, depth=depth, field=field) for child in node.children]
                return "(" + operator.join(parts) + ")"
        for modifier, prefix in _MODIFIERS.items():
            if isinstance(node, modifier):
                return prefix + self._operand(node.a, depth=depth, field=field)
        if isinstance(node, Boost):
            return "(" + self.write(node.expr, depth=depth, field=field) + ")^" + self._boost(node.force)
        if isinstance(node, SearchField):
            return self._search_field(node, depth=depth, field=field)
        return self._leaf(node)

    def _search_field(self, node: SearchField, *, depth: int, field: str | None) -> str:
        if field is not None:
            raise QueryRefused("invalid_query", f"{node.name}: a field's value cannot name another field")
        # luqum leaves a name's escapes in (`t\\itle`); Lucene drops them, and so must the check and the writer.
        name = "".join(char.value for char in read_term(str(node.name)))
        if name == EXISTS_FIELD:
            return EXISTS_FIELD + ":" + write_field(self._exists_target(node.expr))
        self._check_field(name)
        return write_field(name) + ":" + self._operand(node.expr, depth=depth, field=name)

    def _operand(self, node: Item, *, depth: int, field: str | None) -> str:
        """What follows a modifier or `field:`. Lucene takes one modifier per clause and none right after a
        colon (`NOT -x`, `title:+x` do not parse), where luqum nests them; a group keeps such a clause whole."""
        written = self.write(node, depth=depth, field=field)
        inner = node
        while isinstance(inner, (Group, FieldGroup)):
            inner = inner.expr
        return "(" + written + ")" if isinstance(inner, tuple(_MODIFIERS)) else written

    def _exists_target(self, expr: Item) -> str:
        if isinstance(expr, Word):
            target = "".join(char.value for char in read_term(expr.value))
        elif isinstance(expr, Phrase):
            target = read_phrase(expr.value)
        else:
            raise QueryRefused("invalid_query", "_exists_: takes a field name, e.g. _exists_:summary")
        self._check_field(target)
        self._count_clause()
        return target

    def _check_field(self, name: str) -> None:
        if not self.policy.allows_field(name):
            allowed = ", ".join(self.policy.allowed_fields)
            raise QueryRefused("field_not_allowed", f"cannot search {name}; fields open to search: {allowed}")

    def _leaf(self, node: Item) -> str:
        self._count_clause()
        if isinstance(node, Word):
            return self._word(node)
        if isinstance(node, Phrase):
            return write_phrase(read_phrase(node.value))
        if isinstance(node, Fuzzy):
            return self._fuzzy(node)
        if isinstance(node, Proximity):
            return self._proximity(node)
        if isinstance(node, Range):
            return self._range(node.low, node.high, node.include_low, node.include_high)
        if isinstance(node, From):
            return self._range(node.a, Word("*"), node.include, True)
        if isinstance(node, To):
            return self._range(Word("*"), node.a, True, node.include)
        if isinstance(node, Regex):
            return self._regex(node)
        raise QueryRefused("invalid_query", f"unsupported syntax: {str(node).strip()[:50]}")

    def _count_clause(self) -> None:
        self.clauses += 1
        if self.clauses > self.policy.max_clauses:
            raise _too_many_clauses(self.clauses, self.policy)

    def _word(self, node: Word) -> str:
        chars = read_term(node.value)
        if node.value == "*":
            return "*"  # every document (or, after a field, every document with that field): cheap
        if any(is_wildcard(char) for char in chars):
            self.wildcards += 1
            if self.wildcards + self.regexes > self.policy.max_wildcard_terms:
                raise QueryRefused(
                    "too_many_wildcards",
                    f"the query has more than {self.policy.max_wildcard_terms} wildcard terms (* or ?)",
                )
            prefix = literal_prefix_length(chars)
            if prefix < self.policy.min_wildcard_prefix:
                raise QueryRefused(
                    "wildcard_prefix_too_short",
                    f"{node.value}: a wildcard needs at least {self.policy.min_wildcard_prefix} characters "
                    "before the first * or ?",
                )
        return write_term(chars)

    def _fuzzy(self, node: Fuzzy) -> str:
        if not isinstance(node.term, Word) or any(is_wildcard(char) for char in read_term(node.term.value)):
            raise QueryRefused("invalid_query", "~ after a word makes it fuzzy; it cannot follow a wildcard")
        self.fuzzies += 1
        if self.fuzzies > self.policy.max_fuzzy_terms:
            raise QueryRefused(
                "too_many_fuzzy_terms", f"the query has more than {self.policy.max_fuzzy_terms} fuzzy terms (~)"
            )
        edits = self._fuzzy_edits(Decimal(node.degree))
        return write_term(read_term(node.term.value)) + f"~{edits}"

    def _fuzzy_edits(self, degree: Decimal) -> int:
        maximum = self.policy.max_fuzzy_edits
        if degree == Decimal("0.5"):
            return maximum  # luqum's reading of a bare `word~`: as many edits as allowed
        if degree != degree.to_integral_value() or degree < 0:
            raise QueryRefused("invalid_query", f"~{degree}: a fuzzy distance is a whole number of edits, 0 to 2")
        if degree > maximum:
            raise QueryRefused(
                "fuzzy_distance_too_large", f"~{degree}: a fuzzy term may differ by at most {maximum} edits"
            )
        return int(degree)

    def _proximity(self, node: Proximity) -> str:
        if not isinstance(node.term, Phrase):
            raise QueryRefused("invalid_query", "~N after a phrase sets its slop; it cannot follow this term")
        slop = Decimal(node.degree)
        if slop != slop.to_integral_value() or slop < 0:
            raise QueryRefused("invalid_query", f"~{slop}: a phrase's slop is a whole number")
        if slop > self.policy.max_phrase_slop:
            raise QueryRefused(
                "phrase_slop_too_large", f"~{slop}: a phrase's slop may be at most {self.policy.max_phrase_slop}"
            )
        return write_phrase(read_phrase(node.term.value)) + f"~{int(slop)}"

    def _range(self, low: Any, high: Any, include_low: bool, include_high: bool) -> str:
        return (
            ("[" if include_low else "{")
            + self._range_bound(low)
            + " TO "
            + self._range_bound(high)
            + ("]" if include_high else "}")
        )

    def _range_bound(self, bound: Any) -> str:
        if isinstance(bound, Word) and bound.value == "*":
            return "*"  # open end
        if isinstance(bound, Word):
            text = "".join(char.value for char in read_term(bound.value))
        elif isinstance(bound, Phrase):
            text = read_phrase(bound.value)
        else:
            raise QueryRefused("invalid_query", "a range's ends are values, e.g. [2020-01-01 TO 2021-01-01]")
        if not text or '"' in text or "\\" in text:
            raise QueryRefused("invalid_query", "a range's ends cannot be empty or contain quotes or backslashes")
        return '"' + text + '"'  # quoted: inside a range only `"` and `\` are special, and both are refused

    def _regex(self, node: Regex) -> str:
        if not self.policy.allow_regex:
            raise QueryRefused("regex_not_allowed", "regular expressions (/.../) are turned off on this service")
        self.regexes += 1
        if self.wildcards + self.regexes > self.policy.max_wildcard_terms:
            raise QueryRefused(
                "too_many_wildcards",
                f"the query has more than {self.policy.max_wildcard_terms} wildcard and regular-expression terms",
            )
        body = str(node.value)[1:-1]
        if any(char.value == "/" and not char.escaped for char in read_term(body)):
            raise QueryRefused("invalid_query", "a / inside a regular expression must be escaped as \\/")
        return "/" + body + "/"

    def _boost(self, force: Any) -> str:
        try:
            value = Decimal(force)
        except (InvalidOperation, TypeError, ValueError):
            raise QueryRefused("invalid_query", f"^{force}: a boost is a number") from None
        if not value.is_finite() or value < 0 or value > MAX_BOOST:
            raise QueryRefused("invalid_query", f"^{force}: a boost is a number from 0 to {MAX_BOOST}")
        return format(value.normalize(), "f")


def policy_from_settings(config: "ServiceSettings") -> QueryPolicy:
    return QueryPolicy(
        allowed_fields=tuple(config.search_query_fields),
        allow_regex=config.search_allow_regex,
        max_clauses=config.search_max_clauses,
        max_depth=config.search_max_depth,
        max_wildcard_terms=config.search_max_wildcard_terms,
        min_wildcard_prefix=config.search_min_wildcard_prefix,
        max_fuzzy_terms=config.search_max_fuzzy_terms,
        max_fuzzy_edits=config.search_max_fuzzy_edits,
        max_phrase_slop=config.search_max_phrase_slop,
    )
