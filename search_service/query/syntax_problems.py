"""The sentences that name a syntax problem: what is wrong, where, and how to fix it. Pure.

Each function gets the query as written and the token at fault, and returns the problem with that token's
position; grammar_walk.py decides which one applies.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# How much of the query a problem quotes around its position: enough to find the spot, never the whole query.
EXCERPT_BEFORE = 10
EXCERPT_AFTER = 12
MAX_QUOTED_TOKEN = 30

_WORDS = frozenset({"AND_OP", "OR_OP", "NOT", "TO"})  # named as they are written, not as "the X"


@dataclass(frozen=True)
class SyntaxProblem:
    """The first problem in a query: what is wrong and how to fix it, and the 0-based offset of the character
    at fault in the query as written."""

    detail: str
    position: int


@dataclass(frozen=True)
class Token:
    type: str  # luqum's token type: TERM, PHRASE, REGEX, AND_OP, LPAREN, BOOST, ...
    value: str  # as written; for BOOST and APPROX the number after ^ or ~ ("" when none)
    position: int


def refused_character(query: str, position: int) -> SyntaxProblem:
    """Why luqum's lexer refused the character at `position`: no token can start with it there."""
    char = query[position]
    at = where(query, position)
    if char == '"':
        detail = f'the quote {at} is never closed. End the phrase with another " or escape it as \\".'
    elif char == "/":
        detail = (
            f"the / {at} starts a regular expression that is never closed. End it with another / or escape it as \\/."
        )
    elif char == "\\":
        detail = f"the backslash {at} escapes nothing. Escape it as \\\\ or remove it."
    elif char == "'":
        detail = f"the ' {at} cannot start a word. Escape it as \\' (phrases are written in double quotes)."
    else:  # nothing else today; luqum may refuse more one day
        detail = f"the character {char!r} {at} is not allowed there. Escape it with a backslash."
    return SyntaxProblem(detail, position)


def comparison_without_value(query: str, token: Token) -> SyntaxProblem:
    return _problem(
        token,
        f"the {token.value} {_at(query, token)} has no value after it."
        f" Put a word or a phrase right after it, as in {token.value}2020.",
    )


def range_never_closed(query: str, opening: Token) -> SyntaxProblem:
    kind = "bracket" if opening.value == "[" else "brace"
    return _problem(
        opening,
        f"the {kind} {_at(query, opening)} opens a range that is never closed."
        f" Write [low TO high], or escape it as \\{opening.value}.",
    )


def range_misfit(query: str, token: Token, opening: Token) -> SyntaxProblem:
    return _problem(
        token,
        f"{name(token)} {_at(query, token)} does not fit in the range opened at position {opening.position}:"
        " a range is written [low TO high].",
    )


def empty_group(query: str, opening: Token) -> SyntaxProblem:
    return _problem(opening, f"the group {_at(query, opening)} is empty. Put terms in it or remove it.")


def operator_without_left(query: str, token: Token) -> SyntaxProblem:
    return _problem(
        token, f"{token.value} {_at(query, token)} has nothing before it. Add a term before it or remove it."
    )


def operators_adjacent(query: str, token: Token, before: Token) -> SyntaxProblem:
    return _problem(
        token,
        f"{token.value} {_at(query, token)} follows {name(before)} with no term between them. Remove one of them.",
    )


def boost_on_nothing(query: str, token: Token) -> SyntaxProblem:
    return _problem(
        token,
        f"the ^ {_at(query, token)} boosts nothing. Put it right after a word, a phrase or a group, as in json^2.",
    )


def cannot_stand(query: str, token: Token) -> SyntaxProblem:
    return _problem(token, f"{name(token)} {_at(query, token)} cannot stand there.")


def nothing_after(query: str, operator: Token) -> SyntaxProblem:
    if operator.type in ("PLUS", "MINUS"):
        advice = f"Put a term right after it, or escape it as \\{operator.value} to search for it."
    else:
        advice = "Add a term after it or remove it."
    return _problem(operator, f"{name(operator)} {_at(query, operator)} has nothing after it. {advice}")


