"""One document by id: the `_search` body that finds it, and the API's answer from Elasticsearch's. Pure.

A search with an `ids` query rather than the get API: ELASTICSEARCH_INDEX may be an alias over several
indices (or a pattern), which the get API refuses with a 400, and a missing document is then simply no hit,
never an Elasticsearch 404, which stays what it means everywhere else: the index is missing. The document is
seen as a search sees it (after the index's refresh), so an id /search returned can always be fetched.
"""

from typing import Any

from search_service.faults import ElasticsearchAnswerMalformed

# Elasticsearch refuses to index an id longer than this many bytes of UTF-8, so no longer id can exist.
MAX_ID_BYTES = 512


def build_document_body(
    *, doc_id: str, source_fields: list[str] | None = None, timeout_seconds: float | None = None
) -> dict[str, Any]:
    """The `_search` body for the document `doc_id`; `source_fields` as in a search (None or empty: all of it),
    so that a field hidden from search hits is hidden here too."""
    body: dict[str, Any] = {"query": {"ids": {"values": [doc_id]}}, "size": 1, "track_total_hits": False}
    if source_fields:
        body["_source"] = source_fields
    if timeout_seconds is not None:
        body["timeout"] = f"{round(timeout_seconds * 1000)}ms"
    return body


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise ElasticsearchAnswerMalformed(f"the document answer has {what}")


def document_response(result: Any) -> dict[str, Any] | None:
    """The API's answer for the first hit, None when there is none (no such document);
    ElasticsearchAnswerMalformed if `result` is not a search result."""
    _require(isinstance(result, dict), "no JSON object")
    hits = result.get("hits")
    _require(isinstance(hits, dict) and isinstance(hits.get("hits"), list), "no list of hits")
    if not hits["hits"]:
        return None
    hit = hits["hits"][0]
    _require(isinstance(hit, dict), "a hit that is not an object")
    _require(isinstance(hit.get("_id"), str) and isinstance(hit.get("_index"), str), "a hit without _id or _index")
    source = hit.get("_source", {})
    _require(isinstance(source, dict), "a hit whose _source is not an object")
    return {"id": hit["_id"], "index": hit["_index"], "source": source}
