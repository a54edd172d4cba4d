"""What every benchmark scenario shares: the local Elasticsearch's address, the servers under test and how
they are started, the commands run (listed in the reports), and CPU and memory readings from /proc."""

import os
import platform
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks"
ES_URL = "http://127.0.0.1:9200"
ES_PASSWORD = os.environ.get("ELASTIC_PASSWORD", "changeme")
INDEX = "documents"
# The fields the direct `_search` bodies search, as the service's default SEARCH_FIELDS.
FIELDS = ["qualname^3", "name^3", "summary^2", "signature", "docstring"]

# The slow upstream: scripts/latency_proxy.py on PROXY_PORT delays every Elasticsearch answer UPSTREAM_DELAY s.
PROXY_PORT = 9299
UPSTREAM_DELAY = 3.0
BIG_POOL = 1200  # > 1,000 concurrent upstream calls, each holding a connection for the whole delay

# The environment of every server under test. The benchmark's virtualenv has opentelemetry-api (FastAPI
# brings it); the service's image does not, so the client's no-op tracing is turned off to match it.
BASE_ENV = {
    "ELASTICSEARCH_USERNAME": "elastic",
    "ELASTICSEARCH_PASSWORD": ES_PASSWORD,
    "ELASTICSEARCH_INDEX": INDEX,
    "OTEL_PYTHON_INSTRUMENTATION_ELASTICSEARCH_ENABLED": "false",
}

# The overhead, peer and feature scenarios send every request from one client address, 127.0.0.1: the per-client
# rate limits would refuse nearly all of it (the attack scenario measures them). The peers have none, so the
# service runs without them there.
SERVICE_ENV = {
    "WEB_CONCURRENCY": "1",
    "HOST": "127.0.0.1",
    "SEARCH_RATE_LIMIT": "",
    "SEARCH_EXPENSIVE_RATE_LIMIT": "",
}


@dataclass
class Server:
    name: str
    command: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    # 10 threads x 3 s: a sync server needs ~300 s for 1,000 slow requests, which proves nothing new.
    max_burst: int | None = None
    # The checkout it runs from: this one, or another (the attack scenario's --service-dir).
    cwd: Path = REPO
    headers: dict[str, str] = field(default_factory=dict)  # sent with the start-up probe (an API key)


commands_run: list[str] = []


def write_report(name: str, lines: list[str], commands: list[str]) -> None:
    """docs/benchmarks/<name>: a scenario's lines, then the commands it ran (each once, in order), so that every figure
    can be reproduced from the file that shows it."""
    lines = [*lines, "## Commands", "", "```", *dict.fromkeys(commands), "```", ""]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_text("\n".join(lines))


def run(command: list[str], **kwargs: object) -> str:
    commands_run.append(shlex.join(command))
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        sys.exit(f"bench: `{shlex.join(command)}` failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return str(result.stdout)


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


@contextmanager
def started(server: Server) -> Iterator[int]:
    """Run `server` until the block ends; yields the pid of the process that serves requests."""
    # Other checkouts' benchmarks may share the machine: never measure a server that is not ours.
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", server.port)) == 0:
            raise RuntimeError(f"port {server.port} is taken: something else is listening there")
    port_args = ["--bind", f"127.0.0.1:{server.port}"] if server.command[0] == "gunicorn" else []
    if server.command[0] == "uvicorn":
        port_args = ["--host", "127.0.0.1", "--port", str(server.port)]
    env = os.environ | BASE_ENV | server.env | {"PORT": str(server.port)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    process = subprocess.Popen(
        server.command + port_args, cwd=server.cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    where = "" if server.cwd == REPO else f"cd {shlex.quote(str(server.cwd))} && "
    commands_run.append(where + shlex.join(server.command + port_args))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                first = httpx.get(f"http://127.0.0.1:{server.port}/search?q=json", headers=server.headers, timeout=40)
                if first.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{server.name} did not start")
            time.sleep(0.3)
        # gunicorn serves from a worker process: measure that one, not the arbiter.
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        yield int(children[0]) if server.command[0] == "gunicorn" and children else process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def latency_proxy() -> Iterator[str]:
    """scripts/latency_proxy.py in front of the local Elasticsearch until the block ends; yields its address."""
    command = [
        "scripts/latency_proxy.py",
        "--listen",
        f"127.0.0.1:{PROXY_PORT}",
        "--upstream",
        "127.0.0.1:9200",
        "--delay",
        str(UPSTREAM_DELAY),
    ]
    proxy = subprocess.Popen([sys.executable, *command], cwd=REPO, stdout=subprocess.DEVNULL)
    commands_run.append(shlex.join(command))
    try:
        time.sleep(1)
        yield f"http://127.0.0.1:{PROXY_PORT}"
    finally:
        proxy.terminate()
        proxy.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def load_demo_index() -> None:
    """The demo data in INDEX, merged down to one segment, as a read-mostly index settles to, so that background
    merges do not slow the first measurements (seen: direct throughput 550 -> 990 req/s)."""
    demo_env = os.environ | {"ELASTICSEARCH_HOSTS": ES_URL} | BASE_ENV
    run([sys.executable, "manage.py", "load_demo"], cwd=REPO, env=demo_env)
    httpx.post(f"{ES_URL}/{INDEX}/_forcemerge?max_num_segments=1", auth=("elastic", ES_PASSWORD), timeout=300)
    commands_run.append(f"POST {ES_URL}/{INDEX}/_forcemerge?max_num_segments=1")


TOOL_VERSIONS = {
    "ab": lambda: run(["ab", "-V"]).splitlines()[0],
    "hey": lambda: "hey (Debian " + run(["dpkg-query", "-W", "-f", "${Version}", "hey"]) + ")",
    "wrk": lambda: run(["dpkg-query", "-W", "-f", "wrk ${Version}", "wrk"]),
}


def environment(tools: list[str]) -> dict[str, str]:
    """The machine, the versions of what ran and of the load generators in `tools`, for a report's header."""
    cpu = re.search(r"model name\s+:\s+(.*)", Path("/proc/cpuinfo").read_text())
    es_version = httpx.get(
        f"{ES_URL}/_nodes/_local/version?filter_path=nodes.*.version", auth=("elastic", ES_PASSWORD)
    ).json()["nodes"]
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "python": platform.python_version(),
        "elasticsearch server": next(iter(es_version.values()))["version"],
        "packages": ", ".join(
            f"{p} {version(p)}"
            for p in ("django", "django-ninja", "elasticsearch", "uvicorn", "fastapi", "gunicorn", "orjson")
        ),
        **{tool: TOOL_VERSIONS[tool]() for tool in tools},
    }
