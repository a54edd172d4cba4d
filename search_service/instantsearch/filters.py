"""Algolia's three ways of filtering, read into one tree and built into one Elasticsearch clause. Pure.

- `facetFilters`: `["brand:Acme", ["category:lamps", "category:kettles"], "-in_stock:false"]`: OR inside a nested
  list, AND across the outer one; `-brand:Acme` or `brand:-Acme` negates (`brand:\\-x` is a value starting with `-`).
- `numericFilters`: `["price>=10", "price:10 TO 20"]`, nested the same way; `<`, `<=`, `=`, `!=`, `>=`, `>`.
- `filters`: the filter language, `brand:Acme AND (category:lamps OR NOT in_stock:true) AND price > 10`, with
  `"quoted values"`, `low TO high` and parentheses (any nesting up to MAX_DEPTH, a superset of Algolia's).

Every field must be one of SEARCH_FILTER_FIELDS, as for /search's `filter`; values are read by the field's mapped
type by query/filter_values.py (the `typed` of `filter_clause`), so a bad one is a 400 that names it.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from search_service.instantsearch.errors import AlgoliaRequestError
from search_service.query.filters import RangeFilter, ValueFilter, describe_allowed

MAX_LEAVES = 64  # filters in one request, all three kinds together
MAX_DEPTH = 8  # nested parentheses in `filters`

Comparison = Literal["<", "<=", ">", ">="]


@dataclass(frozen=True)
class Equals:
    field: str
    value: str


@dataclass(frozen=True)
class Compare:
    field: str
    op: Comparison
    value: str


@dataclass(frozen=True)
class Between:
    field: str
    low: str
    high: str


@dataclass(frozen=True)
class Not:
    node: "Node"


@dataclass(frozen=True)
class All:
    nodes: tuple["Node", ...]


@dataclass(frozen=True)
class AnyOf:
    nodes: tuple["Node", ...]


Leaf = Equals | Compare | Between
Node = Leaf | Not | All | AnyOf

_NUMERIC = re.compile(r"^\s*(?P<field>[^<>=!:\s]+)\s*(?P<op><=|>=|!=|<|>|=)\s*(?P<value>\S.*?)\s*$")
_NUMERIC_RANGE = re.compile(r"^\s*(?P<field>[^<>=!:\s]+)\s*:\s*(?P<low>\S+)\s+TO\s+(?P<high>\S+)\s*$")


def describe_leaf(leaf: Leaf) -> str:
    """A filter as the analytics record it: `brand:Acme`, `price>=10`, `price:10..20`."""
    if isinstance(leaf, Equals):
        return f"{leaf.field}:{leaf.value}"
    if isinstance(leaf, Between):
        return f"{leaf.field}:{leaf.low}..{leaf.high}"
    return f"{leaf.field}{leaf.op}{leaf.value}"


def leaves(node: Node) -> list[Leaf]:
    if isinstance(node, Not):
        return leaves(node.node)
    if isinstance(node, (All, AnyOf)):
        return [leaf for child in node.nodes for leaf in leaves(child)]
    return [node]


def _nested(raw: Any, read: Callable[[str], Node]) -> list[Node]:
    """facetFilters / numericFilters: a string is one filter; a list ANDs its items, a list inside it ORs its own."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [read(raw)]
    nodes: list[Node] = []
    for item in raw:
        if isinstance(item, str):
            nodes.append(read(item))
        elif item:
            alternatives = [read(text) for text in item]
            nodes.append(alternatives[0] if len(alternatives) == 1 else AnyOf(tuple(alternatives)))
    return nodes


def read_facet_filter(text: str) -> Node:
    """`field:value`; negated as `-field:value` or `field:-value` (InstantSearch's exclusions); `field:\\-value` is
    a value that starts with a dash."""
    negated = text.startswith("-")
    field, colon, value = text.removeprefix("-").partition(":")
    if not colon or not field.strip():
        raise AlgoliaRequestError(f"facetFilters: {text[:60]!r} is not field:value")
    value = value.strip()
    if value.startswith("-"):
        negated, value = True, value[1:]
    elif value.startswith("\\-"):
        value = value[1:]
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        value = value[1:-1]
    leaf = Equals(field.strip(), value)
    return Not(leaf) if negated else leaf


def read_numeric_filter(text: str) -> Node:
    if found := _NUMERIC_RANGE.match(text):
        return Between(found["field"], found["low"], found["high"])
    if found := _NUMERIC.match(text):
        op, field, value = found["op"], found["field"], found["value"]
        if op == "=":
            return Equals(field, value)
        if op == "!=":
            return Not(Equals(field, value))
        return Compare(field, op, value)  # type: ignore[arg-type]  # the pattern allows only the four
    raise AlgoliaRequestError(
        f"numericFilters: {text[:60]!r} is not `field op number` (<, <=, =, !=, >=, >) or `field:low TO high`"
    )


