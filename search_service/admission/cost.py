"""What a request will cost Elasticsearch, in units of an ordinary search, before it is sent. Pure.

The fair scheduler (fair_queue.py) charges each caller by this estimate, so that one costly request weighs as
much as the many cheap ones it displaces; past EXPENSIVE_UNITS a request takes the expensive lane (gate.py).
Each term's weight was calibrated against Elasticsearch's own time (`took`) on the demo index and the 200,000-
document attack index (`make bench --only attack`), where an ordinary search (two words, ten hits, no facets)
takes 1 to 2 ms: the figures in the comments are the measured multiples of that.
"""

from dataclasses import dataclass

from search_service.query.rules import QueryCost

# One unit: two words over the search fields, ten hits fetched and highlighted.
ORDINARY_TERMS = 2
ORDINARY_HITS = 10
# Each word past the ordinary two runs once more over every search field: 12 words ORed took ~5x.
UNITS_PER_EXTRA_TERM = 0.35
# Each hit fetched past ten is read from stored source and highlighted: size=50 took ~3x, size=100 ~5x.
UNITS_PER_EXTRA_HIT = 0.05
# Every shard collects and sorts `from + size` hits: page 20 of 50 (1,000 deep) took ~3x.
UNITS_PER_THOUSAND_DEEP = 2.0
# A facet bucket is a term counted over every matching document: 2 facets x 25 values took ~4x.
UNITS_PER_FACET_BUCKET = 0.06
# Facet buckets that leave an ordinary query well below EXPENSIVE_UNITS (3 units of 8): the search page's budget.
ORDINARY_FACET_BUCKETS = 50
# Wildcard, fuzzy, regex and range terms walk the term dictionary: 5-40x a plain search, by index size.
UNITS_PER_EXPANDING_TERM = 8.0
# A script per document touched (runtime fields): a runtime sort measured 40x.
UNITS_FOR_SCRIPTS = 20.0
# Opening a point in time holds the index's segments for SEARCH_CURSOR_KEEP_ALIVE: priced like a large search.
UNITS_FOR_POINT_IN_TIME = 8.0
# The tolerant pass of `mode=simple` (query/tolerance.py) on top of the search it repeats: a typo'd word is a fuzzy
# term bounded to 20 expansions from its second letter, the last word a prefix. On the 200,000-document index, where
# the plain search took 0-1 ms: `pyhton` 3 ms, `jsonde` 2 ms, `JSONDecodr` (completed, or 2 typos) 8 ms.
UNITS_PER_TYPO_WORD = 2.0
UNITS_PER_COMPLETED_WORD = 1.0
# A facet value search's regular expression is matched against each value of the facet's field (keywords: a
# sidebar's brands, modules), bounded by the 100 characters it may have. On the 200,000-document index (447
# modules) it took 1-4 ms, as the facet's plain counts did (2-11 ms): priced as those plus a completed word.
UNITS_FOR_FACET_VALUE_SEARCH = 1.0
# From here on a request runs in the expensive lane, a few at a time per worker (gate.py).
EXPENSIVE_UNITS = 8.0
# The did-you-mean call: a term suggester per word, whose candidates grow with the word's length (edits of every
# letter): 4-5 long nonsense words took 15-20 ms, ~12x an ordinary search (issue 19), a word of 6 letters ~2x.
SPELLING_LETTERS_PER_UNIT = 6


@dataclass(frozen=True)
class Cost:
    units: float
    # Which lane: the costliest single search's units, for searches sent together (batch_cost); else `units`.
    lane_units: float | None = None

    @property
    def expensive(self) -> bool:
        return (self.units if self.lane_units is None else self.lane_units) >= EXPENSIVE_UNITS


def search_cost(
    query: QueryCost,
    *,
    words: int,
    page: int,
    size: int,
    facet_buckets: int = 0,
    opens_point_in_time: bool = False,
    runs_scripts: bool = False,
) -> Cost:
    """The estimate for one search. `words` counts every word of the checked query, phrases' too: a 245-word
    phrase is one clause but took ~30x an ordinary search."""
    terms = max(query.clauses, words)
    expanding = query.wildcard_terms + query.fuzzy_terms + query.regex_terms + query.range_terms
    depth = max(0, page - 1) * size
    units = (
        1.0
        + UNITS_PER_EXTRA_TERM * max(0, terms - ORDINARY_TERMS)
        + UNITS_PER_EXTRA_HIT * max(0, size - ORDINARY_HITS)
        + UNITS_PER_THOUSAND_DEEP * depth / 1_000
        + UNITS_PER_FACET_BUCKET * facet_buckets
        + UNITS_PER_EXPANDING_TERM * expanding
        + (UNITS_FOR_SCRIPTS if runs_scripts else 0.0)
        + (UNITS_FOR_POINT_IN_TIME if opens_point_in_time else 0.0)
    )
    return Cost(round(units, 2))


def tolerant_cost(search: Cost, *, typo_words: int, completed: bool, short_completion: bool = False) -> Cost:
    """The tolerant pass of a search whose own estimate is `search`; a completion of one letter (`disk_u`) walks
    the term dictionary like a wildcard (22-52 ms on the 200,000-document index) and is priced as one."""
    completion = UNITS_PER_EXPANDING_TERM if short_completion else UNITS_PER_COMPLETED_WORD if completed else 0.0
    extra = UNITS_PER_TYPO_WORD * typo_words + completion
    return Cost(round(search.units + extra, 2))


def spelling_cost(words: list[str]) -> Cost:
    """The did-you-mean call for a query of `words` (query/spelling.py asks a suggester per word)."""
    return Cost(round(max(1.0, sum(1 + len(word) / SPELLING_LETTERS_PER_UNIT for word in words)), 2))


def batch_cost(costs: list[Cost]) -> Cost:
    """Searches sent as one `_msearch` (the InstantSearch protocol): charged their sum; each runs as its own search
    on Elasticsearch, so the lane is the costliest one's (a page's four ordinary facet searches are not one
    expensive query, and taking the expensive lane's few turns would refuse honest pages)."""
    return Cost(round(sum(cost.units for cost in costs), 2), lane_units=max(cost.units for cost in costs))


def facet_search_cost(search: Cost) -> Cost:
    """A facet value search (the values of one facet whose word starts with what was typed) over the hits of a
    search whose own estimate, counts only, is `search`: a regular expression run over the field's values."""
    return Cost(round(search.units + UNITS_FOR_FACET_VALUE_SEARCH, 2))


# One document by id, or a completion of a prefix: a lookup, cheaper than any search.
LOOKUP = Cost(0.5)
