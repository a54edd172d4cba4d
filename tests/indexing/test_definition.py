"""Mapping files and the settings a new index is created with, with no server."""

from typing import Any

import pytest

from search_service.indexing.definition import (
    IndexDefinition,
    copied_definition,
    creation_settings,
    flatten_settings,
    parse_definition,
    refresh_after_load,
)
from search_service.indexing.errors import DefinitionError

PROPERTIES = {"properties": {"price": {"type": "float"}}}


def test_a_mappings_object_alone_is_the_mappings():
    assert parse_definition(b'{"properties": {"price": {"type": "float"}}}') == IndexDefinition(PROPERTIES, {})
    assert parse_definition('{"dynamic": "strict", "properties": {}}').mappings == {
        "dynamic": "strict",
        "properties": {},
    }


def test_mappings_and_settings_together_are_told_apart():
    definition = parse_definition(
        b'{"mappings": {"properties": {"price": {"type": "float"}}}, "settings": {"index": '
        b'{"number_of_shards": 2}, "analysis": {"analyzer": {"a": {"type": "simple"}}}}}'
    )

    assert definition.mappings == PROPERTIES
    assert definition.settings == {"index.number_of_shards": 2, "index.analysis.analyzer.a.type": "simple"}


def test_settings_alone_leave_the_mapping_dynamic():
    assert parse_definition(b'{"settings": {"number_of_replicas": 2}}') == IndexDefinition(
        {}, {"index.number_of_replicas": 2}
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"{", "not JSON"),
        (b"[]", "must hold a JSON object"),
        (b"{}", "must hold a JSON object"),
        (b'{"mappings": [], "settings": {}}', "must be JSON objects"),
        (b'{"mappings": {}, "properties": {}}', "unexpected mappings or settings beside mapping keys"),
        (b'{"aliases": {"x": {}}}', "unexpected aliases"),
        (b'{"my-index": {"mappings": {}}}', "unexpected my-index"),
    ],
)
def test_a_file_that_is_neither_form_is_refused_with_the_reason(text, message):
    with pytest.raises(DefinitionError, match=message):
        parse_definition(text)


def test_every_spelling_of_a_setting_is_one_flat_key():
    spelled: list[dict[str, Any]] = [
        {"number_of_shards": 1},
        {"index": {"number_of_shards": 1}},
        {"index.number_of_shards": 1},
    ]

    assert all(flatten_settings(s) == {"index.number_of_shards": 1} for s in spelled)
    assert flatten_settings({"analysis": {"filter": {"f": {"stopwords": ["a", "b"]}}}}) == {
        "index.analysis.filter.f.stopwords": ["a", "b"]
    }


def test_without_a_word_on_replicas_there_is_one_once_a_second_node_exists():
    assert creation_settings(IndexDefinition()) == {"index.auto_expand_replicas": "0-1", "index.refresh_interval": "-1"}


@pytest.mark.parametrize("given", [{"index.number_of_replicas": 2}, {"index.auto_expand_replicas": "0-all"}])
def test_replicas_given_are_kept(given):
    assert creation_settings(IndexDefinition({}, given)) == given | {"index.refresh_interval": "-1"}


def test_refresh_is_off_while_loading_and_the_given_interval_comes_back_after():
    given = IndexDefinition({}, {"index.refresh_interval": "30s"})

    assert creation_settings(given)["index.refresh_interval"] == "-1"
    assert refresh_after_load(given) == "30s"
    assert refresh_after_load(IndexDefinition()) is None  # None puts Elasticsearch's default back


def test_a_reload_copies_the_settings_that_shape_the_data_not_those_elasticsearch_writes():
    current = {
        "index.number_of_shards": "2",
        "index.number_of_replicas": "0",
        "index.analysis.analyzer.my.filter": ["lowercase"],
        "index.mapping.total_fields.limit": "2000",
        "index.max_result_window": "50000",
        "index.uuid": "abc",
        "index.creation_date": "1",
        "index.provided_name": "p-20260101t000000000",
        "index.version.created": "8537000",
        "index.routing.allocation.include._tier_preference": "data_content",
    }

    copied = copied_definition(PROPERTIES, current)

    assert copied.mappings == PROPERTIES
    assert copied.settings == {
        "index.number_of_shards": "2",
        "index.number_of_replicas": "0",
        "index.analysis.analyzer.my.filter": ["lowercase"],
        "index.mapping.total_fields.limit": "2000",
        "index.max_result_window": "50000",
    }
