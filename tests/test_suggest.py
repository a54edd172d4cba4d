"""GET /suggest against the real node: completions from a keyword or a text field, ranked, distinct, literal."""

from collections.abc import Iterator

import pytest

from tests.conftest import temporary_index
from tests.test_search_errors import assert_error

# A keyword field, as the demo's `qualname.raw`, and a numeric rank some documents lack.
POPULARITY = {"json": 1, "json.dumps": 10, "json.decoder": 50, "json.tool": 100, "simplejson.dumps": 500}
KEYWORD_DOCUMENTS = [
    {"_id": name, "name": name} | ({"popularity": POPULARITY[name]} if name in POPULARITY else {})
    for name in [*POPULARITY, "json.loads", "JSON.Schema", "pickle.dumps", "a*b", "a?b", 'say "hi"', "c:\\temp", "été"]
]
# A text field, analysed by the standard analyzer: completions word by word.
TITLES = ["Quick brown fox", "Quick start guide", "Brown bread", "The quick brown dog jumps"]


@pytest.fixture(scope="module")
def keyword_index(elasticsearch_url: str) -> Iterator[str]:
    mapping = {"properties": {"name": {"type": "keyword"}, "popularity": {"type": "integer"}}}
    with temporary_index("test-suggest-keyword", mapping, KEYWORD_DOCUMENTS) as name:
        yield name


@pytest.fixture(scope="module")
def text_index(elasticsearch_url: str) -> Iterator[str]:
    documents = [{"_id": f"t{n}", "title": title} for n, title in enumerate(TITLES)]
    with temporary_index("test-suggest-text", {"properties": {"title": {"type": "text"}}}, documents) as name:
        yield name


async def suggestions(api, prefix: str, **params) -> list[str]:
    response = await api.get("/suggest", params={"prefix": prefix, **params})
    assert response.status_code == 200, response.text
    return [suggestion["text"] for suggestion in response.json()["suggestions"]]


@pytest.fixture
def on_keywords(configure_service, keyword_index):
    configure_service(elasticsearch_index=keyword_index, search_suggest_field="name", search_rank_field="popularity")


@pytest.fixture
def on_text(configure_service, text_index):
    configure_service(elasticsearch_index=text_index, search_suggest_field="title", search_rank_field="")


async def test_the_defaults_complete_qualified_names_on_an_index_without_the_rank_field(api):
    # The fixture index has the demo's mapping: `qualname.raw` is a keyword, `popularity` is not mapped.
    response = await api.get("/suggest", params={"prefix": "json."})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["prefix"] == "json."
    assert isinstance(body["took_ms"], int)
    assert body["suggestions"] == [
        {"text": "json.dumps", "id": "json.dumps"},
        {"text": "json.loads", "id": "json.loads"},
    ]


async def test_completion_ignores_case_and_surrounding_whitespace(api):
    response = await api.get("/suggest", params={"prefix": "  JSON.LO "})

    assert response.json()["prefix"] == "JSON.LO"
    assert [suggestion["text"] for suggestion in response.json()["suggestions"]] == ["json.loads"]


async def test_shorter_completions_come_first(api):
    assert await suggestions(api, "csv.") == ["csv.reader", "csv.DictReader"]


async def test_the_rank_field_orders_completions_and_documents_without_it_come_last(api, on_keywords):
    # `JSON.Schema` last of all: it starts with the prefix only when case is ignored, one tier lower.
    assert await suggestions(api, "json.") == ["json.tool", "json.decoder", "json.dumps", "json.loads", "JSON.Schema"]


async def test_a_minus_rank_field_puts_the_lowest_first(api, on_keywords, configure_service, keyword_index):
    configure_service(elasticsearch_index=keyword_index, search_suggest_field="name", search_rank_field="-popularity")

    assert await suggestions(api, "json.") == ["json.dumps", "json.decoder", "json.tool", "json.loads", "JSON.Schema"]


async def test_without_a_rank_field_completions_are_ordered_by_length(api, configure_service, keyword_index):
    configure_service(elasticsearch_index=keyword_index, search_suggest_field="name", search_rank_field="")

    assert await suggestions(api, "json.") == ["json.tool", "json.dumps", "json.loads", "json.decoder", "JSON.Schema"]


