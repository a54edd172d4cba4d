"""`_highlightResult` and `_snippetResult` as Algolia writes them, from a hit's source and Elasticsearch's whole-value
highlights (`number_of_fragments: 0`). Pure.

Values are not HTML-escaped, as Algolia's are not: InstantSearch marks matches with its own tags
(`__ais-highlight__`), escapes the value, then turns its tags into `<mark>`. A front end that inserts a value as
HTML with the default `<em>` tags must escape it itself, as with Algolia.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

WORD = re.compile(r"\w+")


def query_words(query: str) -> list[str]:
    return list(dict.fromkeys(word.casefold() for word in WORD.findall(query)))


def _marked(value: str, pre: str, post: str) -> list[str]:
    if not pre or not post:
        return []
    return [part.casefold() for part in re.findall(re.escape(pre) + "(.*?)" + re.escape(post), value, re.S)]


def _matches(word: str, marked: str) -> bool:
    # Elasticsearch marks what its analyser matched: `kettles` for `kettle`, `json` for the prefix `js`.
    return marked.startswith(word) or word.startswith(marked)


def _entry(value: str, words: Sequence[str], pre: str, post: str) -> dict[str, Any]:
    marked = _marked(value, pre, post)
    if not marked:
        return {"value": value, "matchLevel": "none", "matchedWords": []}
    matched = [word for word in words if any(_matches(word, part) for part in marked)]
    if not matched:  # matched with a typo (`ketle` → `kettle`): a match all the same
        matched = list(words[:1])
    level = "full" if len(matched) == len(words) else "partial"
    return {"value": value, "matchLevel": level, "matchedWords": matched}


def _plain(value: str, pre: str, post: str) -> str:
    return value.replace(pre, "").replace(post, "") if pre and post else value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def highlighted(
    value: Any,
    fragments: Sequence[str],
    words: Sequence[str],
    pre: str,
    post: str,
    *,
    snippet_words: int = 0,
    ellipsis: str = "…",
) -> Any:
    """The Algolia entry (or list or object of entries) for one attribute's `value`. `fragments` are Elasticsearch's
    highlights of it (whole values, tags in); `snippet_words` > 0 cuts each value to that many words around the
    first match."""
    if isinstance(value, Mapping):
        return {
            key: highlighted(inner, (), words, pre, post, snippet_words=snippet_words, ellipsis=ellipsis)
            for key, inner in value.items()
        }
    if isinstance(value, list):
        return [
            highlighted(item, fragments, words, pre, post, snippet_words=snippet_words, ellipsis=ellipsis)
            for item in value
        ]
    text = _as_text(value)
    marked = next((fragment for fragment in fragments if _plain(fragment, pre, post) == text), text)
    if snippet_words > 0:
        marked = snippet(marked, snippet_words, pre, post, ellipsis)
    return _entry(marked, words, pre, post)


# What each marked pair becomes while a snippet is cut: single characters that no whitespace split can break and
# that pair up whatever the tags are (`<em class="hit">`, or `**` for both).
_OPEN, _CLOSE = "\x02", "\x03"


def snippet(value: str, words: int, pre: str, post: str, ellipsis: str) -> str:
    """`words` words of `value` around its first marked one (from its start when none is marked), `ellipsis` where
    the value was cut, each mark cut in two closed (or opened) at the cut."""
    if pre and post:
        value = re.sub(re.escape(pre) + "(.*?)" + re.escape(post), _OPEN + r"\1" + _CLOSE, value, flags=re.S)
    tokens = value.split()
    if len(tokens) <= words:
        return _tags(value, pre, post)
    first = next((n for n, token in enumerate(tokens) if _OPEN in token), 0)
    start = max(0, min(first - words // 3, len(tokens) - words))
    cut = " ".join(tokens[start : start + words])
    if cut.count(_OPEN) > cut.count(_CLOSE):
        cut += _CLOSE
    if cut.find(_CLOSE) != -1 and (cut.find(_OPEN) == -1 or cut.find(_CLOSE) < cut.find(_OPEN)):
        cut = _OPEN + cut
    cut = _tags(cut, pre, post)
    return (ellipsis if start > 0 else "") + cut + (ellipsis if start + words < len(tokens) else "")


def _tags(value: str, pre: str, post: str) -> str:
    return value.replace(_OPEN, pre).replace(_CLOSE, post)


def source_value(source: Mapping[str, Any], name: str) -> Any:
    """The value at `name` in a hit's source: `a.b.c` inside the object `a`, as a dotted key, or inside an object
    under a dotted key (`{"a.b": {"c": 1}}`), as Elasticsearch reads a document; None when absent."""
    if name in source:
        return source[name]
    parts = name.split(".")
    for n in range(1, len(parts)):
        inner = source.get(".".join(parts[:n]))
        if isinstance(inner, Mapping) and (found := source_value(inner, ".".join(parts[n:]))) is not None:
            return found
    return None


def fragments_for(highlight: Mapping[str, list[str]], name: str) -> list[str]:
    """Elasticsearch's highlights of attribute `name`: its own field's, or a sub-field's (`title.english`)."""
    found = list(highlight.get(name, ()))
    for field, values in highlight.items():
        if field.startswith(name + "."):
            found.extend(values)
    return found
