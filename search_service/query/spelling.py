"""Did you mean: the `_search` body that asks Elasticsearch's term suggester to correct the words of a query, and
the corrected queries from its answer. Pure: no I/O, no Django.

Only the fields `q` searches (SEARCH_FIELDS) are asked, so a suggestion never reveals a word that lives only in
a field the caller cannot search. A term suggester looks at one field and knows nothing of the others, so the
same body also counts, for each word, the documents holding it in any searched field, and a word is corrected
only to one that many more documents hold (MIN_POPULARITY_RATIO). So a typo that made it into a document is
still corrected (`pyhton` in one docstring leads to `python`), while a real word is not "corrected" to a more
common neighbour, nor to a word of another field because the suggester of a field without it found one.

Under a tenant token (tenants/) the suggester still reads the whole index, so its candidates are words of every
tenant's documents: the word counts are then made within the tenant's filters, and each candidate is counted there
too (build_held_body, a second size-0 search); a candidate no document of the tenant holds is never suggested, so a
correction reveals no word of another tenant.

Suggestions are written into the query as the caller typed it, not into the re-written text Elasticsearch
searched (policy.CheckedQuery), so that `json.dumps pyhton` leads to `json.dumps python` and not to an escaped
`json\\.dumps python`. The suggest text never reaches a query parser: it is only analysed, word by word.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from search_service.query.body import strip_boost
from search_service.query.filters import Filter, within_tenant
from search_service.query.spelling_words import (
    MAX_WORD_LENGTH,
    MIN_WORD_LENGTH,
    Word,
    in_case_of,
    plain_words,
    replace_spans,
)

OPTIONS_PER_FIELD = 3
# Under a tenant token: the suggester ranks its options by the whole index's counts, so other tenants' words can
# crowd a tenant's own out of the first three; more options give its words room (build_held_body counts each).
TENANT_OPTIONS_PER_FIELD = 8
MAX_SUGGESTIONS = 3
# One edit (a letter added, dropped, changed, or two swapped: `pyhton`) covers most typos; two cost about
# ten times as much (median `took` 2.5 ms against 22 ms on the demo index, five fields, a loaded machine).
MAX_EDITS = 1
# A word in more than 1% of a field's documents is not looked up in that field at all (the suggester's
# default, stated because the lookup is the costly part and such a word is not a typo anyway).
MAX_TERM_FREQ = 0.01
# A word the searched fields hold is corrected only to one held by more than this many times as many
# documents: `json` (21 demo documents) is not a typo of `join` (29) nor `lock` (33) of `loop` (99), while
# `pyhton` (1) is one of `python` (768). A typo is rare next to its word; a real word need not be.
MIN_POPULARITY_RATIO = 20
WORD_COUNTS = "did_you_mean_words"  # the aggregation's name
HELD_COUNTS = "did_you_mean_held"  # the tenant's count of each candidate (build_held_body)


def found_at_most(result: Any, limit: int) -> bool:
    """Whether a search answer counted at most `limit` hits. A `gte` total is only a lower bound (counting
    stopped at SEARCH_TRACK_TOTAL_HITS), and so is the total of a search cut short (a timeout, a failed shard:
    a struggling cluster, not one to ask for more); a malformed answer is refused elsewhere. All are no."""
    if _cut_short(result):
        return False
    hits = result.get("hits") if isinstance(result, dict) else None
    total = hits.get("total") if isinstance(hits, dict) else None
    if not isinstance(total, dict) or total.get("relation") != "eq":
        return False
    value = total.get("value")
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit


def build_spelling_body(
    query: str, fields: Sequence[str], *, timeout_seconds: float, tenant_filters: Sequence[Filter] = ()
) -> dict[str, Any] | None:
    """The size-0 `_search` body with a term suggester per searched field and the count of documents holding
    each word (within `tenant_filters`, a tenant token's); None when `query` has no word worth correcting or no
    field a suggester can read."""
    words = plain_words(query)
    names = list(dict.fromkeys(strip_boost(field) for field in fields))
    # A suggester reads one concrete field; `meta.*` would fail the whole call.
    suggest_fields = [name for name in names if "*" not in name]
    if not words or not suggest_fields:
        return None
    counts = {str(number): _holds(word.text, names) for number, word in enumerate(words)}
    return {
        "size": 0,
        "track_total_hits": False,
        "timeout": f"{round(timeout_seconds * 1000)}ms",
        # The counts visit only the documents holding one of the words, not the whole index.
        "query": within_tenant({"bool": {"should": list(counts.values())}}, tenant_filters),
        "aggs": {WORD_COUNTS: {"filters": {"filters": counts}}},
        "suggest": {
            "text": _suggest_text(words),
            **{
                field: {
                    "term": {
                        "field": field,
                        # The counts decide whether a word is misspelt, so candidates are wanted even for a
                        # word the field holds ("missing" would give none for a typo found in one document).
                        "suggest_mode": "always",
                        "size": TENANT_OPTIONS_PER_FIELD if tenant_filters else OPTIONS_PER_FIELD,
                        "min_word_length": MIN_WORD_LENGTH,
                        "max_edits": MAX_EDITS,
                        "max_term_freq": MAX_TERM_FREQ,
                    }
                }
                for field in suggest_fields
            },
        },
    }


def spelling_suggestions(
    query: str, answer: Any, *, min_ratio: int = MIN_POPULARITY_RATIO, held: Mapping[str, int] | None = None
) -> list[str]:
    """At most MAX_SUGGESTIONS rewrites of `query`, each misspelt word replaced by a neighbour more than
    `min_ratio` times as many documents hold (SEARCH_DID_YOU_MEAN_RATIO), best first. `held`: under a tenant
    token, how many of the tenant's documents hold each candidate (held_counts), which replace the index-wide
    counts; a candidate it does not name counts 0. Never raises: an answer it cannot read gives no suggestions."""
    words = plain_words(query)
    if not words or not isinstance(answer, dict):
        return []
    if _cut_short(answer):  # its counts are too low, and would make real words look like typos
        return []
    counts = _word_counts(answer.get("aggregations"), len(words))
    corrections: dict[int, list[str]] = {}
    for number, candidates in _options_by_word(answer.get("suggest"), words).items():
        count = counts.get(number)
        if count is None:  # unknown: correcting might turn a real word into a rarer one
            continue
        if held is not None:
            candidates = {text: (score, held.get(text, 0)) for text, (score, _) in candidates.items()}
        better = [(score, freq, text) for text, (score, freq) in candidates.items() if freq > min_ratio * count]
        if not better:
            continue
        # The closest spellings only (a farther one is a guess), the most held first.
        closest = max(score for score, _, _ in better)
        ranked = sorted((-freq, text) for score, freq, text in better if score >= closest)
        corrections[number] = [text for _, text in ranked[:MAX_SUGGESTIONS]]
    suggestions: list[str] = []
    for choice in range(MAX_SUGGESTIONS):
        replacements = {
            span: in_case_of(query[span[0] : span[1]], texts[min(choice, len(texts) - 1)])
            for number, texts in corrections.items()
            for span in words[number].spans
        }
        suggestion = replace_spans(query, replacements)
        if suggestion != query and suggestion not in suggestions:
            suggestions.append(suggestion)
    return suggestions


def spelling_candidates(query: str, answer: Any) -> list[str]:
    """Every word the suggester offered for the query's words (at most MAX_WORDS x TENANT_OPTIONS_PER_FIELD a
    field), in a stable order: what a tenant's documents are asked to hold (build_held_body)."""
    words = plain_words(query)
    if not words or not isinstance(answer, dict):
        return []
    offered = _options_by_word(answer.get("suggest"), words)
    return sorted({text for candidates in offered.values() for text in candidates})


