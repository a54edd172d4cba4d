"""hey, the load generator of the bursts: N requests started at once, read into numbers."""

import base64
import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from benchmarks.harness import ES_PASSWORD, INDEX, run


@dataclass
class Burst:
    wall_s: float
    ok: int
    failed: int
    slowest_s: float
    statuses: Counter[int]  # answers by status; connection errors are in `failed` only

    @property
    def refused(self) -> int:
        return self.statuses.get(429, 0)


def hey(url: str, n: int, extra: list[str] | None = None) -> Burst:
    """`hey -n N -c N`: starts all N requests at once; its Total is the wall time for all of them."""
    out = run(["hey", "-n", str(n), "-c", str(n), "-t", "60", *(extra or []), url])
    statuses = Counter({int(code): int(count) for code, count in re.findall(r"\[(\d+)\]\s+(\d+) responses", out)})
    ok = statuses.get(200, 0)
    return Burst(
        wall_s=float(re.search(r"Total:\s+([\d.]+) secs", out).group(1)),  # type: ignore[union-attr]
        ok=ok,
        failed=n - ok,  # other statuses and connection errors alike
        slowest_s=float(re.search(r"Slowest:\s+([\d.]+) secs", out).group(1)),  # type: ignore[union-attr]
        statuses=statuses,
    )


def hey_direct(upstream: str, n: int, body: dict[str, Any]) -> Burst:
    """The same burst straight to Elasticsearch's `_search` at `upstream` (the node, or the proxy before it)."""
    auth = base64.b64encode(f"elastic:{ES_PASSWORD}".encode()).decode()
    return hey(
        f"{upstream}/{INDEX}/_search",
        n,
        ["-m", "POST", "-T", "application/json", "-H", f"Authorization: Basic {auth}", "-d", json.dumps(body)],
    )
