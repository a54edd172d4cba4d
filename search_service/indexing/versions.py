"""The loader's concrete indices: `<alias>-<UTC timestamp>` names, and which older ones to delete.

Pure. The timestamp is fixed-width (`20261204t181500123`: date, `t`, time to the millisecond), so names sort in the
order they were made, and it is lower case because Elasticsearch refuses upper case in index names.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

_STAMP = r"\d{8}t\d{9}"


def index_prefix(alias: str) -> str:
    """What every version of `alias` starts with. An alias may be upper case; an index may not."""
    return f"{alias.lower()}-"


def new_index_name(alias: str, now: datetime) -> str:
    """The version of `alias` made at `now` (UTC)."""
    return f"{index_prefix(alias)}{now:%Y%m%dt%H%M%S}{now.microsecond // 1000:03d}"


def is_version(name: str, alias: str) -> bool:
    """`name` is a version of `alias` made by the loader: the exact pattern, so `<alias>-backup` or
    `<alias>-2024` (someone else's) never match."""
    return re.fullmatch(re.escape(index_prefix(alias)) + _STAMP, name) is not None


def versions_to_delete(indices: Mapping[str, Iterable[str]], *, alias: str, new: str, keep: int) -> list[str]:
    """The versions of `alias` to delete once it points at `new`, given every index in `indices` with its aliases.

    `keep` counts `new`: 1 keeps it alone, 2 the previous version too. Only versions older than `new` go: a newer
    one is a load still running beside this one. A version that still carries an alias (the operator pinned it,
    or the swap did not happen) is kept.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1: the new index itself")
    older = sorted((name for name in indices if is_version(name, alias) and name < new), reverse=True)
    candidates = older[keep - 1 :]
    return sorted(name for name in candidates if not list(indices[name]))
