"""Shaping Elasticsearch's answer: a malformed one is refused, never passed on or crashed on. No server."""

import copy
from typing import Any

import pytest

from search_service.faults import ElasticsearchAnswerMalformed
from search_service.query.response import search_response

ANSWER: Any = {
    "took": 3,
    "timed_out": False,
    "_shards": {"total": 2, "successful": 2, "skipped": 0, "failed": 0},
    "hits": {
        "total": {"value": 1, "relation": "eq"},
        "max_score": 1.5,
        "hits": [
            {
                "_index": "docs",
                "_id": "a",
                "_score": 1.5,
                "_source": {"title": "A"},
                "highlight": {"title": ["<mark>A</mark>"]},
            }
        ],
    },
}


def shaped(answer: Any) -> Any:
    return search_response(answer, query="a", page=1, size=10)


def test_a_search_answer_is_shaped_as_documented():
    assert shaped(ANSWER) == {
        "query": "a",
        "total": {"value": 1, "relation": "eq"},
        "max_score": 1.5,
        "took_ms": 3,
        "timed_out": False,
        "shards": {"total": 2, "successful": 2, "skipped": 0, "failed": 0},
        "shard_failures": [],
        "page": 1,
        "size": 10,
        "next": None,
        "facets": {},
        "stats": {},
        "tolerant": False,
        "suggestions": [],
        "hits": [
            {
                "id": "a",
                "index": "docs",
                "score": 1.5,
                "source": {"title": "A"},
                "highlight": {"title": ["<mark>A</mark>"]},
            }
        ],
    }


def test_suggestions_are_passed_on():
    assert search_response(ANSWER, query="a", page=1, size=10, suggestions=("b", "c"))["suggestions"] == ["b", "c"]


def test_partial_results_say_so_and_name_the_kinds_of_failure_only():
    answer = copy.deepcopy(ANSWER)
    answer["timed_out"] = True
    answer["_shards"] = {
        "total": 2,
        "successful": 1,
        "skipped": 0,
        "failed": 1,
        "failures": [
            {"shard": 1, "index": "secret-index", "node": "n1", "reason": {"type": "timeout_exception", "reason": "x"}},
            {"shard": 2, "reason": {"type": "timeout_exception"}},
            {"shard": 3},
        ],
    }

    body = shaped(answer)

    assert body["timed_out"] is True
    assert body["shards"]["failed"] == 1
    assert body["shard_failures"] == ["timeout_exception", "unknown"]
    assert "secret-index" not in str(body)


def test_missing_optional_parts_have_defaults():
    answer = copy.deepcopy(ANSWER)
    del answer["_shards"], answer["timed_out"]
    del answer["hits"]["hits"][0]["_source"], answer["hits"]["hits"][0]["highlight"]
    answer["hits"]["hits"][0]["_score"] = None

    hit = shaped(answer)["hits"][0]

    assert (hit["source"], hit["highlight"], hit["score"]) == ({}, {}, None)


def broken(path: str, value: object) -> Any:
    answer = copy.deepcopy(ANSWER)
    *parents, last = path.split(".")
    node: Any = answer
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is KeyError:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return answer


@pytest.mark.parametrize(
    "answer",
    [
        None,
        [],
        {},
        broken("hits", KeyError),
        broken("hits", []),
        broken("hits.total", 5),
        broken("hits.total.relation", "about"),
        broken("hits.total.value", -1),
        broken("hits.hits", {}),
        broken("hits.hits.0", "hit"),
        broken("hits.hits.0._id", KeyError),
        broken("hits.hits.0._id", 7),
        broken("hits.hits.0._score", "high"),
        broken("hits.hits.0._score", True),
        broken("hits.hits.0._source", "text"),
        broken("hits.hits.0.highlight", {"title": "not a list"}),
        broken("hits.hits.0.highlight", {"title": [1]}),
        broken("took", KeyError),
        broken("took", "3"),
        broken("timed_out", "no"),
        broken("_shards", []),
        broken("_shards.failed", None),
    ],
)
def test_a_malformed_answer_is_refused(answer):
    with pytest.raises(ElasticsearchAnswerMalformed):
        shaped(answer)