def read_filters(
    *, facet_filters: Any = None, numeric_filters: Any = None, filters: str = "", allowed: Sequence[str] = ()
) -> Node | None:
    """The three, ANDed; None when there are none. AlgoliaRequestError names what is wrong."""
    nodes = [*_nested(facet_filters, read_facet_filter), *_nested(numeric_filters, read_numeric_filter)]
    if filters.strip():
        nodes.append(parse_filter_text(filters))
    if not nodes:
        return None
    tree = nodes[0] if len(nodes) == 1 else All(tuple(nodes))
    found = leaves(tree)
    if len(found) > MAX_LEAVES:
        raise AlgoliaRequestError(f"at most {MAX_LEAVES} filters are accepted in one request, got {len(found)}")
    for leaf in found:
        if leaf.field not in allowed:
            raise AlgoliaRequestError(
                f"cannot filter on {leaf.field[:60]!r}; "
                f"{describe_allowed('filtering', allowed, 'SEARCH_FILTER_FIELDS')}"
            )
    return tree


# The filter language -------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:(?P<paren>[()])|(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<op><=|>=|!=|<|>|=|:)|(?P<word>[^\s()"<>=!:]+))'
)
_KEYWORDS = ("AND", "OR", "NOT", "TO")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].isspace():
            break
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise AlgoliaRequestError(f"filters: cannot read {text[position : position + 20]!r}")
        kind = found.lastgroup or ""
        value = found[kind]
        if kind == "quoted":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        elif kind == "word" and value in _KEYWORDS:
            kind = value
        tokens.append((kind, value))
        position = found.end()
    return tokens


class _FilterParser:
    """Recursive descent: or := and (OR and)*; and := unary (AND unary)*; unary := NOT unary | (or) | leaf."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> str:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else "end"

    def take(self, *kinds: str) -> str:
        kind = self.peek()
        if kind not in kinds:
            seen = "the end" if kind == "end" else repr(self.tokens[self.at][1][:30])
            raise AlgoliaRequestError(f"filters: expected {' or '.join(kinds)}, found {seen}")
        self.at += 1
        return self.tokens[self.at - 1][1]

    def parse(self) -> Node:
        node = self.either(0)
        if self.peek() != "end":
            self.take("AND", "OR")  # says what was found instead
        return node

    def either(self, depth: int) -> Node:
        nodes = [self.both(depth)]
        while self.peek() == "OR":
            self.at += 1
            nodes.append(self.both(depth))
        return nodes[0] if len(nodes) == 1 else AnyOf(tuple(nodes))

    def both(self, depth: int) -> Node:
        nodes = [self.unary(depth)]
        while self.peek() == "AND":
            self.at += 1
            nodes.append(self.unary(depth))
        return nodes[0] if len(nodes) == 1 else All(tuple(nodes))

    def unary(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise AlgoliaRequestError(f"filters: nested deeper than {MAX_DEPTH} levels")
        kind = self.peek()
        if kind == "NOT":
            self.at += 1
            return Not(self.unary(depth + 1))
        if kind == "paren" and self.tokens[self.at][1] == "(":
            self.at += 1
            node = self.either(depth + 1)
            if self.peek() != "paren" or self.tokens[self.at][1] != ")":
                raise AlgoliaRequestError("filters: a parenthesis is not closed")
            self.at += 1
            return node
        return self.leaf()

    def leaf(self) -> Node:
        field = self.take("word", "quoted")
        op = self.take("op")
        value = self.take("word", "quoted")
        if op == ":":
            if self.peek() == "TO":
                self.at += 1
                return Between(field, value, self.take("word", "quoted"))
            return Equals(field, value)
        if op == "=":
            return Equals(field, value)
        if op == "!=":
            return Not(Equals(field, value))
        return Compare(field, op, value)  # type: ignore[arg-type]  # the token pattern allows only the four


def parse_filter_text(text: str) -> Node:
    return _FilterParser(text).parse()


# To Elasticsearch -----------------------------------------------------------------------------------------------

TypeFilter = Callable[[ValueFilter | RangeFilter], ValueFilter | RangeFilter]


def filter_clause(node: Node, typed: TypeFilter) -> dict[str, Any]:
    """The `bool` clause for the tree; `typed` reads a leaf's value by its field's type (query/filter_values.py)."""
    if isinstance(node, Not):
        return {"bool": {"must_not": [filter_clause(node.node, typed)]}}
    if isinstance(node, All):
        return {"bool": {"filter": [filter_clause(child, typed) for child in node.nodes]}}
    if isinstance(node, AnyOf):
        return {"bool": {"should": [filter_clause(child, typed) for child in node.nodes], "minimum_should_match": 1}}
    if isinstance(node, Equals):
        return _clause(typed(ValueFilter(node.field, node.value)))
    if isinstance(node, Between):
        return _clause(typed(RangeFilter(node.field, node.low, node.high)))
    low, high = (node.value, None) if node.op in (">", ">=") else (None, node.value)
    found = typed(RangeFilter(node.field, low, high))
    if not isinstance(found, RangeFilter):  # a boolean or keyword field: no order to compare by
        raise AlgoliaRequestError(f"{node.field!r} has no order: compare numbers and dates only")
    end = found.low if low is not None else found.high
    key = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[node.op]
    bounds: dict[str, Any] = {key: end}
    if found.date_format is not None:
        bounds["format"] = found.date_format
    return {"range": {found.field: bounds}}


def _clause(found: ValueFilter | RangeFilter) -> dict[str, Any]:
    if isinstance(found, ValueFilter):
        return {"term": {found.field: found.value}}
    bounds: dict[str, Any] = {key: end for key, end in (("gte", found.low), ("lte", found.high)) if end is not None}
    if found.date_format is not None:
        bounds["format"] = found.date_format
    return {"range": {found.field: bounds}}
