"""The Elasticsearch version is named in several files; they must agree, and the client's major with it."""

import re
from importlib.metadata import version

from tests.conftest import REPO


def script_version() -> str:
    # The script's default; ES_VERSION in the environment picks another.
    match = re.search(r"^ES_VERSION=\$\{ES_VERSION:-([^}]+)\}", (REPO / "scripts" / "elasticsearch").read_text(), re.M)
    assert match
    return match.group(1)


def test_compose_runs_the_version_the_tests_run():
    compose = (REPO / "docker-compose.yml").read_text()

    assert f"docker.elastic.co/elasticsearch/elasticsearch:{script_version()}" in compose


def test_client_major_matches_the_server_major():
    assert version("elasticsearch").split(".")[0] == script_version().split(".")[0]
