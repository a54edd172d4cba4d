"""Elasticsearch's errors read into words. Pure: no I/O.

Its refusals (4xx answers to a search) in the service's own words: the caller gets a stable code and a sentence of
ours, never Elasticsearch's text: its reasons name indices, Java classes and parser states, and quote the query back.
The full reason goes to the log, under the request's id (errors.py). What remains useful to a caller is kept in our
form: where in `q` its parser stopped.

Its unavailability (a 5xx or 429 answer, a connection that failed on every attempt) in one line for the log, so
that a 503 found in the access log can be explained from its request id.
"""

import re
from dataclasses import dataclass
from typing import Any

MAX_REASON_LENGTH = 500
MAX_QUOTED_QUERY = 100  # of the query Elasticsearch quotes back in its reason

# Root-cause types, by what the caller can do about them.
_TOO_COMPLEX = frozenset({"too_many_clauses", "too_many_nested_clauses", "too_complex_to_determinize_exception"})
# The index does not fit the settings any more (its mapping changed after the check): the operator's to fix.
_MAPPING_WORDS = ("fielddata", "not aggregatable", "can't sort", "cannot sort", "no mapping found", "unknown field")


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    detail: str


def classify_refusal(body: Any) -> Refusal:
    """What to answer for Elasticsearch's 400 to a search, in our words."""
    types = set(_error_types(body))
    reasons = " ".join(_query_error_reasons(body)).lower()
    if types & _TOO_COMPLEX or "maxclausecount" in reasons or "too many clauses" in reasons:
        return Refusal(
            400, "query_too_complex", "The query expands to more clauses than the index allows; use fewer terms"
        )
    if "parse_exception" in types or "cannot parse '" in reasons or "failed to parse query" in reasons:
        return Refusal(400, "invalid_query", "The query could not be parsed; check its syntax")
    if any(words in reasons for words in _MAPPING_WORDS):
        return Refusal(
            503, "configuration_mismatch", "The service's field settings do not fit the index; try again later"
        )
    return Refusal(400, "invalid_query", "The search could not be run as asked; the request id names it in our log")


