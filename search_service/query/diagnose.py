"""What is wrong with a query luqum cannot parse, and where: a sentence or two a person can act on. Pure.

luqum's own messages name a token at best ("unexpected ':' at position 0") and often nothing ("unexpected end
of expression ... at the end!"): an unclosed parenthesis, a dangling AND and `title:` read the same. Here the
query is split again by luqum's own lexer, so escapes, phrases, regular expressions and words end exactly
where the parser saw them end, and the tokens are walked through luqum's grammar left to right: the first
token that cannot stand where it is, or the opener still unclosed at the end, is the problem named.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from luqum.exceptions import ParseError
from luqum.parser import lexer as luqum_lexer

SIMPLE_MODE_HINT = "Search for the words as typed with mode=simple"

# How much of the query a problem quotes around its position: enough to find the spot, never the whole query.
EXCERPT_BEFORE = 10
EXCERPT_AFTER = 12
MAX_QUOTED_TOKEN = 30

_BINARY = frozenset({"AND_OP", "OR_OP"})
_PREFIXES = frozenset({"NOT", "PLUS", "MINUS"})
_COMPARISONS = frozenset({"LESSTHAN", "GREATERTHAN"})
_WORDS = frozenset({"AND_OP", "OR_OP", "NOT", "TO"})  # named as they are written, not as "the X"


@dataclass(frozen=True)
class SyntaxProblem:
    """The first problem in a query: what is wrong and how to fix it, and the 0-based offset of the character
    at fault in the query as written."""

    detail: str
    position: int


def diagnose_syntax(query: str) -> SyntaxProblem | None:
    """The first syntax problem in `query` as luqum reads it; None when there is none (luqum parses it)."""
    tokens, refused_at = _tokens(query)
    problem = _Walk(query, tokens, complete=refused_at is None).problem()
    if problem is None and refused_at is not None:
        return _refused_character(query, refused_at)
    return problem


@dataclass(frozen=True)
class _Token:
    type: str  # luqum's token type: TERM, PHRASE, REGEX, AND_OP, LPAREN, BOOST, ...
    value: str  # as written; for BOOST and APPROX the number after ^ or ~ ("" when none)
    position: int


def _tokens(query: str) -> tuple[list[_Token], int | None]:
    """luqum's tokens of `query`, and the position of the character its lexer refused (None if none was):
    the tokens then stop there, as luqum's parser did."""
    lexer: Any = luqum_lexer.clone()  # a position of its own: the module's lexer belongs to luqum's parser
    lexer.input(query)
    tokens: list[_Token] = []
    while True:
        try:
            token = lexer.token()
        except ParseError:  # luqum's lexer raises IllegalCharacterError where no token can start
            return tokens, min(lexer.lexpos, len(query) - 1)
        if token is None:
            return tokens, None
        value = getattr(token.value, "value", token.value)
        tokens.append(_Token(token.type, "" if value is None else str(value), token.lexpos))


def _refused_character(query: str, position: int) -> SyntaxProblem:
    """Why luqum's lexer refused the character at `position`: no token can start with it there."""
    char = query[position]
    where = _where(query, position)
    if char == '"':
        detail = f'the quote {where} is never closed. End the phrase with another " or escape it as \\".'
    elif char == "/":
        detail = (
            f"the / {where} starts a regular expression that is never closed."
            " End it with another / or escape it as \\/."
        )
    elif char == "\\":
        detail = f"the backslash {where} escapes nothing. Escape it as \\\\ or remove it."
    elif char == "'":
        detail = f"the ' {where} cannot start a word. Escape it as \\' (phrases are written in double quotes)."
    else:  # nothing else today; luqum may refuse more one day
        detail = f"the character {char!r} {where} is not allowed there. Escape it with a backslash."
    return SyntaxProblem(detail, position)


