"""The cache's pure parts: validators made from an answer, and the key that names it."""

from hypothesis import given
from hypothesis import strategies as st

from search_service.answer_cache.entry import Answer, cache_control, entry_for, etag_of, matches_etag
from search_service.answer_cache.generation import generation_of
from search_service.answer_cache.key import search_key, stored_key

PARAMETERS = {"q": "json", "page": 1, "size": 10, "filter": ["kind:function"], "facets": [], "cursor": None}


def test_the_etag_is_strong_and_names_the_bytes():
    tag = etag_of(b'{"total":1}')
    assert tag.startswith('"')
    assert tag.endswith('"')
    assert len(tag) == 34
    assert tag == etag_of(b'{"total":1}')
    assert tag != etag_of(b'{"total":2}')


def test_if_none_match_compares_weakly_and_takes_lists_and_star():
    tag = etag_of(b"{}")
    assert matches_etag(tag, tag)
    assert matches_etag(f'"other", W/{tag}', tag)
    assert matches_etag("*", tag)
    assert not matches_etag('"other"', tag)
    assert not matches_etag(None, tag)
    assert not matches_etag("", tag)
    assert not matches_etag(tag.strip('"'), tag)  # unquoted is not the tag


def test_max_age_is_what_is_left_in_whole_seconds_never_more_never_negative():
    entry = entry_for(Answer(body=b"{}", total_hits=0, took_ms=1), expires_at=100.0)
    assert entry.max_age(90.2) == 9
    assert entry.max_age(99.99) == 0
    assert entry.max_age(120.0) == 0
    assert cache_control(9, private=False) == "max-age=9"
    assert cache_control(9, private=True) == "private, max-age=9"


def test_an_entry_counts_its_bytes_and_more():
    entry = entry_for(Answer(body=b"x" * 1000, total_hits=0, took_ms=None), expires_at=0.0)
    assert entry.size > 1000 + len(entry.etag)


def test_the_search_key_changes_with_every_parameter_the_text_and_the_tenant():
    base = search_key(checked_text="json", parameters=PARAMETERS)
    assert base == search_key(checked_text="json", parameters=dict(reversed(PARAMETERS.items())))
    assert len(base) == 16
    others = [
        search_key(checked_text="json2", parameters=PARAMETERS),
        search_key(checked_text="json", parameters=PARAMETERS, tenant="acme"),
        *(
            search_key(checked_text="json", parameters=PARAMETERS | {name: value})
            for name, value in [("q", "JSON"), ("page", 2), ("size", 11), ("filter", []), ("facets", ["kind"])]
        ),
    ]
    assert len({base, *others}) == len(others) + 1


def test_the_stored_key_is_the_search_in_one_generation():
    search = search_key(checked_text="json", parameters=PARAMETERS)
    assert stored_key(search, "a/U1") == stored_key(search, "a/U1")
    assert len({stored_key(search, "a/U1"), stored_key(search, "a/U2"), stored_key(search, ""), search}) == 4


PARAMETER_VALUES = st.one_of(st.text(max_size=5), st.integers(-(2**63), 2**63 - 1))


@given(
    st.dictionaries(st.sampled_from(["q", "filter", "page"]), PARAMETER_VALUES),
    st.dictionaries(st.sampled_from(["q", "filter", "page"]), PARAMETER_VALUES),
)
def test_two_keys_are_equal_only_for_equal_parameters(first, second):
    same = search_key(checked_text="", parameters=first) == search_key(checked_text="", parameters=second)
    assert same == (first == second and all(type(first[k]) is type(second[k]) for k in first))


def test_the_generation_names_every_concrete_index_and_its_uuid_in_order():
    answer = {"b-2": {"settings": {"index": {"uuid": "U2"}}}, "a-1": {"settings": {"index": {"uuid": "U1"}}}}
    assert generation_of(answer) == "a-1/U1,b-2/U2"
    assert generation_of({}) is None
    assert generation_of({"a": {"settings": {}}}) is None
    assert generation_of([]) is None
