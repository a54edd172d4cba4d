"""Runs the judged queries through the service's `GET /search` in each configuration, one request at a time.

One `scripts/serve` (one worker, rate limits and search analytics off, as the other scenarios run it) on a free
port; each configuration is a set of query parameters. The parameters the service may not know yet (`typos`,
`prefix`) are probed first: a 422 naming the parameter means the service does not take it, and the
configurations that use it are skipped and listed as such in the report. Queries are sent in the judged file's
order, every configuration in turn for each query (the order reversed every other query, so that drift on a
shared machine falls on all alike), on one keep-alive connection.
"""

import json
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import ES_URL, INDEX, SERVICE_ENV, Server, commands_run, log, started
from benchmarks.relevance import JUDGED
from benchmarks.relevance.make_judged import index_documents

SIZE = 10
WARM_UP = 40  # queries sent once per configuration, unmeasured, before the measured pass


@dataclass(frozen=True)
class Configuration:
    name: str
    params: dict[str, str]
    probe: tuple[str, ...] = ()  # parameters the service may refuse as unknown


CONFIGURATIONS = [
    Configuration("query_string", {"mode": "query_string"}),
    Configuration("simple", {"mode": "simple"}),
    Configuration("simple typos=0", {"mode": "simple", "typos": "0"}, ("typos",)),
    Configuration("simple prefix=false", {"mode": "simple", "prefix": "false"}, ("prefix",)),
    Configuration(
        "simple typos=0 prefix=false", {"mode": "simple", "typos": "0", "prefix": "false"}, ("typos", "prefix")
    ),
]


@dataclass(frozen=True)
class Judged:
    category: str
    query: str
    grades: dict[str, int]  # every judged document and its grade; 1 when the file gives none


@dataclass
class Answer:
    status: int
    ids: list[str]
    wall_ms: float
    took_ms: float | None


@dataclass
class Run:
    configurations: list[Configuration]
    skipped: dict[str, str]  # configuration name -> why
    answers: dict[str, list[Answer]] = field(default_factory=dict)  # configuration name -> one per judged query
    commands: list[str] = field(default_factory=list)
    minutes: float = 0.0


def load_judged(path: Path = JUDGED) -> list[Judged]:
    judged = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        grades = {doc: 1 for doc in row["relevant"]} | row.get("graded", {})
        judged.append(Judged(row["category"], row["query"], grades))
    return judged


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unsupported(client: httpx.Client, configuration: Configuration) -> str | None:
    """Why the service cannot run `configuration` (its answer to a probe naming the parameter), or None."""
    for name in configuration.probe:
        answer = client.get(
            "/search", params={"q": "json", "size": 1, "mode": "simple", name: configuration.params[name]}
        )
        if answer.status_code == 422 and name in answer.text:
            detail = str(answer.json().get("detail", answer.text)).split(";")[0]
            return f"`{name}=…` answered {answer.status_code} `{detail}`"
        if answer.status_code != 200:
            return f"`{name}`: probe answered {answer.status_code}"
    return None


def ask(client: httpx.Client, query: str, params: dict[str, str]) -> Answer:
    began = time.perf_counter()
    answer = client.get("/search", params={"q": query, "size": SIZE, **params})
    wall_ms = (time.perf_counter() - began) * 1e3
    if answer.status_code != 200:
        return Answer(answer.status_code, [], wall_ms, None)
    body = answer.json()
    return Answer(200, [hit["id"] for hit in body["hits"]], wall_ms, body.get("took_ms"))


def check_index(judged: Sequence[Judged]) -> None:
    present = index_documents(ES_URL, INDEX)
    missing = sorted({doc for j in judged for doc in j.grades} - present.keys())
    if missing:
        sys.exit(
            f"bench: relevance: {len(missing)} judged documents are not in the index `{INDEX}` (e.g. {missing[:5]}): "
            "the demo index comes from another Python's standard library; load it with the project's Python "
            "(`manage.py load_demo`) or regenerate the judged set (benchmarks/relevance/make_judged.py)"
        )


def relevance_scenario(judged: Sequence[Judged]) -> Run:
    began = time.monotonic()
    first_command = len(commands_run)
    check_index(judged)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {"ELASTICSEARCH_HOSTS": ES_URL, "DATA_DIR": tmp, "SEARCH_ANALYTICS": "false"} | SERVICE_ENV
        with (
            started(Server("service", ["scripts/serve"], port, env)),
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
        ):
            skipped = {c.name: why for c in CONFIGURATIONS if (why := unsupported(client, c)) is not None}
            configurations = [c for c in CONFIGURATIONS if c.name not in skipped]
            for name, why in skipped.items():
                log(f"relevance: skipping {name}: {why}")
            run = Run(configurations, skipped, {c.name: [] for c in configurations})
            log(f"relevance: warm-up, {WARM_UP} queries per configuration")
            for item in judged[:: max(1, len(judged) // WARM_UP)][:WARM_UP]:
                for configuration in configurations:
                    ask(client, item.query, configuration.params)
            log(f"relevance: {len(judged)} queries × {len(configurations)} configurations, one at a time")
            for number, item in enumerate(judged):
                for configuration in configurations if number % 2 == 0 else configurations[::-1]:
                    run.answers[configuration.name].append(ask(client, item.query, configuration.params))
        run.commands = [command.replace(tmp, "$TMP") for command in commands_run[first_command:]]
    run.minutes = (time.monotonic() - began) / 60
    return run


def write_raw(path: Path, judged: Sequence[Judged], run: Run) -> None:
    """Every answer, for looking into a figure: one JSON object per judged query and configuration."""
    with path.open("w") as out:
        for name, answers in run.answers.items():
            for item, answer in zip(judged, answers, strict=True):
                row: dict[str, Any] = {"configuration": name, **asdict(item), **asdict(answer)}
                out.write(json.dumps(row) + "\n")
