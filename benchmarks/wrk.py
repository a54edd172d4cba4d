"""wrk, the load generator of the throughput scenarios: its Lua script cycling through a list of requests (or
walking a long sequence of them, read from files), and its output read into numbers."""

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import ES_PASSWORD, run

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
# wrk runs this many threads (fewer for fewer connections): each has its own Lua state and walks its own requests.
THREADS = 2


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    # wrk's own counts: answers with a status of 400 or more, and connect, read, write and timeout errors.
    non_2xx: int
    socket_errors: int

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


def wrk(url: str, script: Path, connections: int, seconds: int) -> WrkResult:
    out = run(
        [
            "wrk",
            f"-t{min(THREADS, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ]
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        # wrk pads a figure in seconds with a space ("1.01s ").
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)\s*$", out, re.M).group(1)),  # type: ignore[union-attr]
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)\s*$", out, re.M).group(1)),  # type: ignore[union-attr]
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
    )


def wrk_script(
    directory: Path, name: str, requests: list[dict[str, str]], headers: dict[str, str] | None = None
) -> Path:
    """A wrk Lua script cycling through `requests` (method, path, body), each with `headers` too."""
    lines = ["local requests = {"]
    for request in requests:
        lines.append("  {" + ", ".join(f"{key} = {json.dumps(value)}" for key, value in request.items()) + "},")
    auth = base64.b64encode(f"elastic:{ES_PASSWORD}".encode()).decode()
    extra = "".join(f", [{json.dumps(key)}] = {json.dumps(value)}" for key, value in (headers or {}).items())
    lines += [
        "}",
        "local i = 0",
        "request = function()",
        "  i = i % #requests + 1",
        "  local r = requests[i]",
        f'  return wrk.format(r.method, r.path, {{["Content-Type"] = "application/json", '
        f'["Authorization"] = "Basic {auth}"{extra}}}, r.body)',
        "end",
    ]
    path = directory / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def elasticsearch_auth() -> dict[str, str]:
    """The header a request straight to the local Elasticsearch needs."""
    return {"Authorization": "Basic " + base64.b64encode(f"elastic:{ES_PASSWORD}".encode()).decode()}


def wrk_sequence_script(
    directory: Path,
    name: str,
    requests: list[dict[str, str]],
    order: Sequence[int] | None = None,
    headers: dict[str, str] | None = None,
) -> Path:
    """A wrk Lua script walking a long sequence: `requests` (method, path, body) by the indices in `order` (all of
    them in turn without one), each with `headers` (no credentials unless given: the service answers a request that
    carries one otherwise than an anonymous one).

    Both go to files, read line by line as each thread starts: a Lua table literal of more than 65,536 distinct
    strings does not compile (LuaJIT's constants per function). Each thread starts its own stretch of the sequence
    (thread k at k / THREADS of the way): threads that all started at the top would send each request twice,
    moments apart, and a cache would answer the second one.
    """
    data = directory / f"{name}.requests"
    # A body is JSON on one line and a path is URL-encoded: neither holds a tab or a line break.
    data.write_text("".join(f"{r['method']}\t{r['path']}\t{r['body']}\n" for r in requests))
    sequence = directory / f"{name}.order"
    sequence.write_text("".join(f"{i + 1}\n" for i in (range(len(requests)) if order is None else order)))
    extra = "".join(f", [{json.dumps(key)}] = {json.dumps(value)}" for key, value in (headers or {}).items())
    lines = [
        "local requests = {}",
        f"for line in io.lines({json.dumps(str(data))}) do",
        '  local method, path, body = line:match("^([^\\t]*)\\t([^\\t]*)\\t(.*)$")',
        "  requests[#requests + 1] = {method = method, path = path, body = body}",
        "end",
        "local order = {}",
        f"for line in io.lines({json.dumps(str(sequence))}) do order[#order + 1] = tonumber(line) end",
        "local threads = 0",
        'setup = function(thread) thread:set("id", threads); threads = threads + 1 end',
        "local i = 0",
        f"init = function(args) i = math.floor((id or 0) * #order / {THREADS}) end",
        "request = function()",
        "  i = i % #order + 1",
        "  local r = requests[order[i]]",
        f'  return wrk.format(r.method, r.path, {{["Content-Type"] = "application/json"{extra}}}, r.body)',
        "end",
    ]
    path = directory / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path
