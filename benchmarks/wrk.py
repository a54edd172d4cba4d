"""wrk, the load generator of the throughput scenarios: its Lua script cycling through a list of requests, and
its output read into numbers."""

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import ES_PASSWORD, run

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


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
        ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
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
