"""The InstantSearch scenario's load: wrk fetching pages a connection each (a Lua script written per run times the
whole page), with the service's and Elasticsearch's CPU from /proc and Elasticsearch's search requests from its
route statistics; and an asyncio client fetching one page at a time, every way in turn."""

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.harness import ES_PASSWORD, ES_URL, cpu_seconds, run
from benchmarks.instantsearch.pages import AT_ONCE, FORM, IN_TURN, ONE_SEARCH, QUERIES, QUERIES_URL, Page

# ---- wrk, a page at a time per connection --------------------------------------------------------------


LUA = """\
-- Written by benchmarks/instantsearch/load.py. One connection per wrk thread (-t = -c): each thread sends a page's
-- requests in order, the next one when the previous one has answered, and times the whole page.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]]
local clock = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1e3 + tonumber(clock.tv_nsec) / 1e6
end

local pages = {
%(pages)s
}

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end

function init(args)
  page = (number * 37) %% #pages + 1  -- threads start at different pages
  step = 1
  started_at = 0
  latencies = {}
  responses = 0
  failed = 0
end

function request()
  if step == 1 then started_at = now_ms() end
  local r = pages[page][step]
  return wrk.format(r.method, r.path, r.headers, r.body)
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then failed = failed + 1 end
  if step == #pages[page] then
    latencies[#latencies + 1] = now_ms() - started_at
    step = 1
    page = page %% #pages + 1
  else
    step = step + 1
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local times = thread:get("latencies")
    local line = {"PAGES", thread:get("responses"), thread:get("failed")}
    for i = 1, #times do line[#line + 1] = string.format("%%.3f", times[i]) end
    io.write(table.concat(line, " "), "\\n")
  end
end
"""


def _lua_string(text: str) -> str:
    if not text.isascii():
        raise ValueError(f"not ASCII: {text!r}")
    return json.dumps(text)  # ASCII JSON string escapes (\\" \\\\ \\n) are Lua's too


def page_script(directory: Path, name: str, pages: list[list[tuple[str, str, str]]]) -> Path:
    """A wrk script sending `pages` in turn, each a list of (method, path, body)."""
    entries = []
    for requests in pages:
        items = []
        for method, target, body in requests:
            headers = '{["Content-Type"] = "' + FORM + '"}' if body else "{}"
            body_text = _lua_string(body) if body else "nil"
            items.append(
                f"{{method = {_lua_string(method)}, path = {_lua_string(target)}, headers = {headers}, "
                f"body = {body_text}}}"
            )
        entries.append("  {" + ", ".join(items) + "},")
    path = directory / f"{name}.lua"
    path.write_text(LUA % {"pages": "\n".join(entries)})
    return path


def scripts_for(directory: Path, pages: list[Page]) -> dict[str, Path]:
    return {
        QUERIES: page_script(directory, "queries", [[("POST", QUERIES_URL, p.queries_body())] for p in pages]),
        IN_TURN: page_script(directory, "search-3", [[("GET", path, "") for path in p.search_paths()] for p in pages]),
        ONE_SEARCH: page_script(directory, "search-1", [[("GET", p.one_search_path(), "")] for p in pages]),
    }


@dataclass
class PageRun:
    seconds: int
    latencies_ms: list[float]  # each completed page's
    responses: int
    failed: int  # answers other than 200, and wrk's socket errors
    service_cpu_ms: float  # per page: the worker's CPU over the run / pages served
    es_cpu_ms: float  # per page, the whole Elasticsearch process
    es_searches: float  # per page: Elasticsearch `_search` + `_msearch` HTTP requests

    @property
    def pages_per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def pooled(runs: list[PageRun], p: float) -> float:
    """The latency percentile over every page of `runs`: a p99 from a few hundred pages per run is their slowest."""
    return percentile([t for r in runs for t in r.latencies_ms], p)


def es_search_requests() -> int:
    """The node's `_search` and `_msearch` HTTP requests so far, whoever sent them (its route statistics)."""
    answer = httpx.get(
        f"{ES_URL}/_nodes/_local/stats/http?filter_path=nodes.*.http.routes", auth=("elastic", ES_PASSWORD), timeout=30
    ).json()
    routes = next(iter(answer["nodes"].values()))["http"]["routes"]
    return sum(int(r["requests"]["count"]) for name, r in routes.items() if name.endswith(("/_search", "/_msearch")))


def wrk_pages(url: str, script: Path, connections: int, seconds: int, per_page: int, pid: int, es_pid: int) -> PageRun:
    searches, cpu, es_cpu = es_search_requests(), cpu_seconds(pid), cpu_seconds(es_pid)
    out = run(["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url])
    cpu, es_cpu = cpu_seconds(pid) - cpu, cpu_seconds(es_pid) - es_cpu
    searches = es_search_requests() - searches
    latencies: list[float] = []
    responses = failed = 0
    for line in out.splitlines():
        if line.startswith("PAGES "):
            fields = line.split()
            responses += int(fields[1])
            failed += int(fields[2])
            latencies += [float(v) for v in fields[3:]]
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed += sum(int(n) for n in socket.groups()) if socket else 0
    pages = max(responses / per_page, 1e-9)  # CPU went to every answered request, pages completed or not
    return PageRun(seconds, latencies, responses, failed, cpu / pages * 1e3, es_cpu / pages * 1e3, searches / pages)


# ---- one page at a time -------------------------------------------------------------------------------------


@dataclass
class OneAtATime:
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    failed: int = 0


async def one_at_a_time(url: str, pages: list[Page], first: int, count: int, into: OneAtATime) -> None:
    """Pages `first` to `first + count`, each fetched every way in turn (the order rotating page by page), one
    request or page at a time, as one browser tab would."""
    limits = httpx.Limits(max_connections=3, max_keepalive_connections=3)
    async with httpx.AsyncClient(base_url=url, timeout=15, limits=limits) as client:

        async def queries(page: Page) -> list[int]:
            answer = await client.post(QUERIES_URL, content=page.queries_body(), headers={"Content-Type": FORM})
            return [answer.status_code]

        async def in_turn(page: Page) -> list[int]:
            return [(await client.get(path)).status_code for path in page.search_paths()]

        async def at_once(page: Page) -> list[int]:
            answers = await asyncio.gather(*(client.get(path) for path in page.search_paths()))
            return [a.status_code for a in answers]

        async def one_search(page: Page) -> list[int]:
            return [(await client.get(page.one_search_path())).status_code]

        ways: list[tuple[str, Callable[[Page], Awaitable[list[int]]]]] = [
            (QUERIES, queries),
            (IN_TURN, in_turn),
            (AT_ONCE, at_once),
            (ONE_SEARCH, one_search),
        ]
        await asyncio.sleep(1)  # after a wrk run
        for _name, send in ways:  # untimed: opens the three connections
            await send(pages[first % len(pages)])
        for i in range(first, first + count):
            page = pages[i % len(pages)]
            shift = i % len(ways)
            for name, send in ways[shift:] + ways[:shift]:
                began = time.perf_counter()
                try:
                    statuses = await send(page)
                except httpx.TimeoutException:
                    statuses = [0]
                into.latencies_ms.setdefault(name, []).append((time.perf_counter() - began) * 1e3)
                into.failed += sum(status != 200 for status in statuses)
