"""The attack scenario (`make bench BENCH_ARGS="--only attack"`): does one caller's expensive traffic slow
everyone else's search?

An ordinary search is timed at rest, then again while 50 connections send, for 20 s, the costliest queries
the service's default policy accepts: first from one client (all connections one address), then as a
distributed attack (every request from one of 50 addresses). Clients are told apart as the service tells
them apart behind a proxy, by X-Forwarded-For from the trusted 127.0.0.1 (scripts/serve's default), so no
traffic leaves loopback. The victim is a client of its own. Writes docs/benchmarks/attack.md.

`--service-dir` (repeatable) runs the same attack against other checkouts (for example the code before the
query policy, in a throwaway `git worktree`), each served by its own `scripts/serve`, in the same run.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from benchmarks.harness import ES_PASSWORD, ES_URL, OUT, REPO, Server, commands_run, cpu_seconds, log, run, started
from search_service.demo import DEMO_MAPPING, stdlib_documents
from search_service.query.policy import QueryPolicy, QueryRefused, check_query, policy_from_settings
from search_service.settings import ServiceSettings

PORT = 8150
AUTH = ("elastic", ES_PASSWORD)
# The ordinary searches a victim sends: one and two common words, as most traffic is.
VICTIM_QUERIES = ["json", "socket timeout", "decode", "thread lock", "path", "parse date"]
# Victims are several ordinary users (each far below SEARCH_RATE_LIMIT), not one client hammering the service.
VICTIM_ADDRESSES = [f"10.200.0.{i}" for i in range(1, 21)]
SINGLE_ATTACKER = "10.0.0.1"
VICTIM_TIMEOUT = 15.0
PROBE_REPEATS = 3
ATTACK_SET_SIZE = 4
MUTATION_RATE = 0.05
_WORD = re.compile(r"[A-Za-z]{5,}")


# ---- the index -----------------------------------------------------------------------------------


def ensure_attack_index(documents: int) -> str:
    """An index of `documents` demo documents: the demo corpus copied with new ids, 5% of each copy's longer
    words altered by one letter so that the term dictionary grows as a real corpus' does (that is what
    wildcard and fuzzy terms expand over). Reused when it already holds that many; merged to one segment."""
    index = f"bench-attack-{documents}"
    count = httpx.get(f"{ES_URL}/{index}/_count", auth=AUTH, timeout=30)
    if count.status_code == 200 and count.json()["count"] == documents:
        log(f"attack: reusing index {index}")
        return index
    log(f"attack: building index {index} ({documents:,} documents)")
    httpx.delete(f"{ES_URL}/{index}", auth=AUTH, timeout=60)
    created = httpx.put(
        f"{ES_URL}/{index}",
        json={"mappings": DEMO_MAPPING, "settings": {"number_of_replicas": 0, "refresh_interval": "-1"}},
        auth=AUTH,
        timeout=60,
    )
    created.raise_for_status()
    commands_run.append(f"PUT {ES_URL}/{index} (demo mapping), then _bulk {documents:,} documents")
    with httpx.Client(auth=AUTH, timeout=300) as client:
        batch: list[str] = []
        for document_id, source in _replicated_documents(documents):
            batch += [json.dumps({"index": {"_id": document_id}}), json.dumps(source)]
            if len(batch) >= 4000:
                _bulk(client, index, batch)
                batch = []
        if batch:
            _bulk(client, index, batch)
        client.put(f"{ES_URL}/{index}/_settings", json={"index": {"refresh_interval": None}}).raise_for_status()
        client.post(f"{ES_URL}/{index}/_refresh").raise_for_status()
        client.post(f"{ES_URL}/{index}/_forcemerge?max_num_segments=1", timeout=900).raise_for_status()
    commands_run.append(f"POST {ES_URL}/{index}/_forcemerge?max_num_segments=1")
    return index


def _bulk(client: httpx.Client, index: str, lines: list[str]) -> None:
    answer = client.post(
        f"{ES_URL}/{index}/_bulk",
        content="\n".join(lines) + "\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    answer.raise_for_status()
    if answer.json()["errors"]:
        raise RuntimeError(f"bulk load into {index} failed: {answer.text[:500]}")


def _replicated_documents(documents: int) -> list[tuple[str, dict[str, Any]]]:
    originals = list(stdlib_documents())
    rng = random.Random(7)

    def mutate(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            word = match.group(0)
            if rng.random() >= MUTATION_RATE:
                return word
            i = rng.randrange(1, len(word) - 1)
            return word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1 :]

        return _WORD.sub(one, text)

    out: list[tuple[str, dict[str, Any]]] = []
    copy = 0
    while len(out) < documents:
        for original in originals[: documents - len(out)]:
            source = {k: v for k, v in original.items() if k != "_id"}
            document_id = str(original["_id"])
            if copy:
                document_id += f"~{copy}"
                source["summary"] = mutate(source["summary"])
                source["docstring"] = mutate(source["docstring"])
            out.append((document_id, source))
        copy += 1
    return out


# ---- the attack set ------------------------------------------------------------------------------


@dataclass
class Candidate:
    label: str
    q: str
    size: int = 100
    page: int = 1

    def path(self) -> str:
        return "/search?" + urlencode({"q": self.q, "size": self.size, "page": self.page})


def attack_candidates(policy: QueryPolicy) -> list[Candidate]:
    """Queries at the default policy's limits, built from the corpus' own vocabulary: the 2-letter prefixes
    with the most distinct words, the most frequent long words (fuzzy), the most frequent words (clauses)."""
    words = Counter(
        word.lower()
        for document in stdlib_documents()
        for word in re.findall(r"[A-Za-z]+", document["summary"] + " " + document["docstring"])
    )
    prefixes = Counter(word[:2] for word in words if len(word) > 2).most_common(policy.max_wildcard_terms)
    wildcards = [f"{prefix}*" for prefix, _ in prefixes]
    long_words = [w for w, _ in words.most_common(400) if len(w) >= 5][: policy.max_fuzzy_terms]
    fuzzy = [f"{w}~{policy.max_fuzzy_edits}" for w in long_words]
    common = [w for w, _ in words.most_common(200) if w.upper() not in {"AND", "OR", "NOT", "TO"}]
    fill = policy.max_clauses - len(wildcards) - len(fuzzy)
    nested = " OR ".join(wildcards[:2])
    for _ in range(policy.max_depth - 1):
        nested = f"({nested})"
    phrase = " ".join(common[:4])
    return [
        Candidate("wildcards", " ".join(wildcards)),
        Candidate("fuzzy", " ".join(fuzzy)),
        Candidate("wildcards + fuzzy", " ".join(wildcards + fuzzy)),
        Candidate(f"{policy.max_clauses} common words", " ".join(common[: policy.max_clauses])),
        Candidate("wildcards + fuzzy + common words", " ".join(wildcards + fuzzy + common[:fill])),
        Candidate(f"nested {policy.max_depth} deep", f"({nested} OR {fuzzy[0]}) {wildcards[2]} {fuzzy[1]}"),
        Candidate("sloppy phrases, size 50", " ".join([f'"{phrase}"~{policy.max_phrase_slop}'] * 12), size=50),
        Candidate("ranges over every term, size 50", " ".join(["[a TO zzzz]"] * 12), size=50),
        Candidate("common words, last page of 50", " ".join(common[:12]), size=50, page=200),
    ]


@dataclass
class Probe:
    candidate: Candidate
    median_ms: float
    status: str

    @property
    def accepted(self) -> bool:
        """Past the policy and the limits: answered, or timed out in Elasticsearch (the costliest of all)."""
        return all(not outcome.startswith(("400", "422", "429")) for outcome in self.status.split(", "))


def probe(candidates: list[Candidate], policy: QueryPolicy) -> list[Probe]:
    """Each candidate the policy accepts, timed alone through the service (a fresh client address each time,
    so no limit interferes); the slowest first."""
    probes = []
    with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=60) as client:
        for n, candidate in enumerate(candidates):
            try:
                check_query(candidate.q, policy)
            except QueryRefused as refused:
                probes.append(Probe(candidate, float("nan"), f"refused by the policy: {refused.code}"))
                continue
            times, statuses = [], Counter[str]()
            for repeat in range(PROBE_REPEATS):
                started_at = time.perf_counter()
                answer = client.get(candidate.path(), headers={"X-Forwarded-For": f"10.100.{n}.{repeat + 1}"})
                times.append((time.perf_counter() - started_at) * 1e3)
                statuses[_outcome(answer)] += 1
                time.sleep(0.6)  # under SEARCH_EXPENSIVE_RATE_LIMIT even if it counted all probes as one
            probes.append(Probe(candidate, statistics.median(times), ", ".join(sorted(statuses))))
    return sorted(probes, key=lambda p: -p.median_ms if p.accepted else float("inf"))


def _outcome(answer: httpx.Response) -> str:
    if answer.status_code == 200:
        return "200"
    try:
        code = answer.json().get("error", "")
    except ValueError:
        code = ""
    return f"{answer.status_code} {code}".strip()


# ---- the victim, the attackers, the measurements ---------------------------------------------------


@dataclass
class Latency:
    median_ms: float
    p99_ms: float
    requests: int
    errors: Counter[str]


def victim(requests: int, deadline: float) -> Latency:
    """The ordinary searches, one after the other (keep-alive), until `requests` or `deadline`."""
    times: list[float] = []
    errors: Counter[str] = Counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=VICTIM_TIMEOUT) as client:
        for i in range(requests):
            if time.monotonic() > deadline:
                break
            headers = {"X-Forwarded-For": VICTIM_ADDRESSES[i % len(VICTIM_ADDRESSES)]}
            started_at = time.perf_counter()
            try:
                answer = client.get("/search", params={"q": VICTIM_QUERIES[i % len(VICTIM_QUERIES)]}, headers=headers)
                outcome = _outcome(answer)
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


def describe_checkout(directory: Path) -> str:
    head = run(["git", "-C", str(directory), "log", "-1", "--format=%h %s"]).strip()
    return f"`{head}`" + ("" if directory.resolve() == REPO else f" (from {directory})")


def attack_scenario(
    *, service_dirs: list[Path], documents: int, connections: int, seconds: int, victims: int, extra_env: dict[str, str]
) -> None:
    index = ensure_attack_index(documents)
    es_pid = elasticsearch_pid()
    policy = policy_from_settings(ServiceSettings())
    env = {"ELASTICSEARCH_HOSTS": ES_URL, "ELASTICSEARCH_INDEX": index, "WEB_CONCURRENCY": "1", "HOST": "127.0.0.1"}
    probes: list[Probe] = []
    attack_set: list[Candidate] = []
    results: list[ServiceResult] = []
    with tempfile.TemporaryDirectory() as tmp:
        for directory in service_dirs:
            server = Server("service", ["scripts/serve"], PORT, env | extra_env, cwd=directory)
            result = ServiceResult(describe_checkout(directory))
            with started(server) as pid:
                victim(20, time.monotonic() + 30)  # warm-up
                if not attack_set:
                    log("attack: probing the candidate queries one at a time")
                    probes = probe(attack_candidates(policy), policy)
                    attack_set = [p.candidate for p in probes if p.accepted][:ATTACK_SET_SIZE]
                    time.sleep(2)
                own_cpu = time.process_time()
                for name, distributed in (("one attacker", False), ("50 attackers", True)):
                    script = attack_script(Path(tmp), attack_set, distributed=distributed, connections=connections)
                    result.variants.append(
                        run_variant(
                            name,
                            script,
                            service_pid=pid,
                            es_pid=es_pid,
                            connections=connections,
                            seconds=seconds,
                            victims=victims,
                        )
                    )
                result.victim_client_cpu_s = time.process_time() - own_cpu
            results.append(result)
    write_attack_report(
        index=index,
        documents=documents,
        connections=connections,
        seconds=seconds,
        probes=probes,
        attack_set=attack_set,
        results=results,
        extra_env=extra_env,
    )


# ---- report ----------------------------------------------------------------------------------------


def _outcomes(counts: Counter[str]) -> str:
    return ", ".join(f"{key}: {n:,}" for key, n in counts.most_common()) or "none"


def write_attack_report(
    *,
    index: str,
    documents: int,
    connections: int,
    seconds: int,
    probes: list[Probe],
    attack_set: list[Candidate],
    results: list[ServiceResult],
    extra_env: dict[str, str],
) -> None:
    cpu = re.search(r"model name\s+:\s+(.*)", Path("/proc/cpuinfo").read_text())
    lines = [
        "# Attack scenario",
        "",
        f"Written by `make bench` (`benchmarks/attack.py`) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"on {os.cpu_count()} cores ({cpu.group(1) if cpu else 'unknown CPU'}) shared by Elasticsearch, the service, "
        "wrk and the victim's client: read the ratios.",
        "",
        f"Index `{index}`: {documents:,} documents (the demo corpus copied, 5% of each copy's longer words "
        "altered by a letter), one segment. The service runs as its image does (`scripts/serve`, one worker, "
        "default settings"
        + (f", plus {', '.join(f'`{k}={v}`' for k, v in extra_env.items())}" if extra_env else "")
        + "), straight against the node.",
        "",
        "**Victim**: sequential ordinary searches (`" + "`, `".join(VICTIM_QUERIES) + "`), from "
        f"{len(VICTIM_ADDRESSES)} addresses in turn (each far below the per-client rate limit), timed by an httpx "
        "client; at rest, then again from 3 s into the attack until 1 s before its end. "
        f"**Attackers**: wrk, {connections} connections for {seconds} s, the attack set below in turn; *one "
        f"attacker* sends every request as `X-Forwarded-For: {SINGLE_ATTACKER}`, *50 attackers* as one of "
        f"{connections} addresses (10.t.n.1, per request). uvicorn takes the client's address from that header "
        "because the peer, 127.0.0.1, is the trusted proxy.",
        "",
        "## The attack set",
        "",
        "Candidates at the default policy's limits, built from the corpus' vocabulary, each timed alone "
        f"through the service ({PROBE_REPEATS} tries, median); the {ATTACK_SET_SIZE} slowest the service "
        "accepts (answered, or timed out inside Elasticsearch) are the attack.",
        "",
        "| candidate | q | size | page | alone (ms) | answer | in attack |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for p in probes:
        c = p.candidate
        q = c.q if len(c.q) <= 80 else c.q[:77] + "..."
        lines.append(
            f"| {c.label} | `{q}` | {c.size} | {c.page} | {p.median_ms:,.0f} | {p.status} | "
            f"{'yes' if c in attack_set else ''} |"
        )
    for result in results:
        lines += [
            "",
            f"## {result.label}",
            "",
            "| attack | victim at rest p50 / p99 (ms) | under attack p50 / p99 (ms) | p50 × | p99 × | "
            "victim errors | target (p50 ≤ 2×, p99 ≤ 5×, 0 errors) |",
            "| --- | --- | --- | ---: | ---: | --- | --- |",
        ]
        for v in result.variants:
            lines.append(
                f"| {v.name} | {v.at_rest.median_ms:.1f} / {v.at_rest.p99_ms:.1f} ({v.at_rest.requests}) | "
                f"{v.under_attack.median_ms:.1f} / {v.under_attack.p99_ms:.1f} ({v.under_attack.requests}) | "
                f"{v.median_ratio:.1f} | {v.p99_ratio:.1f} | {_outcomes(v.under_attack.errors)} | "
                f"{'met' if v.met else '**not met**'} |"
            )
        lines += [
            "",
            "| attack | attackers got (status error: count) | attack req/s | attack p50 (ms) | socket errors | "
            "Elasticsearch CPU (cores) | service CPU (cores) | wrk CPU (s) |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for v in result.variants:
            a = v.attack
            lines.append(
                f"| {v.name} | {_outcomes(a.outcomes)} | {a.requests_per_second:,.0f} | {a.p50_ms:,.0f} | "
                f"{a.socket_errors} | {v.es_cores:.2f} | {v.service_cores:.2f} | {a.generator_cpu_s:.1f} |"
            )
        lines += ["", f"The victim's client used {result.victim_client_cpu_s:.1f} s of CPU across both variants."]
    lines += [
        "",
        "Counts (requests in brackets) are the victim's; Elasticsearch's CPU is its whole process, so other "
        "users of the node would show in it.",
        "",
        "## Commands",
        "",
        "```",
        *dict.fromkeys(commands_run),
        "```",
        "",
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "attack.md").write_text("\n".join(lines))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("attack scenario")
    group.add_argument("--attack-docs", type=int, default=200_000, help="documents in the attack's index")
    group.add_argument("--attack-connections", type=int, default=50)
    group.add_argument("--attack-seconds", type=int, default=20)
    group.add_argument("--attack-victims", type=int, default=300, help="ordinary searches per measurement")
    group.add_argument(
        "--service-dir",
        type=Path,
        action="append",
        help="a checkout to serve and attack (repeatable; default: this one), e.g. a worktree of an older commit",
    )
    group.add_argument(
        "--service-env", action="append", default=[], metavar="NAME=VALUE", help="extra environment for the service"
    )


def run_from_arguments(args: argparse.Namespace) -> None:
    attack_scenario(
        service_dirs=args.service_dir or [REPO],
        documents=args.attack_docs,
        connections=args.attack_connections,
        seconds=args.attack_seconds,
        victims=args.attack_victims,
        extra_env=dict(item.split("=", 1) for item in args.service_env),
    )
    print((OUT / "attack.md").read_text())
