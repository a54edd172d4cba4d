"""Parts 1-3: an honest burst from one client through the slow proxy, a heavy caller alone with fair admission
on and off, and the heavy caller beside a light one."""

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from benchmarks.attack.load import Latency, victim
from benchmarks.fairness.plan import BURST_ADDRESS, BURSTS, HEAVY_CONNECTIONS, ON_PORT, SLOW_PORT, VICTIMS_AT_REST
from benchmarks.harness import BIG_POOL, FIELDS, Server, latency_proxy, log, started
from benchmarks.hey import Burst, hey, hey_direct
from benchmarks.wrk import WrkResult, wrk
from search_service.query.body import build_search_body


@dataclass
class SlowBursts:
    direct: dict[int, Burst]  # the same burst straight to the proxy (Elasticsearch delayed 3 s)
    service: dict[int, Burst]


def slow_bursts(env: dict[str, str]) -> SlowBursts:
    """Part 1: N searches at once from one address, through the service and straight to the proxy."""
    with latency_proxy() as upstream:
        body = build_search_body(query="json", page=1, size=10, fields=FIELDS)
        direct = {}
        for n in BURSTS:
            log(f"fairness: {n} at once straight through the proxy")
            direct[n] = hey_direct(upstream, n, body)
        slow_env = env | {
            "ELASTICSEARCH_HOSTS": upstream,
            "ELASTICSEARCH_CONNECTIONS_PER_NODE": str(BIG_POOL),
            "ELASTICSEARCH_REQUEST_TIMEOUT": "30",
        }
        service = {}
        with started(Server("service via the proxy", ["scripts/serve"], SLOW_PORT, slow_env)):
            for number, n in enumerate(BURSTS, start=1):
                log(f"fairness: {n} at once through the service, one client")
                address = BURST_ADDRESS.format(n=number)
                service[n] = hey(
                    f"http://127.0.0.1:{SLOW_PORT}/search?q=json", n, ["-H", f"X-Forwarded-For: {address}"]
                )
    return SlowBursts(direct, service)


def ok_per_second(result: WrkResult) -> float:
    """Answers of 200 per second: a refusal is not throughput."""
    return result.requests_per_second * (result.requests - result.non_2xx) / max(1, result.requests)


@dataclass
class HeavyAlone:
    on: list[WrkResult]
    off: list[WrkResult]

    @property
    def on_median(self) -> float:
        return statistics.median(ok_per_second(r) for r in self.on)

    @property
    def off_median(self) -> float:
        return statistics.median(ok_per_second(r) for r in self.off)

    @property
    def ratio(self) -> float:
        """The median of the rounds' on/off ratios."""
        return statistics.median(
            ok_per_second(a) / max(1e-9, ok_per_second(b)) for a, b in zip(self.on, self.off, strict=True)
        )


def heavy_alone(urls: dict[str, str], script: Path, *, rounds: int, seconds: int) -> HeavyAlone:
    """Part 2: the heavy caller alone against admission on and off, the order swapped every other round."""
    for name, url in urls.items():
        log(f"fairness: warm-up, admission {name}")
        wrk(url, script, HEAVY_CONNECTIONS, 3)
    result = HeavyAlone([], [])
    for r in range(rounds):
        for name in ("on", "off") if r % 2 == 0 else ("off", "on"):
            log(f"fairness: heavy caller alone, admission {name}, round {r + 1} of {rounds}")
            getattr(result, name).append(wrk(urls[name], script, HEAVY_CONNECTIONS, seconds))
    return result


@dataclass
class HeavyAndLight:
    light_at_rest: Latency
    light_beside_heavy: Latency
    heavy: WrkResult


def heavy_and_light(url: str, script: Path, *, seconds: int) -> HeavyAndLight:
    """Part 3: the light client at rest, then beside the heavy one (wrk in its own process)."""
    log("fairness: light client at rest")
    at_rest = victim(VICTIMS_AT_REST, time.monotonic() + 60, port=ON_PORT)
    log(f"fairness: heavy ({HEAVY_CONNECTIONS} connections) and light together, {seconds * 2}s")
    with ThreadPoolExecutor(1) as pool:
        began = time.monotonic()
        heavy = pool.submit(wrk, url, script, HEAVY_CONNECTIONS, seconds * 2)
        time.sleep(1)
        beside = victim(1_000_000, began + seconds * 2 - 0.5, port=ON_PORT)
        return HeavyAndLight(at_rest, beside, heavy.result())
