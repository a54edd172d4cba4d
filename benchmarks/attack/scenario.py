"""The attack scenario: serve each checkout, probe the attack set, measure each variant, write the report."""

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.attack.index import ensure_attack_index
from benchmarks.attack.load import ServiceResult, attack_script, elasticsearch_pid, run_variant, victim
from benchmarks.attack.plan import ATTACK_SET_SIZE, PORT
from benchmarks.attack.queries import Candidate, Probe, attack_candidates, probe
from benchmarks.attack.report import write_attack_report
from benchmarks.harness import ES_URL, OUT, REPO, Server, log, run, started
from search_service.query.policy import policy_from_settings
from search_service.settings import ServiceSettings


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
