"""The rules a query must follow and what it costs: plain data, filled from the settings. Pure."""

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from search_service.settings import ServiceSettings


class QueryRefused(ValueError):
    """The query is refused before Elasticsearch sees it; `code` is the API's stable `error` code.

    `position` (the 0-based offset in the query of what is wrong) and `hint` (another way to ask) when known.
    """

    def __init__(self, code: str, detail: str, *, position: int | None = None, hint: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.position = position
        self.hint = hint


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
    range_terms: int = 0

    @property
    def expands_terms(self) -> bool:
        """Wildcard, fuzzy, regex and range clauses expand to every matching term of the index (a range over a
        text field walks the term dictionary like a wildcard): the costly part of a search."""
        return bool(self.wildcard_terms or self.fuzzy_terms or self.regex_terms or self.range_terms)


def too_many_clauses(count: int, policy: QueryPolicy) -> QueryRefused:
    return QueryRefused("too_many_clauses", f"the query has {count} terms; at most {policy.max_clauses} are allowed")


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
