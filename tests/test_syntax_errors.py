"""A query that cannot be parsed answers 400 saying what is wrong, where (`position`), and what to try (`hint`)."""

import pytest

from search_service.query.diagnose import SIMPLE_MODE_HINT
from search_service.query.policy import CheckedQuery, QueryCost


async def syntax_error(api, query: str) -> dict[str, object]:
    response = await api.get("/search", params={"q": query})
    assert response.status_code == 400, response.text
    body: dict[str, object] = response.json()
    assert set(body) == {"error", "detail", "position", "hint"}
    assert body["error"] == "invalid_query"
    assert body["hint"] == SIMPLE_MODE_HINT
    return body


@pytest.mark.parametrize(
    ("query", "position", "wording"),
    [
        ("title:(unclosed", 6, "the ( at position 6 (the 7th character, in `title:(unclosed`) is never closed"),
        ('"json dumps', 0, 'the quote at position 0 (the 1st character, in `"json dumps`) is never closed'),
        ("json AND", 5, "AND at position 5 (the 6th character, in `json AND`) has nothing after it"),
        ("AND json", 0, "has nothing before it"),
        ("module:", 6, "the colon after module at position 6"),
        (":json", 0, "has no field name before it"),
        ("^2 json", 0, "boosts nothing"),
        ("(json)~1", 6, "can only follow a word or a phrase"),
        ("json)", 4, "closes nothing"),
        ("[a TO b", 0, "opens a range that is never closed"),
        ("'json'", 0, "cannot start a word"),
        ("json\\", 4, "escapes nothing"),
        ("name:django^1.2.3", 11, "the boost ^1.2.3 at position 11"),
    ],
)
async def test_a_syntax_error_names_the_problem_and_its_position(api, query, position, wording):
    body = await syntax_error(api, query)

    assert body["position"] == position
    assert isinstance(body["detail"], str)
    assert body["detail"].startswith("Cannot parse the query: ")
    assert wording in body["detail"]


async def test_the_position_counts_without_the_whitespace_around_the_query(api):
    # The service reads `q` without it (so does the detail): a position counts from its first other character.
    body = await syntax_error(api, "\u3000 title:(unclosed ")

    assert body["position"] == 6
    assert "at position 6" in str(body["detail"])


async def test_a_phrase_slop_that_is_not_a_whole_number_is_a_400_not_a_500(api):
    # luqum reads the slop with int(), whose ValueError used to escape the parse as an internal error.
    body = await syntax_error(api, '"json dumps"~1.5')

    assert body["position"] == 12


async def test_the_detail_never_quotes_a_long_query_whole(api):
    query = "json " * 150 + '"unclosed'

    body = await syntax_error(api, query)

    assert body["position"] == 750
    assert isinstance(body["detail"], str)
    assert len(body["detail"]) < 250
    assert query[:100] not in body["detail"]


@pytest.mark.parametrize("query", ["secret:x", "a*", "jsn~3"])
async def test_other_refusals_keep_only_error_and_detail(api, query):
    response = await api.get("/search", params={"q": query})

    assert response.status_code == 400
    assert set(response.json()) == {"error", "detail"}


async def test_errors_other_than_queries_have_no_position_or_hint(api):
    response = await api.get("/search", params={"q": "json", "size": -1})

    assert response.status_code == 422
    assert set(response.json()) == {"error", "detail"}


async def test_a_query_elasticsearch_refuses_gets_the_position_from_its_column(api, monkeypatch):
    # The service sends Elasticsearch a query re-written from luqum's tree, which its parser accepts; should the
    # two parsers ever disagree, Elasticsearch's refusal still says where. Simulated by sending `q` unchanged.
    monkeypatch.setattr(
        "search_service.endpoints.search.check_query", lambda query, policy: CheckedQuery(query, QueryCost(1))
    )

    unmatched = await api.get("/search", params={"q": "  (json))"})
    unfinished = await api.get("/search", params={"q": "😀 a/b"})

    assert unmatched.status_code == 400
    assert unmatched.json()["error"] == "invalid_query"
    # In our words: Elasticsearch's ("Encountered ...", the index) stay in the log.
    assert unmatched.json()["detail"] == "The query could not be parsed; check its syntax"
    # "column 6", in the query without its leading spaces: Lucene counts the offset of the token from 0.
    assert unmatched.json()["position"] == 6
    assert unmatched.json()["hint"] == SIMPLE_MODE_HINT
    # "Lexical error at line 1, column 7": the 1-based column of the end, counted in UTF-16 units (😀 is two).
    assert unfinished.status_code == 400
    assert "Lexical error" not in unfinished.json()["detail"]
    assert unfinished.json()["position"] == 5 == len("😀 a/b")
