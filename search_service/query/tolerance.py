"""Typo tolerance and search as you type for `mode=simple`: the text of the tolerant second pass. Pure: no I/O.

A search in `mode=simple` runs exactly as written first. Only when that finds fewer than SEARCH_TYPO_THRESHOLD
hits does the endpoint run the tolerant pass (Typesense's way: the common query costs one search), whose text is
the caller's with `~N` after each plain word long enough for N typos and `*` after the last word (the word being
typed), read by `simple_query_string` with its FUZZY and PREFIX operators on (body.build_simple_query). So the
caller's operators, phrases and groups keep their meaning: only plain words are relaxed.

What is never relaxed: a number (`2024`: with a typo it is another number; `b64encdoe` is a word), a word
inside a phrase or under a `-` (relaxing what is excluded would exclude more), the first letter of a word
(`fuzzy_prefix_length` 1: it also spares scanning the whole term dictionary). A fuzzy term is not analysed
(`json.dumsp~1` would match nothing), so a dotted or underscored word is split into its runs of letters and
digits, as the demo's `simple` analyser splits names: `json.dumsp` and `json.du` are relaxed as `json dumsp~1`
and `json du*`. The caller's own `~` and `*` are escaped: in this mode they are text, in the tolerant pass too.
"""

import re
from dataclasses import dataclass
from typing import Literal

Typos = Literal["0", "1", "2", "auto"]

# The most words relaxed in one query: each fuzzy word is one more term-dictionary walk per search field.
MAX_RELAXED_WORDS = 6
# A shorter last word is not completed: `a*` would match a large share of any index's terms (a part of a longer
# dotted or underscored word may be: `disk_u`).
MIN_PREFIX_LETTERS = 2
_RUN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Tolerance:
    """How far the tolerant pass may relax a query; one per request (SEARCH_TYPOS and `typos`, `prefix`)."""

    most_typos: int  # 0, 1 or 2 edits a word
    prefix: bool
    min_letters_one_typo: int = 4
    min_letters_two_typos: int = 8

    @property
    def relaxes(self) -> bool:
        return self.most_typos > 0 or self.prefix

    def typos_for(self, word: str) -> int:
        """The edits a run of letters and digits may have: by its length, never in a number (no letter)."""
        if self.most_typos == 0 or not any(char.isalpha() for char in word):
            return 0
        if self.most_typos >= 2 and len(word) >= self.min_letters_two_typos:
            return 2
        return 1 if len(word) >= self.min_letters_one_typo else 0


def most_typos(typos: Typos) -> int:
    """`auto` is the most the lengths allow: 2 edits from SEARCH_TYPO_MIN_2 letters, 1 from SEARCH_TYPO_MIN_1."""
    return 2 if typos == "auto" else int(typos)


@dataclass(frozen=True)
class TolerantText:
    """The tolerant pass's `simple_query_string` text, and what it relaxed (its price: admission/cost.py)."""

    text: str
    fuzzy_words: int
    prefixed: bool
    # The completed part is shorter than MIN_PREFIX_LETTERS (`disk_u`): its prefix walks a large share of the
    # term dictionary (22-52 ms on a 200,000-document index), priced as a wildcard.
    short_prefix: bool
    # The completed words but not the typo'd ones: what ranks completions above typo'd readings (body.py), and
    # what the hits are highlighted with (a fuzzy term's automaton the highlighter would rebuild for every hit and
    # field: 36-78 ms against 7-14 ms for the search itself, measured on the demo index).
    completed_text: str


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    relaxable: bool  # outside phrases and exclusions


