"""One document by id: the body and the shaped answer. No server."""

import pytest

from search_service.faults import ElasticsearchAnswerMalformed
from search_service.query.document import build_document_body, document_response


def test_the_body_finds_the_id_as_a_literal_with_the_search_source_policy():
    body = build_document_body(doc_id="a*/b?", source_fields=["title", "meta.*"], timeout_seconds=2)

    assert body == {
        "query": {"ids": {"values": ["a*/b?"]}},
        "size": 1,
        "track_total_hits": False,
        "_source": ["title", "meta.*"],
        "timeout": "2000ms",
    }


def test_no_source_fields_returns_the_whole_document():
    assert "_source" not in build_document_body(doc_id="a", source_fields=[])


def test_the_first_hit_is_the_document_and_no_hit_is_none():
    hit = {"_index": "docs-2", "_id": "a/b", "_score": 1.0, "_source": {"title": "A"}}

    assert document_response({"hits": {"hits": [hit]}}) == {"id": "a/b", "index": "docs-2", "source": {"title": "A"}}
    assert document_response({"hits": {"hits": []}}) is None


@pytest.mark.parametrize(
    "malformed",
    [
        None,
        {},
        {"hits": {}},
        {"hits": {"hits": ["x"]}},
        {"hits": {"hits": [{"_id": "a"}]}},
        {"hits": {"hits": [{"_id": "a", "_index": "i", "_source": []}]}},
    ],
)
def test_a_malformed_answer_is_refused(malformed):
    with pytest.raises(ElasticsearchAnswerMalformed):
        document_response(malformed)