class _Walk:
    """luqum's grammar, walked over the tokens without building a tree: one pass and no recursion, so any
    string, however deeply nested, is diagnosed without raising.

    An operand is a word, a phrase, a regular expression, a range, a group or `<`/`>` with a bound; before it
    may come NOT, + or - and `field:`; after it ~ (after a word or a phrase only) and ^. Between operands
    AND, OR or nothing (an implicit operator).
    """

    def __init__(self, query: str, tokens: list[_Token], *, complete: bool) -> None:
        self.query = query
        self.tokens = tokens
        self.complete = complete  # False: the lexer refused a character, so the end is not the query's end
        self.index = 0
        self.open_groups: list[_Token] = []

    def problem(self) -> SyntaxProblem | None:
        # `wanting`: the token after which an operand must come (None at the start and after an implicit
        # operator, where anything that can start an operand may come and nothing is owed at the end).
        wanting: _Token | None = None
        while True:
            token = self._next()
            if token is None:
                return self._end(wanting)
            read = self._operand(token, wanting)
            if isinstance(read, SyntaxProblem):
                return read
            if read in ("field", "prefix", "group"):  # the operand is still to come
                wanting = self.tokens[self.index - 1]
                continue
            after = self._after_operand(read)
            if isinstance(after, SyntaxProblem):
                return after
            wanting = after  # an operator, or None for an implicit operator or the end

    def _next(self) -> _Token | None:
        if self.index >= len(self.tokens):
            return None
        self.index += 1
        return self.tokens[self.index - 1]

    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _end(self, wanting: _Token | None) -> SyntaxProblem | None:
        if not self.complete:
            return None  # the refused character is the problem (diagnose_syntax)
        if wanting is None or wanting.type == "LPAREN":
            return self._unclosed_group() if self.open_groups else None
        if wanting.type == "COLUMN":
            return self._field_without_value(wanting)
        return self._nothing_after(wanting)

    def _operand(self, token: _Token, wanting: _Token | None) -> SyntaxProblem | str:
        """Read the operand `token` starts: its kind (word, phrase, other), or field, prefix or group when the
        operand is still to come, or the problem."""
        kind = token.type
        if kind == "TERM":
            following = self._peek()
            if following is not None and following.type == "COLUMN":
                self.index += 1
                return "field"
            return "word"
        if kind == "PHRASE":
            return "phrase"
        if kind in ("REGEX", "TO"):  # TO outside a range is a word, but takes no ~ in luqum's grammar
            return "other"
        if kind in _PREFIXES:
            return "prefix"
        if kind == "LPAREN":
            self.open_groups.append(token)
            return "group"
        if kind == "LBRACKET":
            return self._range(token)
        if kind in _COMPARISONS:
            bound = self._next()
            if bound is None and not self.complete:
                return "other"
            if bound is None or bound.type not in ("TERM", "PHRASE"):
                return self._problem(
                    f"the {token.value} {self._at(token)} has no value after it."
                    f" Put a word or a phrase right after it, as in {token.value}2020.",
                    token,
                )
            return "other"
        return self._misplaced(token, wanting)

    def _after_operand(self, read: str) -> SyntaxProblem | _Token | None:
        """After an operand: its ~ and ^, closing parentheses, then AND or OR (returned: an operand must follow),
        or None (the end, or an implicit operator before the next operand)."""
        while (token := self._peek()) is not None:
            kind = token.type
            if kind == "APPROX":
                problem = self._check_approx(token, read)
                read = "approximate"
            elif kind == "BOOST":
                problem = self._check_boost(token)
                read = "boosted"
            elif kind == "RPAREN":
                problem = None if self.open_groups else self._closes_nothing(token)
                if self.open_groups:
                    self.open_groups.pop()
                read = "other"
            elif kind in _BINARY:
                self.index += 1
                return token
            elif kind == "COLUMN":
                problem = self._lone_colon(token)
            elif kind == "RBRACKET":
                problem = self._closes_no_range(token)
            else:
                return None  # an implicit operator: the next operand follows
            if problem is not None:
                return problem
            self.index += 1
        return None

    def _range(self, opening: _Token) -> SyntaxProblem | str:
        """`[low TO high]`, either bracket a brace; each bound a word or a phrase, a word perhaps after a -."""
        for expected in ("bound", "TO", "bound", "end"):
            token = self._next()
            if expected == "bound" and token is not None and token.type == "MINUS":
                token = self._next()
            if token is None:
                if not self.complete:
                    return "other"
                name = "bracket" if opening.value == "[" else "brace"
                return self._problem(
                    f"the {name} {self._at(opening)} opens a range that is never closed."
                    f" Write [low TO high], or escape it as \\{opening.value}.",
                    opening,
                )
            fits = {"bound": ("TERM", "PHRASE"), "TO": ("TO",), "end": ("RBRACKET",)}[expected]
            if token.type not in fits:
                return self._problem(
                    f"{self._name(token)} {self._at(token)} does not fit in the range opened at position"
                    f" {opening.position}: a range is written [low TO high].",
                    token,
                )
        return "other"

    def _misplaced(self, token: _Token, wanting: _Token | None) -> SyntaxProblem:
        """`token` came where an operand should start."""
        kind = token.type
        if wanting is not None and wanting.type == "COLUMN":
            return self._field_without_value(wanting)
        if kind == "RPAREN":
            if wanting is None:
                return self._closes_nothing(token)
            if wanting.type == "LPAREN":
                return self._problem(f"the group {self._at(wanting)} is empty. Put terms in it or remove it.", wanting)
            return self._nothing_after(wanting)
        if kind in _BINARY:
            if wanting is None or wanting.type == "LPAREN":
                return self._problem(
                    f"{token.value} {self._at(token)} has nothing before it. Add a term before it or remove it.",
                    token,
                )
            return self._problem(
                f"{token.value} {self._at(token)} follows {self._name(wanting)} with no term between them."
                " Remove one of them.",
                token,
            )
        if kind == "COLUMN":
            return self._lone_colon(token)
        if kind == "BOOST":
            return self._problem(
                f"the ^ {self._at(token)} boosts nothing. Put it right after a word, a phrase or a group,"
                " as in json^2.",
                token,
            )
        if kind == "APPROX":
            return self._misplaced_tilde(token, None)
        if kind == "RBRACKET":
            return self._closes_no_range(token)
        return self._problem(f"{self._name(token)} {self._at(token)} cannot stand there.", token)

    def _nothing_after(self, operator: _Token) -> SyntaxProblem:
        if operator.type in ("PLUS", "MINUS"):
            advice = f"Put a term right after it, or escape it as \\{operator.value} to search for it."
        else:
            advice = "Add a term after it or remove it."
        return self._problem(f"{self._name(operator)} {self._at(operator)} has nothing after it. {advice}", operator)

    def _unclosed_group(self) -> SyntaxProblem:
        opening = self.open_groups[-1]
        return self._problem(
            f"the ( {self._at(opening)} is never closed. Add a ) or escape it as \\( to search for it.", opening
        )

    def _closes_nothing(self, token: _Token) -> SyntaxProblem:
        return self._problem(f"the ) {self._at(token)} closes nothing. Remove it or escape it as \\).", token)

    def _closes_no_range(self, token: _Token) -> SyntaxProblem:
        return self._problem(
            f"the {token.value} {self._at(token)} closes no range. Remove it or escape it as \\{token.value}.", token
        )

    def _field_without_value(self, colon: _Token) -> SyntaxProblem:
        field = _shorten(self.tokens[self.tokens.index(colon) - 1].value)
        return self._problem(
            f"the colon after {field} {self._at(colon)} has nothing after it."
            f" Write {field}:value, or escape the colon as \\: to search for it.",
            colon,
        )

    def _lone_colon(self, colon: _Token) -> SyntaxProblem:
        return self._problem(
            f"the colon {self._at(colon)} has no field name before it."
            " Write field:value, or escape it as \\: to search for a colon.",
            colon,
        )

    def _misplaced_tilde(self, token: _Token, read: str | None) -> SyntaxProblem:
        if read == "boosted":
            return self._problem(f"the ~ {self._at(token)} comes after a ^. Write it before, as in json~1^2.", token)
        if read == "approximate":
            return self._problem(f"the ~ {self._at(token)} follows another ~. Keep one.", token)
        return self._problem(
            f'the ~ {self._at(token)} can only follow a word or a phrase, as in json~1 or "json dumps"~2.', token
        )

    def _check_approx(self, token: _Token, read: str) -> SyntaxProblem | None:
        """~ after a word is its fuzziness, which luqum reads with Decimal(); after a phrase its slop, read
        with int(): `~1.2.3` and `"a b"~1.5` fail there."""
        if read not in ("word", "phrase"):
            return self._misplaced_tilde(token, read)
        if not token.value:
            return None
        if read == "phrase" and not token.value.isdigit():
            return self._problem(
                f"the ~{token.value} {self._at(token)} after a phrase is not a whole number of words, as in"
                ' "json dumps"~2.',
                token,
            )
        if read == "word" and not _is_decimal(token.value):
            return self._problem(f"the ~{token.value} {self._at(token)} is not a number. Write ~1 or ~2.", token)
        return None

    def _check_boost(self, token: _Token) -> SyntaxProblem | None:
        if not token.value or _is_decimal(token.value):
            return None
        return self._problem(
            f"the boost ^{token.value} {self._at(token)} is not a number. Write one such as ^2 or ^0.5.", token
        )

    def _name(self, token: _Token) -> str:
        return token.value if token.type in _WORDS else f"the {_shorten(token.value)}"

    def _at(self, token: _Token) -> str:
        return _where(self.query, token.position)

    @staticmethod
    def _problem(detail: str, token: _Token) -> SyntaxProblem:
        return SyntaxProblem(detail, token.position)


def _is_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_QUOTED_TOKEN else text[:MAX_QUOTED_TOKEN] + "…"


def _where(query: str, position: int) -> str:
    """`at position 6 (the 7th character, in `title:(unclosed`)`: the offset, in words, and what surrounds it."""
    start = max(position - EXCERPT_BEFORE, 0)
    end = position + EXCERPT_AFTER + 1
    excerpt = "".join(" " if char.isspace() else char for char in query[start:end])  # one line, whatever was sent
    excerpt = ("…" if start > 0 else "") + excerpt + ("…" if end < len(query) else "")
    return f"at position {position} (the {_ordinal(position + 1)} character, in `{excerpt}`)"


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
