"""The victim (ordinary searches, timed) and the attackers (wrk), and one measured variant of the attack."""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.attack.plan import PORT, SINGLE_ATTACKER, VICTIM_ADDRESSES, VICTIM_QUERIES, VICTIM_TIMEOUT
from benchmarks.attack.queries import Candidate
from benchmarks.harness import commands_run, cpu_seconds, log
from benchmarks.outcomes import outcome_of


@dataclass
class Latency:
    median_ms: float
    p99_ms: float
    requests: int
    errors: Counter[str]


def victim(requests: int, deadline: float, *, port: int = PORT) -> Latency:
    """The ordinary searches, one after the other (keep-alive), until `requests` or `deadline`."""
    times: list[float] = []
    errors: Counter[str] = Counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=VICTIM_TIMEOUT) as client:
        for i in range(requests):
            if time.monotonic() > deadline:
                break
            headers = {"X-Forwarded-For": VICTIM_ADDRESSES[i % len(VICTIM_ADDRESSES)]}
            started_at = time.perf_counter()
            try:
                answer = client.get("/search", params={"q": VICTIM_QUERIES[i % len(VICTIM_QUERIES)]}, headers=headers)
                outcome = outcome_of(answer)
            except httpx.HTTPError as error:
                outcome = type(error).__name__
            times.append((time.perf_counter() - started_at) * 1e3)
            if outcome != "200":
                errors[outcome] += 1
    ordered = sorted(times)
    return Latency(
        median_ms=statistics.median(ordered),
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        requests=len(ordered),
        errors=errors,
    )


_LUA = """
local paths = %(paths)s
local distributed = %(distributed)s
local clients_per_thread = %(clients_per_thread)d
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  i = 0
end

function request()
  i = i + 1
  local address = "%(single)s"
  if distributed then
    address = "10." .. (id + 1) .. "." .. (i %% clients_per_thread) .. ".1"
  end
  return wrk.format("GET", paths[i %% #paths + 1], {["X-Forwarded-For"] = address})
end

function response(status, headers, body)
  local code = string.match(body, '"error"%%s*:%%s*"([%%w_]+)"') or ""
  local key = status .. " " .. code
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("counts")) do
      io.write("outcome " .. key .. "|" .. count .. "\\n")
    end
  end
end
"""


@dataclass
class Attack:
    outcomes: Counter[str]
    requests_per_second: float
    socket_errors: int
    generator_cpu_s: float
    p50_ms: float


def attack_script(directory: Path, attack_set: list[Candidate], *, distributed: bool, connections: int) -> Path:
    threads = 2
    path = directory / f"attack-{'distributed' if distributed else 'single'}.lua"
    path.write_text(
        _LUA
        % {
            "paths": "{" + ", ".join(json.dumps(c.path()) for c in attack_set) + "}",
            "distributed": "true" if distributed else "false",
            "clients_per_thread": max(1, connections // threads),
            "single": SINGLE_ATTACKER,
        }
    )
    return path


@dataclass
class Variant:
    name: str
    at_rest: Latency
    under_attack: Latency
    attack: Attack
    es_cores: float
    service_cores: float

    @property
    def median_ratio(self) -> float:
        return self.under_attack.median_ms / self.at_rest.median_ms

    @property
    def p99_ratio(self) -> float:
        return self.under_attack.p99_ms / self.at_rest.p99_ms

    @property
    def met(self) -> bool:
        return self.median_ratio <= 2 and self.p99_ratio <= 5 and not self.under_attack.errors


def elasticsearch_pid() -> int:
    pids = subprocess.run(["pgrep", "-f", "org.elasticsearch.bootstrap"], capture_output=True, text=True).stdout
    return int(pids.split()[0])


def run_variant(
    name: str, script: Path, *, service_pid: int, es_pid: int, connections: int, seconds: int, victims: int
) -> Variant:
    log(f"attack: {name}: at rest, {victims} ordinary searches")
    at_rest = victim(victims, time.monotonic() + 60)
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{PORT}",
    ]
    commands_run.append(" ".join(command))
    log(f"attack: {name}: {connections} connections for {seconds}s, ordinary searches meanwhile")
    with tempfile.TemporaryFile("w+") as output:
        cpu_es, cpu_service, wall = cpu_seconds(es_pid), cpu_seconds(service_pid), time.monotonic()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True)
        time.sleep(min(3, seconds / 5))  # let the attack fill the lanes first
        under_attack = victim(victims, wall + seconds - 1)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - wall
        es_cores = (cpu_seconds(es_pid) - cpu_es) / elapsed
        service_cores = (cpu_seconds(service_pid) - cpu_service) / elapsed
        output.seek(0)
        text = output.read()
    if process.returncode != 0:
        sys.exit(f"bench: wrk failed:\n{text}")
    outcomes: Counter[str] = Counter()
    for key, count in re.findall(r"^outcome (.+)\|(\d+)$", text, re.M):
        outcomes[key.strip()] += int(count)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)  # wrk pads seconds: "1.01s "
    attack = Attack(
        outcomes=outcomes,
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),  # type: ignore[union-attr]
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
        generator_cpu_s=usage.ru_utime + usage.ru_stime,
        p50_ms=float(p50.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[p50.group(2)] if p50 else float("nan"),
    )
    # Let what the attack left queued in the service and in Elasticsearch drain before the next measurement.
    time.sleep(5)
    return Variant(name, at_rest, under_attack, attack, es_cores, service_cores)


@dataclass
class ServiceResult:
    label: str
    variants: list[Variant] = field(default_factory=list)
    victim_client_cpu_s: float = 0.0