def build_held_body(
    candidates: Sequence[str], fields: Sequence[str], tenant_filters: Sequence[Filter], *, timeout_seconds: float
) -> dict[str, Any] | None:
    """The size-0 `_search` body counting, within a tenant's filters, the documents holding each candidate in any
    searched field; None with no candidate."""
    if not candidates:
        return None
    names = list(dict.fromkeys(strip_boost(field) for field in fields))
    counts = {str(number): _holds(text, names) for number, text in enumerate(candidates)}
    return {
        "size": 0,
        "track_total_hits": False,
        "timeout": f"{round(timeout_seconds * 1000)}ms",
        "query": within_tenant({"bool": {"should": list(counts.values())}}, tenant_filters),
        "aggs": {HELD_COUNTS: {"filters": {"filters": counts}}},
    }


def held_counts(candidates: Sequence[str], answer: Any) -> dict[str, int] | None:
    """Each candidate's count from build_held_body's answer; None when it cannot be read or was cut short (then no
    suggestion is made: a count too low would hide nothing, but a missing one must not be taken for the index's)."""
    if not isinstance(answer, dict) or _cut_short(answer):
        return None
    counts = _bucket_counts(answer.get("aggregations"), HELD_COUNTS, len(candidates))
    if len(counts) != len(candidates):
        return None
    return {text: counts[number] for number, text in enumerate(candidates)}


