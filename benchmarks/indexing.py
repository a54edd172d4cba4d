"""The indexing scenario (`make bench BENCH_ARGS="--only indexing"`): what the loader (`manage.py index`,
search_service/indexing/) costs over the client's `async_bulk` called straight, on the same JSON Lines file.

Variants, each loading the whole file into a fresh index of the same mapping and chunk size, until searchable:
- `async_bulk` straight, in this process: read the lines with orjson, `helpers.async_bulk`, refresh;
- the loading module, in this process (`load_index`): the same, plus line numbers for every failure, refresh off
  while loading, the alias swap and the pruning of the previous version;
- the `async_bulk` code as a script of its own (`python straight.py`): a process that imports only the client;
- `manage.py index` as an operator runs it: the module plus Django's start-up, which is measured alone too
  (the command on a one-line file).
Rounds alternate the order so that drift on a shared machine falls on every variant alike; figures are medians
of the rounds, ratios the median of each round's ratio. Writes docs/benchmarks/indexing.md.
"""

import argparse
import asyncio
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

import orjson
from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_bulk

from benchmarks.harness import (
    BASE_ENV,
    ES_PASSWORD,
    ES_URL,
    OUT,
    REPO,
    commands_run,
    environment,
    log,
    run,
    write_report,
)
from search_service.elastic import client_options
from search_service.indexing.definition import IndexDefinition
from search_service.indexing.loader import LoadPlan, load_index
from search_service.indexing.source import read_json_lines
from search_service.settings import ServiceSettings

# The catalogue the tests use (tests/products.py): text and keyword, floats, dates, arrays, typos, duplicates.
from tests.products import PRODUCT_MAPPING, products

ALIAS = f"bench-indexing-{os.getpid()}"  # other checkouts may run this bench on the same node
STRAIGHT = "async_bulk, in process"
MODULE = "loading module (load_index), in process"
SCRIPT = "async_bulk script (python straight.py)"
COMMAND = "manage.py index"
STARTUP = "manage.py index, a one-line file"
VARIANTS = [STRAIGHT, MODULE, SCRIPT, COMMAND, STARTUP]
COMPARED = {MODULE: STRAIGHT, COMMAND: SCRIPT}  # variant: what it is measured against

# The straight load as a short script would do it; run as a process of its own, it pays only the client's imports.
STRAIGHT_SCRIPT = """
import asyncio, os, sys
import orjson
from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_bulk

async def main(path, chunk_size, index, mapping, url):
    auth = ("elastic", os.environ["ELASTIC_PASSWORD"])
    async with AsyncElasticsearch(url, basic_auth=auth, request_timeout=120) as client:
        await client.indices.create(index=index, mappings=orjson.loads(mapping), settings={"number_of_replicas": 0})
        with open(path, "rb") as lines:
            await async_bulk(client, (orjson.loads(line) for line in lines), index=index, chunk_size=chunk_size)
        await client.indices.refresh(index=index)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], open(sys.argv[4], "rb").read(), sys.argv[5]))
"""


def settings() -> ServiceSettings:
    return ServiceSettings(
        elasticsearch_hosts=ES_URL, elasticsearch_username="elastic", elasticsearch_password=ES_PASSWORD
    )


async def _straight(path: Path, chunk_size: int, index: str) -> None:
    async with AsyncElasticsearch(**client_options(settings())) as client:
        await client.indices.create(index=index, mappings=PRODUCT_MAPPING, settings={"number_of_replicas": 0})
        with path.open("rb") as lines:
            actions = (orjson.loads(line) for line in lines)
            await async_bulk(client.options(request_timeout=120), actions, index=index, chunk_size=chunk_size)
        await client.indices.refresh(index=index)


async def _module(path: Path, chunk_size: int) -> None:
    plan = LoadPlan(alias=ALIAS, definition=IndexDefinition(PRODUCT_MAPPING), chunk_size=chunk_size)
    async with AsyncElasticsearch(**client_options(settings())) as client:
        with path.open("rb") as lines:
            await load_index(client, read_json_lines(lines), plan, progress=lambda _: None)


def _script(script: Path, path: Path, mapping: Path, chunk_size: int) -> None:
    index = f"{ALIAS}-straight"
    env = os.environ | {"ELASTIC_PASSWORD": ES_PASSWORD}
    run([sys.executable, str(script), str(path), str(chunk_size), index, str(mapping), ES_URL], cwd=REPO, env=env)


def _command(path: Path, mapping: Path, chunk_size: int) -> None:
    env = os.environ | BASE_ENV | {"ELASTICSEARCH_HOSTS": ES_URL, "ELASTICSEARCH_INDEX": ALIAS}
    arguments = [str(path), "--mapping", str(mapping), "--chunk-size", str(chunk_size), "--grace", "0"]
    run([sys.executable, "manage.py", "index", *arguments], cwd=REPO, env=env)


def _delete(pattern: str) -> None:
    """Every index matching `pattern` (a wildcard: an exact name that is missing would be a 404)."""

    async def delete() -> None:
        async with AsyncElasticsearch(**client_options(settings())) as client:
            found = list((await client.indices.get_alias(index=pattern, expand_wildcards="open,closed")).body)
            if found:
                await client.indices.delete(index=",".join(found))

    asyncio.run(delete())


