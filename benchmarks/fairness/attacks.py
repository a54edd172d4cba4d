"""Part 4: the three attacks of issue 19, each timed against a victim at rest and under attack. The attackers are
benchmarks/fairness/sender.py at a fixed rate in a process of their own; the victim is the attack scenario's."""

import json
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.attack.load import Latency, victim
from benchmarks.attack.plan import AUTH, VICTIM_QUERIES
from benchmarks.fairness import plan
from benchmarks.harness import ES_URL, REPO, commands_run, log, run
from benchmarks.outcomes import outcome_of


def make_keys(data: Path, env: dict[str, str], count: int) -> list[str]:
    """`count` search keys with the default rate limit (SEARCH_RATE_LIMIT's), in one manage.py call."""
    code = (
        "from django.core.management import call_command; call_command('migrate', verbosity=0)\n"
        "from search_service.keys.services import api_key_create\n"
        f"for i in range({count}):\n"
        "    print(api_key_create(name=f'fairness {i}', scopes=['search'], rate_limit=None).key)"
    )
    output = run([sys.executable, "manage.py", "shell", "-c", code], cwd=REPO, env=env | {"DATA_DIR": str(data)})
    return output.strip().splitlines()[-count:]


def open_contexts() -> int:
    """Search contexts open on the node (points in time and scrolls), from `GET _nodes/stats/indices/search`."""
    nodes = httpx.get(f"{ES_URL}/_nodes/stats/indices/search", auth=AUTH, timeout=10).json()["nodes"]
    return sum(node["indices"]["search"]["open_contexts"] for node in nodes.values())


@dataclass
class AttackRun:
    name: str
    describe: str
    at_rest: Latency
    under_attack: Latency
    sent: dict[str, Any]  # the sender's summary: outcomes, sent, rate, p50_ms
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def p50_ratio(self) -> float:
        return self.under_attack.median_ms / self.at_rest.median_ms

    @property
    def p99_ratio(self) -> float:
        return self.under_attack.p99_ms / self.at_rest.p99_ms

    @property
    def met(self) -> bool:
        return self.p50_ratio <= 1.5 and self.p99_ratio <= 3 and not self.under_attack.errors


