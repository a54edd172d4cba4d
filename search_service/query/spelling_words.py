"""The words of a query that did you mean (query/spelling.py) looks up, where the caller wrote them, and how a
correction is written back in their place. Pure: no I/O, no Django."""

from collections.abc import Iterator
from dataclasses import dataclass

# The bounds of the did-you-mean call: each word costs one candidate search per field.
MAX_WORDS = 5
MAX_LETTERS = 200
# Shorter words have too many neighbours to guess from (the suggester's own default is 4);
# a longer run of letters is an identifier or a token, not a misspelt word.
MIN_WORD_LENGTH = 4
MAX_WORD_LENGTH = 50

# Letters touching one of these belong to something that is not a plain word: a field name (`:`), a dotted,
# escaped or underscored name, a wildcard or fuzzy term, a number, an address.
_ATTACHED = frozenset(":.\\*?~/_'@") | frozenset("0123456789")
# Ranges (`[a TO b]`, `{a TO b}`) and regular expressions (`/.../`), to their end.
_CLOSING = {"[": "]", "{": "}", "/": "/"}


@dataclass(frozen=True)
class Word:
    text: str  # lower case, as the analysers of the searched fields see it
    spans: tuple[tuple[int, int], ...]  # where the caller wrote it, in any case


def plain_words(query: str) -> list[Word]:
    """The distinct plain words of `query` worth looking up, within the bounds, in the order written."""
    spans: dict[str, list[tuple[int, int]]] = {}
    letters = 0
    for start, end in _word_spans(query):
        text = query[start:end].lower()
        if not MIN_WORD_LENGTH <= len(text) <= MAX_WORD_LENGTH:
            continue
        if text not in spans:
            if len(spans) == MAX_WORDS or letters + len(text) > MAX_LETTERS:
                continue  # a later occurrence of a word already taken is still replaced
            letters += len(text)
            spans[text] = []
        spans[text].append((start, end))
    return [Word(text, tuple(found)) for text, found in spans.items()]


def _word_spans(query: str) -> Iterator[tuple[int, int]]:
    """Where the runs of letters that stand as words are. One pass, never back: the query is the caller's."""
    index, length = 0, len(query)
    while index < length:
        char = query[index]
        if char in _CLOSING:  # a range or a regular expression: what it holds is not a search word
            close = query.find(_CLOSING[char], index + 1)
            index = length if close < 0 else close + 1
        elif char == ":":  # a field's value, a group or a phrase included: searched in that field only
            index = _after_field_value(query, index + 1)
        elif char.isalpha():
            end = index + 1
            while end < length and query[end].isalpha():
                end += 1
            if not (index > 0 and query[index - 1] in _ATTACHED) and not (end < length and query[end] in _ATTACHED):
                yield index, end
            index = end
        else:
            index += 1


def _after_field_value(query: str, index: int) -> int:
    length = len(query)
    while index < length and query[index].isspace():
        index += 1
    if index < length and query[index] == '"':
        close = query.find('"', index + 1)
        return length if close < 0 else close + 1
    if index < length and query[index] == "(":
        depth = 0
        for position in range(index, length):
            depth += {"(": 1, ")": -1}.get(query[position], 0)
            if depth == 0:
                return position + 1
        return length
    while index < length and not query[index].isspace() and query[index] not in "()":
        index += 1
    return index


def in_case_of(written: str, option: str) -> str:
    """The option in the case the caller wrote the word: `PYHTON` → `PYTHON`, `Pyhton` → `Python`."""
    if len(written) > 1 and written.isupper():
        return option.upper()
    if written[:1].isupper():
        return option[:1].upper() + option[1:]
    return option


def replace_spans(query: str, replacements: dict[tuple[int, int], str]) -> str:
    for (start, end), text in sorted(replacements.items(), reverse=True):
        query = query[:start] + text + query[end:]
    return query