def _cut_short(answer: Any) -> bool:
    shards = answer.get("_shards") if isinstance(answer, dict) else None
    return isinstance(answer, dict) and (
        answer.get("timed_out") is True or (isinstance(shards, dict) and bool(shards.get("failed")))
    )


def _holds(word: str, fields: list[str]) -> dict[str, Any]:
    """Documents holding `word` in any searched field, analysed as each field is; `lenient` for the numbers."""
    return {"multi_match": {"query": word, "fields": fields, "lenient": True}}


def _suggest_text(words: list[Word]) -> str:
    return " ".join(word.text for word in words)


def _utf16_length(text: str) -> int:
    """Elasticsearch's offsets count UTF-16 units, as Java strings do."""
    return len(text.encode("utf-16-le")) // 2


def _word_counts(aggregations: Any, word_count: int) -> dict[int, int]:
    return _bucket_counts(aggregations, WORD_COUNTS, word_count)


def _bucket_counts(aggregations: Any, name: str, word_count: int) -> dict[int, int]:
    counts = aggregations.get(name) if isinstance(aggregations, dict) else None
    buckets = counts.get("buckets") if isinstance(counts, dict) else None
    if not isinstance(buckets, dict):
        return {}
    found: dict[int, int] = {}
    for number in range(word_count):
        bucket = buckets.get(str(number))
        count = bucket.get("doc_count") if isinstance(bucket, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            found[number] = count
    return found


def _options_by_word(suggest: Any, words: list[Word]) -> dict[int, dict[str, tuple[float, int]]]:
    """Per word (by its number), each candidate with its best score and the most documents holding it in a
    field. An entry counts only when it is exactly one of the words sent: an analyser that stems, splits or
    folds a word would have the suggester correct something the caller did not write."""
    # Where each word stands in the suggest text (words joined by single spaces), as the entries say it.
    numbers: dict[tuple[Any, ...], int] = {}
    start = 0
    for position, word in enumerate(words):
        length = _utf16_length(word.text)
        numbers[(start, length, word.text)] = position
        start += length + 1
    options: dict[int, dict[str, tuple[float, int]]] = {}
    for entry in _entries(suggest):
        key = (entry.get("offset"), entry.get("length"), entry.get("text"))
        number = numbers.get(key) if all(isinstance(part, (int, str)) for part in key) else None
        if number is None or not isinstance(entry.get("options"), list):
            continue
        for option in entry["options"]:
            candidate = _option(option, words[number].text)
            if candidate is not None:
                text, score, freq = candidate
                best_score, best_freq = options.setdefault(number, {}).get(text, (score, freq))
                options[number][text] = (max(score, best_score), max(freq, best_freq))
    return options


def _entries(suggest: Any) -> list[dict[str, Any]]:
    """Every suggester's entries (one per token of the suggest text), whatever the suggester's name."""
    if not isinstance(suggest, dict):
        return []
    return [
        entry
        for entries in suggest.values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]


def _option(option: Any, word: str) -> tuple[str, float, int] | None:
    """A candidate that can stand in a query as a word: letters and digits only, so that a suggestion sent back
    as `q` means the words it shows."""
    if not isinstance(option, dict):
        return None
    text, score, freq = option.get("text"), option.get("score"), option.get("freq")
    if not isinstance(text, str) or not text.isalnum() or text == word or len(text) > MAX_WORD_LENGTH:
        return None
    if not isinstance(score, (int, float)) or isinstance(score, bool) or score != score:  # NaN
        return None
    if not isinstance(freq, int) or isinstance(freq, bool) or freq < 0:
        return None
    return text, float(score), freq