def describe_unavailable(body: Any) -> str:
    """Elasticsearch's own error answer in one line: its type and reason, then its root causes' (which say why a
    search phase failed: `no_shard_available_action_exception` for shards not assigned, a cluster block, a
    circuit breaker)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"no error object in its answer: {str(body)[:MAX_REASON_LENGTH]}"
    causes = [cause for cause in error.get("root_cause") or [] if isinstance(cause, dict)]
    parts = [_type_and_reason(error)]
    seen = {parts[0]}
    for cause in causes:
        part = _type_and_reason(cause)
        if part not in seen:
            seen.add(part)
            parts.append(part)
    line = parts[0] + (f"; root causes: {', '.join(parts[1:])}" if len(parts) > 1 else "")
    return line[:MAX_REASON_LENGTH]


def describe_attempts(error: BaseException) -> str:
    """Every attempt of a request that failed to reach Elasticsearch, oldest first, each with its node's address (in
    aiohttp's words), so the log says whether the retry went to another node.

    When the transport gives up it puts the earlier attempts' errors in the last one's `errors`, where the node had
    put that attempt's own cause; its `message` keeps the cause's text (`str()` would name the first attempt's).
    """
    earlier = getattr(error, "errors", ())
    attempts = [*(earlier if isinstance(earlier, tuple) else ()), error]
    return "; ".join(
        f"attempt {n}: {type(attempt).__name__}({getattr(attempt, 'message', attempt)})"[:MAX_REASON_LENGTH]
        for n, attempt in enumerate(attempts, 1)
    )


def _type_and_reason(level: dict[str, Any]) -> str:
    kind = str(level.get("type") or "unknown")
    reason = level.get("reason")
    return f"{kind} ({' '.join(str(reason).split())})" if reason else kind


def _error_types(body: Any) -> list[str]:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return []
    levels: list[Any] = [error, *(error.get("root_cause") or [])]
    for failed in error.get("failed_shards") or []:
        if isinstance(failed, dict):
            levels.append(failed.get("reason"))
    found: list[str] = []
    while levels:
        level = levels.pop()
        if isinstance(level, dict):
            found.append(str(level.get("type") or ""))
            levels.append(level.get("caused_by"))
    return found


def describe_query_error(body: Any) -> str:
    """Elasticsearch's reason for refusing a query, cut to what helps the user fix it.

    Parse failures nest: query_shard_exception -> parse_exception -> parse_exception, the inner ones
    carrying a long list of expected tokens. Keep the first line of each level, drop levels already
    quoted by the one above, and leave out index names, UUIDs and node ids. The query each level quotes
    is cut to MAX_QUOTED_QUERY characters, and its line breaks do not end the level's first line.
    """
    reasons: list[str] = []
    for reason in _query_error_reasons(body):
        first_line = _shorten_quoted_query(reason).splitlines()[:1]
        if first_line and not any(first_line[0] in earlier for earlier in reasons):
            reasons.append(first_line[0])
    reason = ": ".join(reasons) or "Elasticsearch could not run this query"
    return reason[:MAX_REASON_LENGTH]


def locate_query_error(body: Any, query: str | None) -> int | None:
    """Where in `query` (`q` as sent) Elasticsearch's parser failed, as a 0-based offset counted, like every
    `position`, without the whitespace around `q` (the service reads it so); the length of the query when it
    ended too early. None unless the text Elasticsearch says it parsed is that query itself, since its columns
    count in that text: the service sends a query re-written from luqum's tree, so this is rare.

    Lucene's parser reads one line (its line is always 1) and counts UTF-16 units: "Encountered ... at line 1,
    column N" gives the 0-based offset of the token, "Lexical error at line 1, column N" the 1-based column.
    """
    if not query or not query.strip():
        return None
    parsed = f"Cannot parse '{query.strip()}': "
    for reason in _query_error_reasons(body):
        if reason.startswith(parsed):
            found = _PARSER_COLUMN.match(reason, len(parsed))
            if found is None or found["line"] != "1":
                return None
            return _code_points(query.strip(), int(found["column"]) - (1 if found["lexical"] else 0))
    return None


_PARSER_COLUMN = re.compile(
    r"(?:(?P<lexical>Lexical error)|Encountered .*) at line (?P<line>\d+), column (?P<column>\d+)\."
)
# How Elasticsearch quotes the query it could not parse: "Failed to parse query [TEXT]" and
# "Cannot parse 'TEXT': Encountered ..." (or ": Lexical error ...").
_QUOTED_QUERY = (
    re.compile(r"(Failed to parse query \[)(.*)(\])", re.DOTALL),
    re.compile(r"(Cannot parse ')(.*)(': (?:Encountered|Lexical error).*)", re.DOTALL),
)


def _query_error_reasons(body: Any) -> list[str]:
    """The `reason` of each level of Elasticsearch's error (of its first failed shard), outermost first."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return []
    failed_shards = error.get("failed_shards") or []
    cause: Any = failed_shards[0].get("reason") if failed_shards else error
    reasons: list[str] = []
    while isinstance(cause, dict):
        reasons.append(str(cause.get("reason") or "").strip())
        cause = cause.get("caused_by")
    return reasons


def _shorten_quoted_query(reason: str) -> str:
    """`reason` with the query it quotes on one line and at most MAX_QUOTED_QUERY characters long."""
    for pattern in _QUOTED_QUERY:
        found = pattern.fullmatch(reason)
        if found is not None:
            text = " ".join(found[2].split())
            if len(text) > MAX_QUOTED_QUERY:
                text = text[:MAX_QUOTED_QUERY] + "…"
            return found[1] + text + found[3]
    return reason


def _code_points(text: str, utf16_units: int) -> int:
    """The offset in `text` as Python counts (code points) of an offset as Java counts (UTF-16 units)."""
    units = 0
    for index, char in enumerate(text):
        if units >= utf16_units:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)