def attack(
    name: str,
    describe: str,
    requests: list[dict[str, Any]],
    *,
    rate: float,
    seconds: int,
    beside: Callable[[float, float], None] | None = None,
) -> AttackRun:
    """The victim at rest, then under `requests` sent at `rate` for `seconds`; `beside(began, seconds)`, if given,
    runs in a thread of its own meanwhile."""
    log(f"fairness: {name}: victim at rest")
    at_rest = victim(plan.VICTIMS_AT_REST, time.monotonic() + 60, port=plan.ATTACK_PORT)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(requests, file)
    base = f"http://127.0.0.1:{plan.ATTACK_PORT}"
    command = [sys.executable, "benchmarks/fairness/sender.py", "--base", base, "--rate", str(rate)]
    command += ["--seconds", str(seconds), "--requests", file.name]
    commands_run.append(" ".join(command[1:]))
    log(f"fairness: {name}: {rate:g}/s for {seconds}s, the victim meanwhile")
    wall = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    thread = threading.Thread(target=beside, args=(wall, seconds)) if beside else None
    try:
        if thread:
            thread.start()
        time.sleep(min(3, seconds / 5))
        under = victim(1_000_000, wall + seconds - 1, port=plan.ATTACK_PORT)
        out, err = process.communicate(timeout=seconds + 120)
        if thread:
            thread.join(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
        Path(file.name).unlink()
    time.sleep(5)  # what the attack left queued in the service and in Elasticsearch drains before what comes next
    if process.returncode != 0:
        sys.exit(f"bench: the sender failed:\n{err}")
    return AttackRun(name, describe, at_rest, under, json.loads(out))


def costly_cheap(keys: list[str]) -> AttackRun:
    path = plan.search_path(**plan.COSTLY_CHEAP)
    requests = [{"path": path, "headers": {"X-API-Key": key}} for key in keys]
    describe = (
        f"`{path}` from {len(keys)} API keys at {plan.COSTLY_RATE_EACH:g}/s each "
        f"({plan.COSTLY_RATE_EACH * len(keys):g}/s in all)"
    )
    return attack(
        "(a) costly cheap queries",
        describe,
        requests,
        rate=plan.COSTLY_RATE_EACH * len(keys),
        seconds=plan.ATTACK_SECONDS,
    )


def did_you_mean() -> AttackRun:
    queries = plan.nonsense_queries()
    requests = [
        {"path": plan.search_path(q=q), "headers": {"X-Forwarded-For": f"10.3.0.{i % plan.NONSENSE_CALLERS + 1}"}}
        for i, q in enumerate(queries)
    ]
    describe = (
        f"{len(queries)} first pages of 4-5 nonsense words (e.g. `{queries[0]}`), from "
        f"{plan.NONSENSE_CALLERS} addresses, {plan.NONSENSE_RATE:g}/s in all"
    )
    return attack(
        "(b) did-you-mean amplification", describe, requests, rate=plan.NONSENSE_RATE, seconds=plan.ATTACK_SECONDS
    )


@dataclass
class Walks:
    """The ordinary cursor walks beside attack (c): page 1 -> 2 -> 3 by `next`, each from an address of its own, in
    a thread of its own, their starts spread over the attack; and the most open contexts read meanwhile."""

    outcomes: Counter[str] = field(default_factory=Counter)  # `completed`, or what cut a walk short
    most_open: int = 0

    def run(self, began: float, seconds: float) -> None:
        spacing = (seconds - 10) / plan.PIT_WALKS
        with ThreadPoolExecutor(plan.PIT_WALKS) as pool:
            walks = [pool.submit(self._walk, k, began + 3 + k * spacing) for k in range(plan.PIT_WALKS)]
            while time.monotonic() < began + seconds:
                self.most_open = max(self.most_open, open_contexts())
                time.sleep(1)
            self.outcomes.update(walk.result() for walk in walks)

    @staticmethod
    def _walk(k: int, start: float) -> str:
        time.sleep(max(0.0, start - time.monotonic()))
        headers = {"X-Forwarded-For": f"10.7.0.{k + 1}"}
        q = VICTIM_QUERIES[k % len(VICTIM_QUERIES)]
        cursor = None
        with httpx.Client(base_url=f"http://127.0.0.1:{plan.ATTACK_PORT}", timeout=30, headers=headers) as client:
            for page in range(1, plan.WALK_PAGES + 1):
                try:
                    answer = client.get("/search", params={"q": q} | ({"cursor": cursor} if cursor else {}))
                    result = outcome_of(answer)
                except httpx.HTTPError as error:
                    result = type(error).__name__
                if result != "200":
                    return f"{result} at page {page}"
                cursor = answer.json().get("next")
                if cursor is None and page < plan.WALK_PAGES:
                    return f"no `next` after page {page}"
        return "completed"


def points_in_time() -> AttackRun:
    try:
        first = httpx.get(
            f"http://127.0.0.1:{plan.ATTACK_PORT}/search", params={"q": "json"}, headers={"X-Forwarded-For": "10.4.0.1"}
        )
    except httpx.TransportError as error:
        sys.exit(f"bench: the service on port {plan.ATTACK_PORT} no longer answers ({error}): did it exit?")
    cursor = first.json().get("next") if first.status_code == 200 else None
    if not cursor:
        sys.exit(f"bench: the first page of q=json gave no cursor ({first.status_code})")
    path = plan.search_path(q="json", cursor=cursor)
    requests = [
        {"path": path, "headers": {"X-Forwarded-For": f"10.5.{i // 250}.{i % 250 + 1}"}}
        for i in range(plan.PIT_ADDRESSES)
    ]
    before = open_contexts()
    walks = Walks()
    describe = (
        f"the `next` of the first page of `q=json` replayed by {plan.PIT_ADDRESSES} addresses, "
        f"{plan.PIT_RATE:g}/s in all, for {plan.PIT_SECONDS} s; meanwhile {plan.PIT_WALKS} ordinary walks "
        f"(pages 1 → {plan.WALK_PAGES} by `next`, `q` one of the victim's queries) from 42 other addresses"
    )
    result = attack(
        "(c) points in time", describe, requests, rate=plan.PIT_RATE, seconds=plan.PIT_SECONDS, beside=walks.run
    )
    after = open_contexts()
    time.sleep(10)
    result.extra = {
        "open contexts before": before,
        "open contexts during (most)": walks.most_open,
        "open contexts at the end": after,
        "open contexts 10 s later": open_contexts(),
        "walks": ", ".join(f"{k}: {n}" for k, n in walks.outcomes.most_common()),
    }
    return result
