"""The tree writer: walks luqum's tree once, checking each node against the policy and writing it as the text
Elasticsearch will parse. Pure.

Every literal is escaped and every operation parenthesised, so Elasticsearch's parser can only read the
structure luqum read; a node type the writer does not know is refused, so only what was checked is written.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

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

from search_service.query.rules import QueryCost, QueryPolicy, QueryRefused, too_many_clauses
from search_service.query.syntax import (
    Char,
    is_wildcard,
    literal_prefix_length,
    read_literal,
    read_phrase,
    read_term,
    write_field,
    write_phrase,
    write_term,
)

MAX_BOOST = Decimal(1000)
EXISTS_FIELD = "_exists_"
_OPERATORS = {AndOperation: " AND ", OrOperation: " OR ", UnknownOperation: " "}
_MODIFIERS = {Not: "NOT ", Prohibit: "-", Plus: "+"}
_WORDS = frozenset({"AND", "OR", "NOT", "TO"})  # operators when written alone in capitals
# The name as written ranks above its parts found apart: `zipfile.ZipFile` is the class before the module.
WHOLE_NAME_BOOST = 2
_NAME = re.compile(r"\w*[^\W\d_]\w*")  # a part of a dotted name: a word with a letter in it


class TreeWriter:
    """Walks luqum's tree once, checking each node and writing it as Elasticsearch will read it. A node type
    it does not know is refused: only what was checked can be written."""

    def __init__(self, policy: QueryPolicy) -> None:
        self.policy = policy
        self.clauses = self.max_depth = self.wildcards = self.fuzzies = self.regexes = self.ranges = 0
        # The plain terms and phrases, as written (with their field): what a term-expanding query is
        # highlighted with (body.py says why).
        self.plain_terms: list[str] = []

    def cost(self) -> QueryCost:
        return QueryCost(self.clauses, self.max_depth, self.wildcards, self.fuzzies, self.regexes, self.ranges)

    def _deeper(self, depth: int) -> int:
        """One level of parentheses more in what is sent: a group, a boost, or a modifier on a modifier (`--x` and
        `x^2^2` are counted too: 450 of either went out as 450 levels, refused only when Python's stack ran out)."""
        depth += 1
        self.max_depth = max(self.max_depth, depth)
        if depth > self.policy.max_depth:
            raise QueryRefused("query_too_deep", f"the query nests groups deeper than {self.policy.max_depth} levels")
        return depth

    def write(self, node: Item, *, depth: int, field: str | None) -> str:
        if isinstance(node, (Group, FieldGroup)):
            return self.write(node.expr, depth=self._deeper(depth), field=field)
        for operation, operator in _OPERATORS.items():
            if type(node) is operation:
                parts = [self.write(child, depth=depth, field=field) for child in node.children]
                return "(" + operator.join(parts) + ")"
        for modifier, prefix in _MODIFIERS.items():
            if isinstance(node, modifier):
                return prefix + self._operand(node.a, depth=depth, field=field)
        if isinstance(node, Boost):
            # A boost of a boost nests (`x^2^2` is sent as `((x)^2)^2`), as a modifier on a modifier does.
            inner = self._deeper(depth) if isinstance(node.expr, Boost) else depth
            return "(" + self.write(node.expr, depth=inner, field=field) + ")^" + self._boost(node.force)
        if isinstance(node, SearchField):
            return self._search_field(node, depth=depth, field=field)
        written = self._leaf(node)
        if isinstance(node, (Word, Phrase, Proximity)) and not self._expands(node):
            self.plain_terms.append(written if field is None else write_field(field) + ":" + written)
        return written

    @staticmethod
    def _expands(node: Item) -> bool:
        return isinstance(node, Word) and (node.value == "*" or any(map(is_wildcard, read_term(node.value))))

    def _search_field(self, node: SearchField, *, depth: int, field: str | None) -> str:
        if field is not None:
            raise QueryRefused("invalid_query", f"{node.name}: a field's value cannot name another field")
        # luqum leaves a name's escapes in (`t\\itle`); Lucene drops them, and so must the check and the writer.
        name = read_literal(str(node.name))
        if name == EXISTS_FIELD:
            return EXISTS_FIELD + ":" + write_field(self._exists_target(node.expr))
        self._check_field(name)
        return write_field(name) + ":" + self._operand(node.expr, depth=depth, field=name)

    def _operand(self, node: Item, *, depth: int, field: str | None) -> str:
        """What follows a modifier or `field:`. Lucene takes one modifier per clause and none right after a
        colon (`NOT -x`, `title:+x` do not parse), where luqum nests them; a group keeps such a clause whole."""
        inner = node
        while isinstance(inner, (Group, FieldGroup)):
            inner = inner.expr
        if isinstance(inner, tuple(_MODIFIERS)):
            return "(" + self.write(node, depth=self._deeper(depth), field=field) + ")"
        return self.write(node, depth=depth, field=field)

    @staticmethod
    def _value_text(node: Item, *, refusal: str) -> str:
        """The text of a value written as a word or a phrase; anything else is refused with `refusal`."""
        if isinstance(node, Word):
            return read_literal(node.value)
        if isinstance(node, Phrase):
            return read_phrase(node.value)
        raise QueryRefused("invalid_query", refusal)

    def _exists_target(self, expr: Item) -> str:
        target = self._value_text(expr, refusal="_exists_: takes a field name, e.g. _exists_:summary")
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
            raise too_many_clauses(self.clauses, self.policy)

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
        parts = _dotted_parts(chars)
        if parts is None:
            return write_term(chars)
        # Written as the writer writes what it reads (`(x)^2`, `(+a +b)`, a lone `+a` bare), so that the text reads
        # again as itself; each part is a clause of the query, counted as one.
        for _ in parts:
            self._count_clause()
        required = " ".join("+" + write_term([Char(char, escaped=False) for char in part]) for part in parts)
        either = f"({required})" if len(parts) > 1 else required
        return f"(({write_term(chars)})^{WHOLE_NAME_BOOST} OR {either})"

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
        self.ranges += 1
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
        text = self._value_text(bound, refusal="a range's ends are values, e.g. [2020-01-01 TO 2021-01-01]")
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


def _dotted_parts(chars: list[Char]) -> list[str] | None:
    """The parts of a dotted name (`asyncio.sleep`, `os.path.join`), once each; None when `chars` is not one.

    An analyser that splits the name (the demo's `simple` one, on names) makes Lucene join its parts with the
    default operator, OR: `asyncio.sleep` found every document holding `sleep`, and ranked the popular
    `time.sleep` first. A name means all of its parts (TreeWriter._word writes them beside the whole term, for the
    fields whose analyser keeps it one token: `standard`, a docstring's `asyncio.sleep()`). An escaped dot
    (`json\\.dumps`) is a literal one: that is how the written text reads again as itself."""
    if any(char.value == "." and char.escaped for char in chars):
        return None
    parts = "".join(char.value for char in chars).split(".")
    # Names only (letters, digits, `_`): a version (`1.2.3`) or a number is not one, and `AND` alone would be read
    # as the operator.
    if len(parts) < 2 or not all(_NAME.fullmatch(part) and part not in _WORDS for part in parts):
        return None
    # Once each (`zipfile.ZipFile` is zipfile twice to a lower-casing analyser: a part asked twice would count
    # twice, and rank the module above its class).
    distinct: dict[str, str] = {}
    for part in parts:
        distinct.setdefault(part.lower(), part)
    return list(distinct.values())