@pytest.mark.parametrize("rank_field", ["no_such_field", "-no_such_field"])
async def test_an_unmapped_rank_field_is_the_operators_503_not_a_silent_no_op(
    api, configure_service, keyword_index, rank_field
):
    # It used to order as if absent, silently; the mapping check now refuses it (scripts/serve stops on it).
    configure_service(elasticsearch_index=keyword_index, search_suggest_field="name", search_rank_field=rank_field)

    response = await api.get("/suggest", params={"prefix": "json."})
    assert_error(response, 503, "configuration_mismatch")


async def test_the_whole_value_comes_first_whatever_its_rank(api, on_keywords):
    # `json` has the lowest popularity of all; `JSON.Schema` only starts with the prefix in another case.
    assert await suggestions(api, "json", size=3) == ["json", "json.tool", "json.decoder"]


async def test_a_value_held_by_many_documents_is_suggested_once(api, configure_service):
    configure_service(search_suggest_field="module")  # 25 fixture documents are in module `paging`

    response = await api.get("/suggest", params={"prefix": "pa"})

    [suggestion] = response.json()["suggestions"]
    assert suggestion["text"] == "paging"
    assert suggestion["id"].startswith("paging.")


async def test_a_text_field_completes_word_by_word_values_starting_with_the_prefix_first(api, on_text):
    assert await suggestions(api, "quick br") == ["Quick brown fox", "The quick brown dog jumps"]
    assert await suggestions(api, "bro") == ["Brown bread", "Quick brown fox", "The quick brown dog jumps"]


async def test_size_limits_the_completions(api, on_text):
    assert await suggestions(api, "q", size=1) == ["Quick brown fox"]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("a*", ["a*b"]),  # the character, not a wildcard: `a?b` does not match
        ("a?", ["a?b"]),
        ("*", []),
        ("?", []),
        ("js*n", []),
        ('say "', ['say "hi"']),
        ("c:\\", ["c:\\temp"]),
        ("ét", ["été"]),
        ("ÉT", []),  # Elasticsearch ignores the case of ASCII letters only
        ("\\", []),
        ('"', []),
        ("x" * 100, []),
        ("😀", []),
        ("json AND", []),
        ("name:json", []),
    ],
)
async def test_the_prefix_is_literal(api, on_keywords, prefix, expected):
    assert await suggestions(api, prefix) == expected


@pytest.mark.parametrize("prefix", ["*", "?*", "a*b?", '"', "\\", "(", "[", "/.*/", "~", "quick AND", "😀", "x" * 100])
async def test_hostile_input_on_a_text_field_is_answered_200(api, on_text, prefix):
    # Analysed input never reaches a query parser: whatever the analyser makes of it, 200.
    response = await api.get("/suggest", params={"prefix": prefix})

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "prefix"),
        ({"prefix": ""}, "prefix"),
        ({"prefix": "   "}, "prefix"),
        ({"prefix": "x" * 101}, "prefix"),
        ({"prefix": "json", "size": 0}, "size"),
        ({"prefix": "json", "size": 21}, "size"),
        ({"prefix": "json", "size": "five"}, "size"),
    ],
)
async def test_bad_parameters_are_422_naming_the_parameter(api, params, parameter):
    body = assert_error(await api.get("/suggest", params=params), 422, "invalid_parameter")

    assert body["detail"].startswith(f"{parameter}: ")


async def test_size_limit_follows_configuration(api, configure_service):
    configure_service(search_suggest_max_size=3)

    assert (await api.get("/suggest", params={"prefix": "p", "size": 3})).status_code == 200
    assert_error(await api.get("/suggest", params={"prefix": "p", "size": 4}), 422, "invalid_parameter")


async def test_an_empty_suggest_field_turns_the_endpoint_off(api, configure_service):
    configure_service(search_suggest_field="")

    assert_error(await api.get("/suggest", params={"prefix": "json"}), 404, "suggest_disabled")


async def test_a_missing_index_is_503(api, configure_service):
    configure_service(elasticsearch_index="test-no-such-index")

    assert_error(await api.get("/suggest", params={"prefix": "json"}), 503, "index_unavailable")
