"""The fairness scenario: the servers it needs, the parts in order, the report."""

import argparse
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.attack.index import ensure_attack_index
from benchmarks.attack.load import victim
from benchmarks.attack.scenario import describe_checkout
from benchmarks.fairness import plan
from benchmarks.fairness.attacks import costly_cheap, did_you_mean, make_keys, points_in_time
from benchmarks.fairness.extremes import bursts_beside_hog, deep_walk
from benchmarks.fairness.report import write_fairness_report
from benchmarks.fairness.throughput import heavy_alone, heavy_and_light, slow_bursts
from benchmarks.harness import BASE_ENV, ES_URL, OUT, REPO, Server, environment, log, run, started
from benchmarks.workload import query_mix
from benchmarks.wrk import wrk_script

# The service's defaults but for where it listens; each server gets its own DATA_DIR besides.
DEFAULTS = {"WEB_CONCURRENCY": "1", "HOST": "127.0.0.1", "ELASTICSEARCH_HOSTS": ES_URL}


def admission_cost(env: dict[str, str]) -> dict[str, object]:
    """Part 5, in a process of its own (benchmarks/fairness/cost.py)."""
    log("fairness: admission's own cost, in process")
    command = [sys.executable, "benchmarks/fairness/cost.py", str(plan.COST_ITERATIONS)]
    output = run(command, cwd=REPO, env=os.environ | BASE_ENV | env)
    return dict(json.loads(output.strip().splitlines()[-1]))


def fairness_scenario(*, rounds: int, seconds: int, documents: int) -> None:
    began = time.monotonic()
    index = ensure_attack_index(documents)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        cost = admission_cost(DEFAULTS | {"DATA_DIR": str(data / "cost")})
        slow = slow_bursts(DEFAULTS | {"DATA_DIR": str(data / "slow")})
        heavy = [{"method": "GET", "path": "/search?" + urlencode({"q": q}), "body": ""} for q in query_mix()]
        script = wrk_script(data, "heavy", heavy, {"X-Forwarded-For": plan.HEAVY_ADDRESS})
        with ExitStack() as stack:
            for name, port, extra in (("on", plan.ON_PORT, {}), ("off", plan.OFF_PORT, plan.ADMISSION_OFF)):
                env = DEFAULTS | {"DATA_DIR": str(data / name)} | extra
                stack.enter_context(started(Server(f"admission {name}", ["scripts/serve"], port, env)))
            urls = {"on": f"http://127.0.0.1:{plan.ON_PORT}", "off": f"http://127.0.0.1:{plan.OFF_PORT}"}
            alone = heavy_alone(urls, script, rounds=rounds, seconds=seconds)
            beside = heavy_and_light(urls["on"], script, seconds=seconds)
            hog = bursts_beside_hog(plan.ON_PORT)
        attack_env = DEFAULTS | {"ELASTICSEARCH_INDEX": index, "DATA_DIR": str(data / "attack")}
        with started(Server("attack index", ["scripts/serve"], plan.ATTACK_PORT, attack_env)):
            keys = make_keys(data / "attack", os.environ | BASE_ENV | attack_env, plan.COSTLY_KEYS)
            victim(20, time.monotonic() + 30, port=plan.ATTACK_PORT)  # warm-up
            attacks = [costly_cheap(keys), did_you_mean(), points_in_time()]
            walk = deep_walk(plan.ATTACK_PORT)
    write_fairness_report(
        env=environment(["hey", "wrk"]),
        head=describe_checkout(REPO),
        seconds=time.monotonic() - began,
        slow=slow,
        alone=alone,
        beside=beside,
        attacks=attacks,
        cost=cost,
        hog=hog,
        walk=walk,
        index=index,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("fairness scenario")
    group.add_argument("--fairness-rounds", type=int, default=4, help="rounds of the heavy caller, admission on/off")
    group.add_argument("--fairness-seconds", type=int, default=6, help="seconds of each heavy-caller round")


def run_from_arguments(args: argparse.Namespace) -> None:
    fairness_scenario(rounds=args.fairness_rounds, seconds=args.fairness_seconds, documents=args.attack_docs)
    print((OUT / "fairness.md").read_text())
