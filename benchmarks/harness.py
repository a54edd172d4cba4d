"""What every benchmark scenario shares: the local Elasticsearch's address, the servers under test and how
they are started, the commands run (listed in the reports), and CPU and memory readings from /proc."""

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks"
ES_URL = "http://127.0.0.1:9200"
ES_PASSWORD = os.environ.get("ELASTIC_PASSWORD", "changeme")
INDEX = "documents"

# The environment of every server under test. The benchmark's virtualenv has opentelemetry-api (FastAPI
# brings it); the service's image does not, so the client's no-op tracing is turned off to match it.
BASE_ENV = {
    "ELASTICSEARCH_USERNAME": "elastic",
    "ELASTICSEARCH_PASSWORD": ES_PASSWORD,
    "ELASTICSEARCH_INDEX": INDEX,
    "OTEL_PYTHON_INSTRUMENTATION_ELASTICSEARCH_ENABLED": "false",
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


commands_run: list[str] = []


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
                if httpx.get(f"http://127.0.0.1:{server.port}/search?q=json", timeout=40).status_code == 200:
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


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")
