"""Lucene query-string syntax at the character level: reading luqum's raw terms, writing escaped ones. Pure."""

from collections.abc import Iterator
from typing import NamedTuple

WILDCARDS = frozenset("*?")


class Char(NamedTuple):
    """One character of a term as the user meant it: `escaped` when written with a backslash."""

    value: str
    escaped: bool


def read_term(raw: str) -> list[Char]:
    """A term as luqum leaves it (escapes still in), as characters. `foo\\:b*` -> f, o, o, :(escaped), b, *."""
    chars: list[Char] = []
    iterator: Iterator[str] = iter(raw)
    for char in iterator:
        if char == "\\":
            following = next(iterator, None)
            if following is None:  # luqum refuses a trailing backslash; be safe if it ever does not
                raise ValueError("a query cannot end with a backslash")
            chars.append(Char(following, escaped=True))
        else:
            chars.append(Char(char, escaped=False))
    return chars


def read_literal(raw: str) -> str:
    """A term's text with its escapes resolved: `t\\itle` -> `title`, as Lucene reads it."""
    return "".join(char.value for char in read_term(raw))


def is_wildcard(char: Char) -> bool:
    return char.value in WILDCARDS and not char.escaped


def escape_char(char: str) -> str:
    """A literal character, escaped unless it is a letter or digit.

    Escaping every other character (not just Lucene's documented specials) is what makes the result
    unambiguous: Elasticsearch's parser can then only read the term we wrote, whatever its idea of
    whitespace (`\\u3000`), operators (`&&`, `!`) or quotes inside words.
    """
    return char if char.isalnum() else "\\" + char


def write_term(chars: list[Char]) -> str:
    """The term for Elasticsearch: literals escaped, unescaped wildcards kept as wildcards."""
    return "".join(char.value if is_wildcard(char) else escape_char(char.value) for char in chars)


def literal_prefix_length(chars: list[Char]) -> int:
    """How many characters come before the first wildcard: what keeps a wildcard from scanning every term."""
    for position, char in enumerate(chars):
        if is_wildcard(char):
            return position
    return len(chars)


def read_phrase(raw: str) -> str:
    """A phrase's text without its quotes and escapes: `"a \\" b"` -> `a " b`."""
    return "".join(char.value for char in read_term(raw[1:-1]))


def write_phrase(text: str) -> str:
    """Inside quotes only `"` and `\\` are special to Lucene."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_field(name: str) -> str:
    """A field name as Lucene reads it before a colon; names are checked against the allow-list first."""
    return "".join(char if char.isalnum() or char in "_.@" else "\\" + char for char in name)
