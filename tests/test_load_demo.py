"""`manage.py load_demo` against the real node."""

import uuid

import pytest
from django.core.management import CommandError, call_command
from elasticsearch import Elasticsearch

from search_service.demo import DEMO_MAPPING
from search_service.elastic import client_options


@pytest.fixture
def demo_index(settings, configure_service):
    """The alias name to load; every index made under it is deleted afterwards (by name: an alias cannot be)."""
    name = f"test-demo-{uuid.uuid4().hex}"
    options = client_options(settings.SEARCH)  # before a test points the service elsewhere
    yield name
    with Elasticsearch(**options) as client:
        made = list(client.indices.get_alias(index=f"{name}*", expand_wildcards="open,closed").body)
        if made:
            client.indices.delete(index=",".join(made))


def versions(client: Elasticsearch, alias: str) -> list[str]:
    """The concrete indices the loader made for `alias` (`<alias>-<timestamp>`)."""
    return sorted(client.indices.get_alias(index=f"{alias}-*").body)


def test_loads_thousands_of_stdlib_documents_idempotently(settings, demo_index):
    call_command("load_demo", index=demo_index)
    with Elasticsearch(**client_options(settings.SEARCH)) as client:
        first_count = client.count(index=demo_index)["count"]
        (first,) = versions(client, demo_index)
        # Compose runs it on every `up`: a second run leaves the loaded alias and its index as they are ...
        call_command("load_demo", index=demo_index)
        (unchanged,) = versions(client, demo_index)
        # ... and --recreate makes a fresh index, moves the alias onto it and deletes the previous one.
        call_command("load_demo", index=demo_index, recreate=True)
        second_count = client.count(index=demo_index)["count"]
        (second,) = versions(client, demo_index)
        aliased = list(client.indices.get_alias(name=demo_index).body)
        dumps = client.get(index=demo_index, id="json.dumps")["_source"]
        popularity = {
            hit["_id"]: hit["_source"]["popularity"]
            for hit in client.mget(index=demo_index, ids=["os", "posixpath.join", "shlex.join", "nturl2path"])["docs"]
        }
        mapping = client.indices.get_mapping(index=demo_index)[second]["mappings"]

    assert first_count > 3000
    assert unchanged == first
    assert second != first
    assert aliased == [second]
    assert second_count == first_count
    assert dumps["module"] == "json"
    assert dumps["kind"] == "function"
    assert dumps["signature"].startswith("(obj")
    assert dumps["summary"].startswith("Serialize")
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["popularity"] == {"type": "integer"}
    # Counted from the standard library's imports: os is everywhere, nturl2path (Windows URLs) almost nowhere,
    # and os.path.join (posixpath.join here) is used far more than shlex.join.
    assert popularity["os"] > 50 > popularity["nturl2path"]
    assert popularity["posixpath.join"] > 5 * popularity["shlex.join"]


def test_an_index_from_an_older_demo_gains_the_new_fields(settings, demo_index):
    """An older demo made a concrete index of the name: it is replaced by the alias, without being asked."""
    older = {**DEMO_MAPPING, "properties": {k: v for k, v in DEMO_MAPPING["properties"].items() if k != "popularity"}}
    with Elasticsearch(**client_options(settings.SEARCH)) as client:
        client.indices.create(index=demo_index, mappings=older)
        call_command("load_demo", index=demo_index)
        assert client.get(index=demo_index, id="os")["_source"]["popularity"] > 50
        assert list(client.indices.get_alias(name=demo_index).body) == versions(client, demo_index)


def test_unreachable_elasticsearch_is_a_clear_command_error(configure_service, demo_index):
    configure_service(elasticsearch_hosts="http://127.0.0.1:1", elasticsearch_max_retries=0)

    with pytest.raises(CommandError, match="cannot reach Elasticsearch"):
        call_command("load_demo", index=demo_index)
