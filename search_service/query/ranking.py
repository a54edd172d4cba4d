"""Custom ranking: a numeric field (popularity, downloads, a rank position) mixed into the text score. Pure.

The text query is wrapped in a `function_score` that multiplies each hit's text score by

    m = min(1 + BOOST_PER_DECADE * log10(1 + popularity), MAX_BOOST)     `popularity`: higher is better
    m = 1 + BOOST_PER_DECADE * (how many of RANK_DECADES rank is below)   `-rank`: lower is better

with BOOST_PER_DECADE = 0.5 and MAX_BOOST = 4: popularity 0 → 1, 10 → 1.5, 100 → 2, 1,000 → 2.5,
10,000 → 3, 100,000 → 3.5, a million and more → 4; rank 0-9 → 4, 10-99 → 3.5, ..., a million and more → 1.

Why this shape (Algolia's custom ranking and Typesense's `sort_by=_text_match,popularity` as models, built from
core `function_score` parts only: no scripts, and no `rank_feature`, which needs its own mapping):
- **Multiplied, not added**: a BM25 score has no fixed scale (it depends on the index and the query), so an
  added popularity would swamp some queries and vanish in others; a factor keeps text relevance in charge.
- **Between 1 and 4**: no hit is ever scored down, and popularity reorders only hits whose text scores are
  within 4x of each other, so a much better match (an exact name match against a popular hit that mentions
  the word in passing, or a match on the query's rare word that the popular hit lacks) is never buried.
- **Logarithmic, so saturating**: each tenfold adds the same 0.5, so going from 500 to 50,000 (x1.43)
  outweighs a text lead of up to 43% (keyword stuffing: tests/test_ranking.py), 5 to 50,000 (x2.4) one of
  up to 2.4x, and past a million, text decides alone. A log has no scale to set, which matters because the
  service cannot know whether a field counts to 150 (the demo's) or to millions (downloads).
- **Tuned on the demo data** (docs/api.md, "Custom ranking"): 0.5 a decade moves the name matches everybody means
  to the top (`open` → io.open, `run` → subprocess.run, `split` → os.path.split); 1 a decade already lets
  popular weak matches through (`request` → builtins.SystemExit). The cap sits at a million, not lower,
  because the cap flattens everything above it: at 10,000, `requests` (50,000) would gain nothing over
  a package with 10,000 and lose to 500-download ones whose summaries repeat its name.
- **Lower is better** (`-rank`) is the same curve mirrored, a step per decade, built from range filters
  because nothing smoother is safe: weights cannot be negative, `reciprocal` divides by zero at rank 0, and
  decay functions (`exp`, `gauss`) refuse an index where the field is unmapped (400 `unknown field`).

Documents without the field get m = 1, as do a popularity of 0 or less and a negative rank: no boost, never
an error (log10(1 + x) fails the whole search for x ≤ -1, so each function is filtered to the values it
can take). Where the field is unmapped the search answers as without ranking: the filters match nothing
and `missing` keeps field_value_factor from refusing the unmapped field.
"""

from typing import Any

# How much each tenfold of popularity (or of rank, for `-field`) multiplies the text score by, and the cap.
BOOST_PER_DECADE = 0.5
MAX_BOOST = 4.0
# For lower-is-better fields: each of these a rank is below adds BOOST_PER_DECADE, so rank 0-9 gets MAX_BOOST.
RANK_DECADES = (10, 100, 1_000, 10_000, 100_000, 1_000_000)


def rank_query(query: dict[str, Any], rank_field: str) -> dict[str, Any]:
    """`query` with its score multiplied by the popularity of `rank_field` (`-field`: lower is better), from
    1 to MAX_BOOST; `""` returns `query` unchanged. See the module's docstring for the formula."""
    if not rank_field:
        return query
    field = rank_field.removeprefix("-")
    functions = _lower_is_better(field) if rank_field.startswith("-") else _higher_is_better(field)
    return {
        "function_score": {
            "query": query,
            # The floor: every hit keeps at least its text score (m ≥ 1), whatever the field holds.
            "functions": [{"weight": 1}, *functions],
            "score_mode": "sum",
            "boost_mode": "multiply",
            "max_boost": MAX_BOOST,
        }
    }


def _higher_is_better(field: str) -> list[dict[str, Any]]:
    return [
        {
            # Only positive values: log1p(x) is log10(1 + x), which fails the search for x ≤ -1.
            "filter": {"range": {field: {"gt": 0}}},
            # `missing`: without it field_value_factor refuses an index where the field is unmapped.
            "field_value_factor": {"field": field, "modifier": "log1p", "missing": 0},
            "weight": BOOST_PER_DECADE,
        }
    ]


def _lower_is_better(field: str) -> list[dict[str, Any]]:
    # A range filter matches nothing where the field is missing, unmapped or negative: those get m = 1.
    return [
        {"filter": {"range": {field: {"gte": 0, "lt": decade}}}, "weight": BOOST_PER_DECADE} for decade in RANK_DECADES
    ]
