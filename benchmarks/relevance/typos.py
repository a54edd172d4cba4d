"""One ordinary typo in a name, as a person makes it: two adjacent letters swapped, one dropped, one doubled, or
one struck on a neighbouring QWERTY key. Never on the name's first letter (people rarely get it wrong, and a
search box's fuzzy matching usually requires it), only on letters, and only in the last dotted part
(`os.path.join` -> `os.path.jion`). Deterministic: the same seed and name give the same typo.
"""

import random
from collections.abc import Callable

KINDS = ("swap", "drop", "double", "neighbour")

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    """Each letter's neighbours on a QWERTY keyboard: left and right on its row, and the two touching keys on the
    staggered rows above (same column and one right) and below (one left and same column)."""
    found: dict[str, str] = {}
    for r, row in enumerate(_ROWS):
        for c, key in enumerate(row):
            near = [row[i] for i in (c - 1, c + 1) if 0 <= i < len(row)]
            if r > 0:
                near += [_ROWS[r - 1][i] for i in (c, c + 1) if 0 <= i < len(_ROWS[r - 1])]
            if r < len(_ROWS) - 1:
                near += [_ROWS[r + 1][i] for i in (c - 1, c) if 0 <= i < len(_ROWS[r + 1])]
            found[key] = "".join(sorted(near))
    return found


NEIGHBOURS = _neighbours()


def _same_case(letter: str, like: str) -> str:
    return letter.upper() if like.isupper() else letter


def _swap(word: str, i: int, rng: random.Random) -> str | None:
    if i + 1 >= len(word) or not word[i + 1].isalpha() or word[i].lower() == word[i + 1].lower():
        return None
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _drop(word: str, i: int, rng: random.Random) -> str | None:
    return word[:i] + word[i + 1 :]


def _double(word: str, i: int, rng: random.Random) -> str | None:
    return word[: i + 1] + word[i] + word[i + 1 :]


def _neighbour(word: str, i: int, rng: random.Random) -> str | None:
    keys = NEIGHBOURS.get(word[i].lower())
    if not keys:
        return None
    return word[:i] + _same_case(rng.choice(keys), word[i]) + word[i + 1 :]


_EDITS: dict[str, Callable[[str, int, random.Random], str | None]] = {
    "swap": _swap,
    "drop": _drop,
    "double": _double,
    "neighbour": _neighbour,
}


def make_typo(name: str, seed: str, avoid: frozenset[str] = frozenset()) -> tuple[str, str]:
    """`name` with one typo in its last dotted part, and the kind of typo. The random choices are seeded by
    `seed` and `name` alone, so a name's typo does not depend on the others. A typo whose last part (lowercased)
    is in `avoid`, another name of the index, is not a typo but another name: the next draw is taken."""
    head, dot, word = name.rpartition(".")
    positions = [i for i in range(1, len(word)) if word[i].isalpha()]
    if len(word) < 4 or not positions:
        raise ValueError(f"{name!r}: a typo needs a last part of at least 4 characters with a letter after the first")
    rng = random.Random(f"{seed}:{name}")
    for _ in range(100):  # bounded: each draw succeeds unless it hits a doubled letter or another name
        kind = rng.choice(KINDS)
        typo = _EDITS[kind](word, rng.choice(positions), rng)
        if typo is not None and typo != word and typo.lower() not in avoid:
            return head + dot + typo, kind
    raise ValueError(f"{name!r}: no typo found in 100 draws")


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps, one each."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