def unclosed_group(query: str, opening: Token) -> SyntaxProblem:
    return _problem(
        opening, f"the ( {_at(query, opening)} is never closed. Add a ) or escape it as \\( to search for it."
    )


def closes_nothing(query: str, token: Token) -> SyntaxProblem:
    return _problem(token, f"the ) {_at(query, token)} closes nothing. Remove it or escape it as \\).")


def closes_no_range(query: str, token: Token) -> SyntaxProblem:
    return _problem(
        token,
        f"the {token.value} {_at(query, token)} closes no range. Remove it or escape it as \\{token.value}.",
    )


def field_without_value(query: str, field: Token, colon: Token) -> SyntaxProblem:
    field_name = shorten(field.value)
    return _problem(
        colon,
        f"the colon after {field_name} {_at(query, colon)} has nothing after it."
        f" Write {field_name}:value, or escape the colon as \\: to search for it.",
    )


def lone_colon(query: str, colon: Token) -> SyntaxProblem:
    return _problem(
        colon,
        f"the colon {_at(query, colon)} has no field name before it."
        " Write field:value, or escape it as \\: to search for a colon.",
    )


def misplaced_tilde(query: str, token: Token, read: str | None) -> SyntaxProblem:
    """A ~ after what is not a word or a phrase; `read` is what came before it (None: nothing)."""
    if read == "boosted":
        return _problem(token, f"the ~ {_at(query, token)} comes after a ^. Write it before, as in json~1^2.")
    if read == "approximate":
        return _problem(token, f"the ~ {_at(query, token)} follows another ~. Keep one.")
    return _problem(
        token, f'the ~ {_at(query, token)} can only follow a word or a phrase, as in json~1 or "json dumps"~2.'
    )


def bad_approx(query: str, token: Token, read: str) -> SyntaxProblem | None:
    """~ after a word is its fuzziness, which luqum reads with Decimal(); after a phrase its slop, read with
    int(): `~1.2.3` and `"a b"~1.5` fail there."""
    if read not in ("word", "phrase"):
        return misplaced_tilde(query, token, read)
    if not token.value:
        return None
    if read == "phrase" and not token.value.isdigit():
        return _problem(
            token,
            f"the ~{token.value} {_at(query, token)} after a phrase is not a whole number of words,"
            ' as in "json dumps"~2.',
        )
    if read == "word" and not is_decimal(token.value):
        return _problem(token, f"the ~{token.value} {_at(query, token)} is not a number. Write ~1 or ~2.")
    return None


def bad_boost(query: str, token: Token) -> SyntaxProblem | None:
    if not token.value or is_decimal(token.value):
        return None
    return _problem(
        token, f"the boost ^{token.value} {_at(query, token)} is not a number. Write one such as ^2 or ^0.5."
    )


def name(token: Token) -> str:
    return token.value if token.type in _WORDS else f"the {shorten(token.value)}"


def is_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def shorten(text: str) -> str:
    return text if len(text) <= MAX_QUOTED_TOKEN else text[:MAX_QUOTED_TOKEN] + "…"


def where(query: str, position: int) -> str:
    """`at position 6 (the 7th character, in `title:(unclosed`)`: the offset, in words, and what surrounds it."""
    start = max(position - EXCERPT_BEFORE, 0)
    end = position + EXCERPT_AFTER + 1
    excerpt = "".join(" " if char.isspace() else char for char in query[start:end])  # one line, whatever was sent
    excerpt = ("…" if start > 0 else "") + excerpt + ("…" if end < len(query) else "")
    return f"at position {position} (the {_ordinal(position + 1)} character, in `{excerpt}`)"


def _problem(token: Token, detail: str) -> SyntaxProblem:
    return SyntaxProblem(detail, token.position)


def _at(query: str, token: Token) -> str:
    return where(query, token.position)


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
