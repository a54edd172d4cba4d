"""scripts/elasticsearch works from any clone: run as root from a clone inside a private folder (make failover)."""

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import ES_PASSWORD, ES_SCRIPT, free_port

pytestmark = pytest.mark.cluster


def test_starts_a_node_from_a_clone_inside_a_private_folder(tmp_path: Path) -> None:
    private = tmp_path / "private"
    (private / "clone" / "scripts").mkdir(parents=True)
    private.chmod(0o700)  # like root's home: the node's own user cannot traverse it
    script = private / "clone" / "scripts" / "elasticsearch"
    shutil.copy(ES_SCRIPT, script)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ES_CACHE_DIR"} | {"ES_PORT": str(port), "ES_HEAP": "256m"}

    subprocess.run([script, "start"], check=True, env=env, timeout=240)
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/_cluster/health", auth=("elastic", ES_PASSWORD), timeout=5)
        assert health.status_code == 200
        assert health.json()["number_of_nodes"] == 1
    finally:
        subprocess.run([script, "stop"], check=True, env=env, timeout=120)
