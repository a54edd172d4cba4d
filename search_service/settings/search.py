"""Settings of what a search may ask: the index's fields and each feature's (query/), and the cost policy
(query/policy.py). The field settings are checked against the index's mapping at startup (mapping/check.py)."""

import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import NoDecode

from search_service.settings.values import FIELD_NAME, FIELD_PATTERN, SEARCH_FIELD, split_commas

# A virtual index name, as InstantSearch's `sortBy` items give it.
INDEX_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


class SearchSettings(BaseModel):
    # Fields of the index, and what a request may ask for (query/). The defaults suit the demo index.
    search_fields: Annotated[list[str], NoDecode] = Field(
        default=["qualname^3", "aliases^3", "name^3", "identifiers^3", "summary^2", "signature", "docstring"],
        min_length=1,
        description="The fields `q` searches, comma-separated, each with an optional `^boost` (`title^3,body`); "
        "patterns allowed (`meta.*^0.5`). **Mapping type: `text`**; a `keyword` field is allowed but matches only "
        "its whole value, case-sensitively (startup warns about it). Every name without `*` must be in the mapping.",
    )
    search_query_fields: Annotated[list[str], NoDecode] = Field(
        default=["module", "kind", "qualname", "aliases", "name", "summary", "signature", "docstring"],
        min_length=1,
        description="The fields a query may name (`field:value`, `_exists_:field`), comma-separated; patterns "
        "allowed (`meta.*`), `*` allows any. Any other field, `_id`, a sub-field (`title.raw`) or a metadata field "
        "in `q` is refused with 400 `field_not_allowed`. **Mapping type: `text`**; `keyword` is allowed (matched "
        "whole and case-sensitively; startup warns about it).",
    )
    search_source_fields: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="The `_source` fields a hit and `/documents/{id}` return, comma-separated (patterns allowed: "
        "`meta.*`); empty returns the whole document. Set it so that internal fields never leave the service. "
        "**Mapping: each must be a field present in the mapping.**",
    )
    search_max_size: int = Field(
        default=100, ge=1, le=10_000, description="The largest `size` (hits per page) a search may ask for."
    )
    search_filter_fields: Annotated[list[str], NoDecode] = Field(
        default=["module", "kind", "popularity"],
        description="The fields `filter=` may name, comma-separated exact names (no patterns); empty turns "
        "filtering off. A filter's value is checked by the field's type ([filters](api.md#filters)). **Mapping "
        "type: `keyword`, a numeric type, `date`, `boolean` or `ip`.**",
    )
    search_facet_fields: Annotated[list[str], NoDecode] = Field(
        default=["module", "kind"],
        description="The fields `facets=` (and `stats=`) may name, comma-separated exact names; empty turns facets "
        "off. **Mapping type: aggregatable: `keyword`, a numeric type, `date` or `boolean`** (not `text`).",
    )
    search_sort_fields: Annotated[list[str], NoDecode] = Field(
        default=["module", "kind", "popularity", "qualname.raw"],
        description="The fields `sort=` may name besides `score`, comma-separated exact names; empty leaves only "
        "relevance. **Mapping type: sortable: `keyword`, a numeric type, `date` or `boolean`.**",
    )
    search_sort_indices: Annotated[dict[str, list[str]], NoDecode] = Field(
        default_factory=dict,
        description="Sorted views of the index for [InstantSearch](instantsearch.md)'s `sortBy`, each a name a "
        "request's `indexName` may give: `products_price_asc=price,products_price_desc=-price` (keys among "
        "SEARCH_SORT_FIELDS, `-` for descending, several joined by `|`). The index itself, ranked by relevance, is "
        "named as ELASTICSEARCH_INDEX.",
    )
    search_rank_field: str = Field(
        default="popularity",
        description="The numeric field [custom ranking](api.md#custom-ranking) mixes into relevance; `-field` "
        "when lower is better (a rank position); empty turns custom ranking off. **Mapping type: numeric.**",
    )
    search_suggest_field: str = Field(
        default="qualname.raw",
        description="The field [`/suggest`](api.md#suggestions) completes; empty turns `/suggest` off "
        "(404 `suggest_disabled`). **Mapping type: `keyword` (or `text`)**; no `completion` mapping is needed.",
    )
    search_max_filters: int = Field(
        default=16, ge=1, le=64, description="How many `filter` parameters one search may send."
    )
    search_max_facet_size: int = Field(
        default=100, ge=1, le=1_000, description="The largest `facet_size` (values per facet) a search may ask for."
    )
    search_suggest_max_size: int = Field(
        default=20, ge=1, le=100, description="The largest `size` a `/suggest` request may ask for."
    )
    search_track_total_hits: int = Field(
        default=10_000,
        ge=0,
        le=1_000_000,
        description="Totals are counted exactly up to this many hits, then reported as a lower bound "
        "(`total.relation` `gte`): counting costs time on large result sets.",
    )
    search_cursor_keep_alive: int = Field(
        default=120,
        ge=10,
        le=3_600,
        description="Seconds a `next` cursor stays valid after its page: the point in time it reads is kept open "
        "that long in Elasticsearch ([deep paging](api.md#deep-paging)).",
    )
    search_did_you_mean_below: int = Field(
        default=3,
        ge=-1,
        le=1_000,
        description='"Did you mean" suggestions when a first page finds at most this many hits, at the cost of '
        "one more request to Elasticsearch ([did you mean](api.md#did-you-mean)); `-1` turns them off.",
    )
    search_did_you_mean_ratio: int = Field(
        default=20,
        ge=2,
        le=1_000_000,
        description="A word is corrected only to one that this many times as many documents hold: `pyhton` (12 "
        "documents) to `python` (41,130), but not `json` (21) to `join` (29).",
    )

    # Typo tolerance and search as you type, `mode=simple` only (query/tolerance.py, [typos](api.md#typos)).
    search_typos: Literal["0", "1", "2", "auto"] = Field(
        default="auto",
        description="The most typos a word of a `mode=simple` query may have, unless a request says (`typos`): "
        "`auto` allows 1 from SEARCH_TYPO_MIN_1 letters and 2 from SEARCH_TYPO_MIN_2; `0` turns tolerance off.",
    )
    search_typo_min_1: int = Field(
        default=4, ge=1, le=50, description="The shortest word that may have one typo (`auto`, `1`, `2`)."
    )
    search_typo_min_2: int = Field(
        default=8, ge=2, le=50, description="The shortest word that may have two typos (`auto`, `2`)."
    )
    search_typo_threshold: int = Field(
        default=1,
        ge=0,
        le=10_000,
        description="The tolerant pass (typos, and the last word completed as a prefix) runs only when the query as "
        "written finds fewer hits than this (by default: none), so a search that finds something costs one request "
        "to Elasticsearch, as without tolerance. Higher (e.g. 10, a page) brings close matches to short result lists "
        "too, and lets did-you-mean speak when they are SEARCH_DID_YOU_MEAN_RATIO times as many. `0`: never.",
    )
    search_prefix: bool = Field(
        default=True,
        description="Complete the last word of a `mode=simple` query as a prefix in the tolerant pass (search as you "
        "type), unless a request says (`prefix`).",
    )
    search_default_operator: Literal["auto", "and", "or"] = Field(
        default="auto",
        description="How words not joined by an operator combine: `and` finds documents holding every word (fewer, "
        "closer hits), `or` any of them (more hits, best first). `auto`: `or` in `query_string` mode, `and` in "
        "`simple` mode, as a search box.",
    )

    # The cost policy (query/policy.py): what one query may ask of Elasticsearch.
    search_allow_regex: bool = Field(
        default=False,
        description="Allow regular expressions (`/.../`) in `q`; off, they are refused with 400 `regex_not_allowed`.",
    )
    search_max_clauses: int = Field(
        default=32,
        ge=1,
        le=1_024,
        description="The most terms, phrases and ranges one query may hold (400 `too_many_clauses`).",
    )
    search_max_depth: int = Field(
        default=6, ge=1, le=50, description="The deepest nesting of parentheses in a query (400 `query_too_deep`)."
    )
    search_max_wildcard_terms: int = Field(
        default=3,
        ge=0,
        le=50,
        description="The most `*`/`?` terms (regular expressions included) in one query (400 `too_many_wildcards`).",
    )
    search_min_wildcard_prefix: int = Field(
        default=2,
        ge=1,
        le=50,
        description="The characters a wildcard term needs before its first `*` or `?` (400 "
        "`wildcard_prefix_too_short`): a short prefix walks most of the term dictionary.",
    )
    search_max_fuzzy_terms: int = Field(
        default=3, ge=0, le=50, description="The most fuzzy terms (`jsn~`) in one query (400 `too_many_fuzzy_terms`)."
    )
    search_max_fuzzy_edits: int = Field(
        default=2,
        ge=0,
        le=2,  # Elasticsearch allows no more than 2
        description="The largest edit distance of a fuzzy term (`jsn~2`), and what a bare `jsn~` means (400 "
        "`fuzzy_distance_too_large`). Elasticsearch allows no more than 2.",
    )
    search_max_phrase_slop: int = Field(
        default=10,
        ge=0,
        le=1_000,
        description='The largest slop of a phrase (`"a b"~10`) (400 `phrase_slop_too_large`).',
    )
    search_timeout: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="Seconds after which Elasticsearch stops collecting hits and answers with what it has (200 "
        "with `timed_out: true`). Must be below `ELASTICSEARCH_REQUEST_TIMEOUT`, so that a slow search answers with "
        "partial results instead of failing.",
    )
    search_highlight_max_chars: int = Field(
        default=10_000,
        ge=100,
        le=1_000_000,
        description="How many characters of each field highlighting may analyse per hit "
        "(`max_analyzed_offset`): highlighting is most of what a costly query costs.",
    )

    _split_fields = field_validator(
        "search_fields",
        "search_query_fields",
        "search_source_fields",
        "search_filter_fields",
        "search_facet_fields",
        "search_sort_fields",
        mode="before",
    )(split_commas)

    @field_validator("search_fields")
    @classmethod
    def _check_search_fields(cls, fields: list[str]) -> list[str]:
        for field in fields:
            if not SEARCH_FIELD.match(field):
                raise ValueError(f"{field!r} is not a field name with an optional ^boost, e.g. 'title^3'")
        return fields

    @field_validator("search_query_fields", "search_source_fields")
    @classmethod
    def _check_field_patterns(cls, fields: list[str]) -> list[str]:
        for field in fields:
            if not FIELD_PATTERN.match(field):
                raise ValueError(f"{field!r} is not a field name or pattern, e.g. 'title' or 'meta.*'")
        return fields

    @field_validator("search_filter_fields", "search_facet_fields", "search_sort_fields")
    @classmethod
    def _check_exact_fields(cls, fields: list[str]) -> list[str]:
        for field in fields:
            if not FIELD_NAME.match(field):
                raise ValueError(f"{field!r} is not a field name, e.g. 'category' or 'meta.year' (no patterns)")
        return fields

    @field_validator("search_rank_field", "search_suggest_field")
    @classmethod
    def _check_optional_field(cls, field: str, info: ValidationInfo) -> str:
        field = field.strip()
        name = field.removeprefix("-") if info.field_name == "search_rank_field" else field
        if field and not FIELD_NAME.match(name):
            raise ValueError(f"{field!r} is not a field name, e.g. 'popularity' (or '-rank' when lower is better)")
        return field

    @field_validator("search_sort_indices", mode="before")
    @classmethod
    def _read_sort_indices(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        indices: dict[str, list[str]] = {}
        for entry in (part.strip() for part in value.split(",") if part.strip()):
            name, equals, sort = entry.partition("=")
            if not equals or not INDEX_NAME.match(name.strip()) or not sort.strip():
                raise ValueError(f"{entry!r} is not name=sort, e.g. 'products_price_asc=price'")
            indices[name.strip()] = [key.strip() for key in sort.split("|") if key.strip()]
        return indices

    @model_validator(mode="after")
    def _check_sort_indices(self) -> "SearchSettings":
        for name, keys in self.search_sort_indices.items():
            for key in keys:
                field = key.removeprefix("-")
                if field != "score" and field not in self.search_sort_fields:
                    raise ValueError(
                        f"SEARCH_SORT_INDICES: {name} sorts on {field!r}, which is not in SEARCH_SORT_FIELDS"
                    )
        return self

    @model_validator(mode="after")
    def _check_typo_lengths(self) -> "SearchSettings":
        if self.search_typo_min_2 <= self.search_typo_min_1:
            raise ValueError(
                f"SEARCH_TYPO_MIN_2 ({self.search_typo_min_2}) must be above SEARCH_TYPO_MIN_1 "
                f"({self.search_typo_min_1}): a word needs more letters for two typos than for one"
            )
        return self
