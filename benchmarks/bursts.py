"""Bursts of concurrent searches over a pool of keep-alive connections, counted by outcome (issue 19).

    python benchmarks/bursts.py --port 8731 --bursts 10 --concurrency 400 --connections 200 --cpu-hog 2

Each burst sends --concurrency `GET /search?q=...` at once through one httpx.AsyncClient whose pool holds at most
--connections keep-alive connections, kept from one burst to the next. Every request must be answered (200, or 429
at worst); the count of anything else, exceptions by type, is what this measures. --cpu-hog N runs N busy Python
processes beside it (the loaded machine of the report), stopped at the end whatever happens. Standalone: it needs
httpx only, and a service already serving on --host:--port (scripts/serve, rate limits off to see 200s).
"""

import argparse
import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

# Words the demo index (manage.py load_demo) answers, so that the searches are real ones.
WORDS = ["list", "dict", "open", "path", "json", "thread", "socket", "time", "random", "string", "http", "queue"]
WORDS += ["async", "file", "parse", "date", "regex", "math", "sort", "encode", "decode", "read", "write", "copy"]


@contextmanager
def cpu_hogs(count: int) -> Iterator[None]:
    """`count` processes spinning on a core each, killed on the way out."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


async def one_search(client: httpx.AsyncClient, number: int) -> str:
    """The outcome of one search: its status, or the name of the exception it ended in."""
    query = f"{WORDS[number % len(WORDS)]} {WORDS[(number * 7 + 3) % len(WORDS)]}"
    try:
        response = await client.get("/search", params={"q": query})
    except httpx.HTTPError as error:
        return type(error).__name__
    return str(response.status_code)


async def bursts(
    url: str, count: int, concurrency: int, connections: int, pause: float, request_timeout: float
) -> list[Counter[str]]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=request_timeout) as client:
        outcomes = []
        for burst in range(count):
            if burst:
                await asyncio.sleep(pause)
            started = time.monotonic()
            results = await asyncio.gather(*(one_search(client, burst * concurrency + n) for n in range(concurrency)))
            outcome = Counter(results)
            outcomes.append(outcome)
            seconds = time.monotonic() - started
            print(f"burst {burst + 1}: {dict(sorted(outcome.items()))} in {seconds:.2f} s", flush=True)
        return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=400, help="searches sent at once in each burst")
    parser.add_argument("--connections", type=int, default=200, help="the client pool's keep-alive connections")
    parser.add_argument("--cpu-hog", type=int, default=0, metavar="N", help="busy processes beside it")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between bursts")
    parser.add_argument("--timeout", type=float, default=60.0, help="the client's timeout per request")
    args = parser.parse_args()
    with cpu_hogs(args.cpu_hog):
        outcomes = asyncio.run(
            bursts(
                f"http://{args.host}:{args.port}",
                args.bursts,
                args.concurrency,
                args.connections,
                args.pause,
                args.timeout,
            )
        )
    total = sum(outcomes, Counter[str]())
    unanswered = sum(n for outcome, n in total.items() if outcome not in ("200", "429"))
    print(f"total: {dict(sorted(total.items()))}; unanswered: {unanswered}")
    return 1 if unanswered else 0


if __name__ == "__main__":
    sys.exit(main())