def indexing_scenario(*, documents: int, rounds: int, chunk_size: int) -> None:
    began = time.monotonic()
    first_command = len(commands_run)
    seconds: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path, mapping = Path(tmp) / "products.jsonl", Path(tmp) / "mapping.json"
        with path.open("wb") as out:
            for document in products(documents):
                out.write(orjson.dumps(document) + b"\n")
        mapping.write_bytes(orjson.dumps(PRODUCT_MAPPING))
        one = Path(tmp) / "one.jsonl"
        one.write_bytes(orjson.dumps(next(products(1))) + b"\n")
        script = Path(tmp) / "straight.py"
        script.write_text(STRAIGHT_SCRIPT)
        runs: dict[str, Callable[[], None]] = {
            STRAIGHT: lambda: asyncio.run(_straight(path, chunk_size, f"{ALIAS}-straight")),
            MODULE: lambda: asyncio.run(_module(path, chunk_size)),
            SCRIPT: lambda: _script(script, path, mapping, chunk_size),
            COMMAND: lambda: _command(path, mapping, chunk_size),
            STARTUP: lambda: _command(one, mapping, chunk_size),
        }
        try:
            for r in range(rounds):
                for variant in VARIANTS if r % 2 == 0 else VARIANTS[::-1]:
                    log(f"indexing: round {r + 1}/{rounds}, {variant}")
                    loads.append(os.getloadavg()[0])
                    start = time.perf_counter()
                    runs[variant]()
                    seconds[variant].append(time.perf_counter() - start)
                    _delete(f"{ALIAS}-straight*")
        finally:
            _delete(f"{ALIAS}*")
        commands = [command.replace(tmp, "$TMP") for command in commands_run[first_command:]]
    write_indexing_report(seconds, documents, rounds, chunk_size, loads, (time.monotonic() - began) / 60, commands)


def check(ok: bool) -> str:
    return "met" if ok else "**not met**"


def ratios(seconds: dict[str, list[float]], variant: str, against: str) -> list[float]:
    """Each round's throughput of `variant` relative to `against`'s in the same round."""
    return [theirs / ours for ours, theirs in zip(seconds[variant], seconds[against], strict=True)]


def write_indexing_report(
    seconds: dict[str, list[float]],
    documents: int,
    rounds: int,
    chunk_size: int,
    loads: list[float],
    minutes: float,
    commands: list[str],
) -> None:
    startup = median(seconds[STARTUP])
    lines = [
        "# What the loader costs over `async_bulk`",
        "",
        f"Written by `make bench` (`benchmarks/indexing.py`) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f" in {minutes:.1f} minutes: `{shlex.join(['python', *sys.argv])}`.",
        "",
        "| machine | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in environment([]).items()),
        "",
        f"{documents:,} products (`tests/products.py`, one JSON line each) loaded into a fresh index with the "
        f"products' mapping, {chunk_size:,} documents per bulk request, until searchable (refreshed); {rounds} "
        "rounds, the order of the variants reversed every other round. *async_bulk*: the file read with orjson "
        "line by line into `elasticsearch.helpers.async_bulk`, then a refresh, in this process or as a script of "
        "its own. *loading module*: `search_service.indexing.loader.load_index` in this process: line numbers for "
        "failures, refresh off while loading, the alias swap, the previous version deleted. *manage.py index*: "
        "the command as an operator runs it, Django's start-up included; *a one-line file* measures that "
        "start-up and a load's fixed work (create, swap, delete the previous version). *documents/s*, "
        "*seconds*: medians of the rounds; *ratio*: the median of each round's "
        "throughput ratio to the variant named (lowest and highest round in brackets). 1-minute load average "
        f"before each run: median {median(loads):.1f}, highest {max(loads):.1f}, on {os.cpu_count()} cores, "
        "which Elasticsearch shares.",
        "",
        "| variant | documents/s | seconds | ratio |",
        "| --- | ---: | ---: | --- |",
    ]
    for variant in VARIANTS:
        rate = "" if variant == STARTUP else f"{documents / median(seconds[variant]):,.0f}"
        ratio = ""
        if variant in COMPARED:
            each = ratios(seconds, variant, COMPARED[variant])
            ratio = f"{median(each):.0%} of {COMPARED[variant]} ({min(each):.0%}–{max(each):.0%})"
        lines.append(f"| {variant} | {rate} | {median(seconds[variant]):.2f} | {ratio} |")
    module = median(ratios(seconds, MODULE, STRAIGHT))
    command = median(ratios(seconds, COMMAND, SCRIPT))
    without_startup = median(seconds[STRAIGHT]) / (median(seconds[COMMAND]) - startup)
    lines += [
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        f"| the loading module ≥ 85% of async_bulk's documents/s | {module:.0%} | {check(module >= 0.85)} |",
        f"| manage.py index ≥ 85% of an async_bulk script's documents/s | {command:.0%} | {check(command >= 0.85)} |",
        "",
        f"The command's start-up (Python, Django and the settings' imports) and a load's fixed work take "
        f"{startup:.1f} s here (the one-line file), whatever the file's size: without them the command loads at "
        f"{without_startup:.0%} of async_bulk in process, and it weighs "
        "less the larger the file.",
        "",
    ]
    write_report("indexing.md", lines, commands)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("indexing scenario")
    group.add_argument("--indexing-documents", type=int, default=100_000)
    group.add_argument("--indexing-rounds", type=int, default=5)
    group.add_argument("--indexing-chunk-size", type=int, default=LoadPlan.chunk_size)


def run_from_arguments(args: argparse.Namespace) -> None:
    indexing_scenario(
        documents=args.indexing_documents, rounds=args.indexing_rounds, chunk_size=args.indexing_chunk_size
    )
    print((OUT / "indexing.md").read_text())
