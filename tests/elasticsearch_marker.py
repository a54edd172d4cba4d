"""A pytest plugin (loaded by pyproject's addopts): marks `elasticsearch` every test that uses the node.

A test talks to Elasticsearch exactly when it needs the `elasticsearch_url` fixture, directly or through
another fixture (`api`, `fixture_index`, ...), so the mark is derived from that rather than written by hand in
every file. `scripts/test` runs the marked tests a second time against the other server major.
"""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "elasticsearch_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.elasticsearch)