def tolerant_text(query: str, tolerance: Tolerance) -> TolerantText | None:
    """The query relaxed as `tolerance` allows; None when nothing in it can be relaxed (no second pass then)."""
    if not tolerance.relaxes:
        return None
    words = list(_words(query))
    last = words[-1] if words and words[-1].end == len(query.rstrip()) else None
    relaxed: list[str] = []  # the tolerant text, piece by piece
    completed: list[str] = []  # the same without the typo'd forms
    position = fuzzy = 0
    prefixed = short_prefix = False
    for word in words:
        between = _escaped(query[position : word.start])
        relaxed.append(between)
        completed.append(between)
        written = query[word.start : word.end]
        position = word.end
        runs = _RUN.findall(written) if word.relaxable else []
        relaxed_runs: list[str] = []
        completed_runs: list[str] = []
        for number, run in enumerate(runs):
            typos = tolerance.typos_for(run) if fuzzy < MAX_RELAXED_WORDS else 0
            # `disk_u` completes as `disk u*`: the word's other parts narrow what a short last part finds.
            long_enough = sum(map(len, runs)) >= MIN_PREFIX_LETTERS
            typed = tolerance.prefix and word is last and number == len(runs) - 1 and long_enough
            forms = ([f"{run}*"] if typed else []) + ([f"{run}~{typos}"] if typos else [])
            fuzzy += bool(typos)
            prefixed = prefixed or typed
            short_prefix = short_prefix or (typed and len(run) < MIN_PREFIX_LETTERS)
            # The word being typed may be cut short or misspelt (or both, in two forms: either may match).
            relaxed_runs.append(f"({forms[0]} | {forms[1]})" if len(forms) == 2 else forms[0] if forms else run)
            completed_runs.append(f"{run}*" if typed else run)
        if relaxed_runs == runs:  # nothing relaxed: as written
            relaxed.append(_escaped(written))
            completed.append(_escaped(written))
        elif runs == [written]:
            relaxed.append(relaxed_runs[0])
            completed.append(completed_runs[0])
        else:
            # `json.dumsp` → `(json dumsp~1)`: a group, so that an operator before the word applies to it whole.
            relaxed.append("(" + " ".join(relaxed_runs) + ")")
            completed.append("(" + " ".join(completed_runs) + ")")
    relaxed.append(_escaped(query[position:]))
    completed.append(_escaped(query[position:]))
    if not fuzzy and not prefixed:
        return None
    return TolerantText(
        text="".join(relaxed),
        fuzzy_words=fuzzy,
        prefixed=prefixed,
        short_prefix=short_prefix,
        completed_text="".join(completed),
    )


def _escaped(text: str) -> str:
    """The caller's `~` and `*` as text (in this mode they are), escapes already written kept as they are."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            out.append(text[index : index + 2])
            index += 2
            continue
        out.append("\\" + char if char in "~*" else char)
        index += 1
    return "".join(out)


def _words(query: str) -> list[_Word]:
    """The words of `query` outside operators, each with whether it may be relaxed. One pass, never back."""
    words: list[_Word] = []
    excluded: list[bool] = []  # per open group: is it under a `-`
    index, length = 0, len(query)
    negate_next = False
    while index < length:
        char = query[index]
        if char == "\\":  # an escaped character belongs to the word it stands in
            start = index
            index = _word_end(query, index)
            words.append(_Word(start, index, relaxable=False))
            negate_next = False
        elif char == '"':
            close = query.find('"', index + 1)
            # An unclosed quote: what follows is left as written (never relaxed).
            index = length if close < 0 else close + 1
            if close < 0:
                return words
            negate_next = False
        elif char == "-":  # at the start of a word (one inside a word, `utf-8`, is read with the word)
            negate_next = True
            index += 1
        elif char == "(":
            excluded.append(negate_next or any(excluded))
            negate_next = False
            index += 1
        elif char == ")":
            if excluded:
                excluded.pop()
            index += 1
        elif char.isspace() or char in '+|-"()':
            if char.isspace() or char in "|":
                negate_next = False
            index += 1
        else:
            start = index
            index = _word_end(query, index)
            words.append(_Word(start, index, relaxable=not negate_next and not any(excluded)))
            negate_next = False
    return words


def _word_end(query: str, index: int) -> int:
    length = len(query)
    while index < length and not query[index].isspace() and query[index] not in '|"()':
        index += 2 if query[index] == "\\" else 1
    return min(index, length)
