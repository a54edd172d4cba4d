"""The InstantSearch scenario (`make bench BENCH_ARGS="--only instantsearch"`): what a search page costs when
InstantSearch.js asks for it through the Algolia protocol, against the same searches as `/search` calls.

A page with two refined disjunctive facets (refinementLists on `module` and `kind`, one value ticked in each) is
what InstantSearch's helper sends as three requests: the hits with both facets, and one facet-only request per
refined facet, without that facet's own refinement. The page is fetched

- as InstantSearch does it: one `POST /1/indexes/*/queries` holding the three requests, serialised as algoliasearch
  v4 serialises them (a URL-encoded `params` string per request, sent as `application/x-www-form-urlencoded`);
- as a hand-written front end would do it with `/search`: the same three searches (`mode=simple`, the same
  filters, facets and size) as three `GET /search` calls, one after the other on one connection, or all three at
  once on three;
- and, for reference, as one `GET /search`: its facets already count each field without that field's own filter
  (disjunctively), so the service's own API needs one call for the same page.

One service (`scripts/serve`, one worker, rate limits off as in the other scenarios) on the demo index. wrk drives
each way in turn with one connection per wrk thread, so that its Lua script (written per run) can send a page's
requests in order and time the whole page; rounds alternate their order (ABBA) against drift on a shared machine.
Per page: the service worker's CPU and the Elasticsearch node's (from /proc), Elasticsearch's search requests (the
node's HTTP route statistics), latency percentiles and pages/s. Then one page at a time from an asyncio client, the
three `/search` calls in turn or at once. Writes docs/benchmarks/instantsearch.md.
"""

import argparse
import asyncio
import json
import os
import re
import shlex
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from benchmarks.features import elasticsearch_pid
from benchmarks.harness import (
    ES_PASSWORD,
    ES_URL,
    INDEX,
    OUT,
    SERVICE_ENV,
    Server,
    commands_run,
    cpu_seconds,
    environment,
    log,
    run,
    started,
    write_report,
)
from benchmarks.workload import query_mix, sidebar_filters

PORT = 8180
QUERIES_PATH = "/1/indexes/*/queries"
# What InstantSearch.js adds to every call (algoliasearch v4 in a browser): the agent and application id as query
# parameters, a JSON body sent as a form (a "simple" request: no CORS preflight). The versions tests/frontend pins.
AGENT = "Algolia for JavaScript (4.27.0); Browser (lite); instantsearch.js (4.118.1)"
QUERIES_URL = QUERIES_PATH + "?" + urlencode({"x-algolia-agent": AGENT, "x-algolia-application-id": "bench"})
FORM = "application/x-www-form-urlencoded"
HITS_PER_PAGE = 20
VALUES_PER_FACET = 10  # refinementList's default limit
SNIPPET = "docstring:20"
PRE_TAG, POST_TAG = "__ais-highlight__", "__/ais-highlight__"
FACETS = ("kind", "module")  # the refined disjunctive facets, sorted as the helper sorts them
ENCODE_URI_COMPONENT_SAFE = "!'()*"  # with letters, digits and -_.~, what encodeURIComponent leaves as it is

QUERIES = "queries ×1 (3 requests)"
IN_TURN = "/search ×3 in turn"
AT_ONCE = "/search ×3 at once"
ONE_SEARCH = "/search ×1"
WRK_WAYS = (QUERIES, IN_TURN, ONE_SEARCH)  # AT_ONCE needs three connections per client: the asyncio client only


def algolia_params(params: dict[str, Any]) -> str:
    """`params` as algoliasearch v4 writes them: keys in the helper's (sorted) order, arrays and objects as JSON,
    each value through encodeURIComponent."""
    parts = []
    for key in sorted(params):
        value = params[key]
        if isinstance(value, list | dict):
            text = json.dumps(value, separators=(",", ":"))
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        parts.append(f"{key}={quote(text, safe=ENCODE_URI_COMPONENT_SAFE)}")
    return "&".join(parts)


@dataclass(frozen=True)
class Page:
    """A search page: the words typed, and the module and kind ticked in the two refinementLists."""

    text: str
    module: str
    kind: str

    def refinement(self, facet: str) -> str:
        return f"{facet}:{self.module if facet == 'module' else self.kind}"

    def algolia_requests(self) -> list[dict[str, str]]:
        """The helper's three requests (requestBuilder._getQueries): the hits with every refinement, then per
        refined disjunctive facet its counts with the other refinements only."""
        state = {
            "query": self.text,
            "hitsPerPage": HITS_PER_PAGE,
            "page": 0,
            "maxValuesPerFacet": VALUES_PER_FACET,
            "highlightPreTag": PRE_TAG,
            "highlightPostTag": POST_TAG,
            "attributesToSnippet": [SNIPPET],
        }
        main = state | {"facets": list(FACETS), "facetFilters": [[self.refinement(f)] for f in FACETS]}
        requests = [main]
        for facet in FACETS:
            requests.append(
                state
                | {
                    "hitsPerPage": 0,
                    "page": 0,
                    "analytics": False,
                    "clickAnalytics": False,
                    "facets": facet,  # a string here, as the helper sends it
                    "facetFilters": [[self.refinement(other)] for other in FACETS if other != facet],
                }
            )
        return [{"indexName": INDEX, "params": algolia_params(r)} for r in requests]

    def queries_body(self) -> str:
        return json.dumps({"requests": self.algolia_requests()}, separators=(",", ":"))

    def search_paths(self) -> list[str]:
        """The same three searches as `/search` calls."""
        common = [("q", self.text), ("mode", "simple"), ("facet_size", str(VALUES_PER_FACET))]
        main = [*common, *(("filter", self.refinement(f)) for f in FACETS), ("facets", ",".join(FACETS))]
        paths = ["/search?" + urlencode([*main, ("size", str(HITS_PER_PAGE))])]
        for facet in FACETS:
            others = [("filter", self.refinement(o)) for o in FACETS if o != facet]
            paths.append("/search?" + urlencode([*common, *others, ("facets", facet), ("size", "0")]))
        return paths

    def one_search_path(self) -> str:
        return self.search_paths()[0]


def candidate_pages() -> list[Page]:
    """The demo query mix (`a AND b` as `a b`: every word in the simple syntax), each with the module and kind a
    user would tick after searching it."""
    pages = []
    for query in query_mix():
        module, kind = sidebar_filters(query)
        pages.append(Page(query.replace(" AND ", " "), module, kind))
    return pages


# ---- the check run -----------------------------------------------------------------------------------------


@dataclass
class Checked:
    pages: list[Page]  # the distinct pages whose main search found something, in mix order (repeats kept)
    distinct: int
    dropped: int  # distinct pages whose main search found nothing
    mismatches: list[str] = field(default_factory=list)  # where the two APIs answered the same searches differently


def _counts(values: list[dict[str, Any]]) -> dict[str, int]:
    return {str(v["value"]).lower() if isinstance(v["value"], bool) else str(v["value"]): v["count"] for v in values}


def compare(page: Page, results: list[dict[str, Any]], searches: list[dict[str, Any]]) -> list[str]:
    """What differs between the `queries` answer and the `/search` answers for the same three searches."""
    problems = []
    main, main_search = results[0], searches[0]
    if main.get("nbHits") != main_search["total"]["value"]:
        problems.append(f"nbHits {main.get('nbHits')} vs /search total {main_search['total']['value']}")
    if len(main.get("hits", [])) != len(main_search["hits"]):
        problems.append(f"{len(main.get('hits', []))} hits vs {len(main_search['hits'])} from /search")
    ids = [h.get("objectID") for h in main.get("hits", [])]
    if ids != [h["id"] for h in main_search["hits"]]:
        problems.append("hits in another order than /search's")
    for facet in FACETS:
        # The main request counts with every refinement applied (Algolia's facets are conjunctive; InstantSearch
        # takes a disjunctive facet's counts from its own request): one value, on every hit.
        ticked = {page.refinement(facet).split(":", 1)[1]: main.get("nbHits")}
        if main.get("facets", {}).get(facet) != ticked:
            problems.append(f"main request's {facet} counts {main.get('facets', {}).get(facet)}, not {ticked}")
    for result, search, facet in zip(results[1:], searches[1:], FACETS, strict=True):
        if result.get("hits") != [] or result.get("nbHits") != search["total"]["value"]:
            problems.append(f"facet request {facet}: hits {result.get('hits')!r:.40}, nbHits {result.get('nbHits')}")
        counts = result.get("facets", {}).get(facet)
        if counts != _counts(search["facets"].get(facet, [])):
            problems.append(f"facet request {facet}: {counts} vs /search {_counts(search['facets'].get(facet, []))}")
        # `/search` counts each facet without its own filter: its main answer has the same counts.
        if counts != _counts(main_search["facets"].get(facet, [])):
            problems.append(
                f"facet request {facet}: {counts} vs the main /search's {_counts(main_search['facets'].get(facet, []))}"
            )
    highlighted = [h for h in main.get("hits", []) if PRE_TAG in json.dumps(h.get("_highlightResult", {}))]
    if any(h["highlight"] for h in main_search["hits"]) and not highlighted:
        problems.append(f"no hit has {PRE_TAG} in its _highlightResult, where /search highlights some")
    if main.get("hits") and not any("docstring" in h.get("_snippetResult", {}) for h in main["hits"]):
        problems.append("no hit has a docstring _snippetResult")
    return [f"q={page.text!r} module={page.module} kind={page.kind}: {p}" for p in problems]


def check_pages(client: httpx.Client, pages: list[Page]) -> Checked:
    """Every distinct page once both ways: each answer must be a 200, and the two APIs must agree on the same
    searches (wrk counts only statuses). Also warms the service and Elasticsearch's caches."""
    found: set[Page] = set()
    mismatches: list[str] = []
    distinct = list(dict.fromkeys(pages))
    for page in distinct:
        answer = client.post(QUERIES_URL, content=page.queries_body(), headers={"Content-Type": FORM})
        if answer.status_code != 200:
            sys.exit(f"bench: POST {QUERIES_URL} {page.queries_body()} answered {answer.status_code}: {answer.text}")
        results = answer.json()["results"]
        searches = []
        for path in page.search_paths():
            search = client.get(path)
            if search.status_code != 200:
                sys.exit(f"bench: {path} answered {search.status_code}: {search.text[:300]}")
            searches.append(search.json())
        if len(results) != 3:
            sys.exit(f"bench: {len(results)} results for 3 requests: {answer.text[:500]}")
        if searches[0]["hits"]:
            found.add(page)
            mismatches += compare(page, results, searches)
    kept = [page for page in pages if page in found]
    return Checked(kept, len(distinct), len(distinct) - len(found), mismatches)


# ---- wrk, a page at a time per connection --------------------------------------------------------------


LUA = """\
-- Written by benchmarks/instantsearch.py. One connection per wrk thread (-t = -c): each thread sends a page's
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


REQUESTS_PER_PAGE = {QUERIES: 1, IN_TURN: 3, AT_ONCE: 3, ONE_SEARCH: 1}


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


# ---- the scenario ---------------------------------------------------------------------------------------------


def still_serving(client: httpx.Client, after: str, result: PageRun) -> None:
    """Stop the scenario, saying why, when the service has stopped serving searches: an idle one answers a plain
    search in milliseconds, and each page of the rest of the run would otherwise wait out a timeout."""
    try:
        probe = client.get("/search?q=json", timeout=5)
        answer = f"{probe.status_code}: {probe.text[:300]}"
        serving = probe.status_code == 200 and bool(result.latencies_ms)
    except httpx.TimeoutException:
        answer, serving = "nothing within 5 s", False
    if not serving:
        sys.exit(
            f"bench: after {after}, {len(result.latencies_ms)} pages and {result.failed} failed requests; "
            f"GET /search?q=json then answered {answer}"
        )


def instantsearch_scenario(
    *, connections: list[int], seconds: int, rounds: int, sequential: int, settings: dict[str, str]
) -> None:
    began = time.monotonic()
    first_command = len(commands_run)
    env = {"ELASTICSEARCH_HOSTS": ES_URL, "ELASTICSEARCH_CONNECTIONS_PER_NODE": "128"} | SERVICE_ENV | settings
    server = Server("service", ["scripts/serve"], PORT, env)
    runs: dict[tuple[str, int], list[PageRun]] = {}
    single = OneAtATime()
    loads: list[float] = []
    es_pid = elasticsearch_pid()
    url = f"http://127.0.0.1:{PORT}"
    with tempfile.TemporaryDirectory() as tmp, started(server) as pid, httpx.Client(base_url=url, timeout=30) as client:
        log("instantsearch: every distinct page once, both ways, comparing the answers")
        checked = check_pages(client, candidate_pages())
        pages = checked.pages
        scripts = scripts_for(Path(tmp), pages)
        for way in WRK_WAYS:
            log(f"instantsearch: warm-up, {way}")
            warm = wrk_pages(url, scripts[way], max(connections), 5, REQUESTS_PER_PAGE[way], pid, es_pid)
            still_serving(client, f"the warm-up of {way}", warm)
        for r in range(rounds):
            asyncio.run(one_at_a_time(url, pages, r * sequential // rounds, sequential // rounds, single))
            for c in connections:
                for way in WRK_WAYS if r % 2 == 0 else WRK_WAYS[::-1]:
                    log(f"instantsearch: round {r + 1}/{rounds}, {way}, {c} connections, {seconds}s")
                    loads.append(os.getloadavg()[0])
                    result = wrk_pages(url, scripts[way], c, seconds, REQUESTS_PER_PAGE[way], pid, es_pid)
                    still_serving(client, f"{way} at {c} connections", result)
                    runs.setdefault((way, c), []).append(result)
        commands = [command.replace(tmp, "$PAGES") for command in commands_run[first_command:]]
    minutes = (time.monotonic() - began) / 60
    write_instantsearch_report(checked, runs, single, loads, connections, seconds, rounds, minutes, commands, settings)


def _ratio(runs: list[PageRun], base: list[PageRun], value: Callable[[PageRun], float]) -> str:
    """The median of the rounds' ratios, with the lowest and highest round."""
    ratios = [value(a) / value(b) for a, b in zip(runs, base, strict=True) if value(b)]
    return f"{median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})" if ratios else "–"


def write_instantsearch_report(
    checked: Checked,
    runs: dict[tuple[str, int], list[PageRun]],
    single: OneAtATime,
    loads: list[float],
    connections: list[int],
    seconds: int,
    rounds: int,
    minutes: float,
    commands: list[str],
    settings: dict[str, str],
) -> None:
    example = checked.pages[4]
    lines = [
        "# What an InstantSearch page costs",
        "",
        f"Written by `make bench` (`benchmarks/instantsearch.py`) on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {minutes:.1f} minutes: "
        f"`{shlex.join(['python', *sys.argv])}`. Elasticsearch, the service and the load generators share the "
        "machine's cores (other work too): read the ratios, measured side by side in one run.",
        "",
        "| machine | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in environment(["wrk"]).items()),
        "",
        "## The page",
        "",
        "A search page with two refinementLists (`module`, `kind`, both disjunctive, one value ticked in each) "
        f"showing {HITS_PER_PAGE} hits with highlights and a `{SNIPPET}` snippet. InstantSearch's helper asks for "
        "it as three requests: the hits with both refinements and both facets, then per refined facet its counts "
        "without its own refinement (`hitsPerPage=0`, `analytics=false`). Fetched four ways:",
        "",
        f"- **{QUERIES}**: one `POST {QUERIES_PATH}` holding the three requests as InstantSearch.js sends them "
        f"(algoliasearch v4: `params` URL-encoded, the body JSON sent as `{FORM}`, the agent as a query parameter);",
        f"- **{IN_TURN}**: the same three searches as `GET /search` calls (`mode=simple`, the same filters, facets, "
        "size and facet size), each sent when the previous one has answered, on one connection, as a hand-written "
        "front end that copies InstantSearch's requests would;",
        f"- **{AT_ONCE}**: the same three calls all at once on three connections (one page at a time only below);",
        f"- **{ONE_SEARCH}**: the first of them alone: `/search` facets already count each field without its own "
        "filter, so the service's own API serves the same page in one call (a reference, not the comparison asked).",
        "",
        f"The pages: the demo query mix (200 queries, `a AND b` written `a b`), each with the module and kind a user "
        f"would tick (the commonest pair among what it finds); {checked.distinct} distinct pages, of which "
        f"{checked.dropped} found nothing with both ticked and were left out, leaving {len(checked.pages)} of the "
        f"mix's 200. Example, `{example.text}` with `module:{example.module}` and `kind:{example.kind}`:",
        "",
        "```",
        f"POST {QUERIES_URL}",
        example.queries_body(),
        "",
        *(f"GET {path}" for path in example.search_paths()),
        "```",
        "",
        "Every distinct page was first fetched both ways and the answers compared (`nbHits` with `total`, hit ids "
        "and order, facet counts, highlight tags, snippets): "
        + (
            "they agreed on every page."
            if not checked.mismatches
            else f"**{len(checked.mismatches)} differences** (one line each), the first ones:"
        ),
        "",
        *(f"- {m}" for m in checked.mismatches[:10]),
        *([""] if checked.mismatches else []),
        "## Under load (wrk)",
        "",
        "The service runs as its image does (`scripts/serve`, one worker) with its per-client rate limits off (all "
        "load comes from 127.0.0.1)"
        + (", and " + ", ".join(f"`{k}={v}`" for k, v in settings.items()) if settings else "")
        + ", against the demo index. wrk runs one connection per thread, each a client "
        "fetching one page after another (a page's requests in order, the next one sent when the previous one has "
        f"answered) for {seconds} s per run; {rounds} rounds, the order of the ways reversed every other round. "
        "Latency is the whole page's, timed in wrk's Lua script, its percentiles over every page of every round; "
        "*pages/s* counts completed pages; the other figures are medians of the rounds. *ES requests*: the node's "
        "`_search` + `_msearch` HTTP requests per page (its route statistics: anything else sent to that node "
        "meanwhile counts too). *errors*: non-200 answers and socket errors, summed over the rounds. The 1-minute "
        "load average before each run: median "
        f"{median(loads):.1f}, highest {max(loads):.1f}, on {os.cpu_count()} cores.",
        "",
        "| way | connections | pages/s | p50 ms | p90 ms | p99 ms | service CPU ms/page | Elasticsearch CPU ms/page "
        "| ES requests/page | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in connections:
        for way in WRK_WAYS:
            rs = runs[(way, c)]
            lines.append(
                f"| {way} | {c} | {median([r.pages_per_second for r in rs]):,.0f} | "
                f"{pooled(rs, 0.5):.1f} | {pooled(rs, 0.9):.1f} | {pooled(rs, 0.99):.1f} | "
                f"{median([r.service_cpu_ms for r in rs]):.2f} | "
                f"{median([r.es_cpu_ms for r in rs]):.2f} | {median([r.es_searches for r in rs]):.2f} | "
                f"{sum(r.failed for r in rs)} |"
            )
    lines += [
        "",
        f"## {QUERIES} ÷ {IN_TURN}, side by side",
        "",
        "Each figure is the median of the rounds' ratios (each round's two runs back to back), in brackets the "
        "lowest and highest round; for p90 and p99, the ratio of the percentiles over all rounds. Below 1: the "
        "`queries` call costs less, waits less or serves fewer pages per second. The last column compares "
        f"{ONE_SEARCH} with {IN_TURN} the same way.",
        "",
        "| connections | service CPU/page | Elasticsearch CPU/page | p50 | p90 | p99 | pages/s | "
        f"{ONE_SEARCH}: service CPU/page |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in connections:
        a, b, one = runs[(QUERIES, c)], runs[(IN_TURN, c)], runs[(ONE_SEARCH, c)]
        lines.append(
            f"| {c} | {_ratio(a, b, lambda r: r.service_cpu_ms)} | {_ratio(a, b, lambda r: r.es_cpu_ms)} | "
            f"{_ratio(a, b, lambda r: r.percentile(0.5))} | {pooled(a, 0.9) / pooled(b, 0.9):.2f} | "
            f"{pooled(a, 0.99) / pooled(b, 0.99):.2f} | {_ratio(a, b, lambda r: r.pages_per_second)} | "
            f"{_ratio(one, b, lambda r: r.service_cpu_ms)} |"
        )
    base = median(single.latencies_ms[QUERIES])
    lines += [
        "",
        "## One page at a time",
        "",
        f"An asyncio client (httpx, keep-alive, up to three connections) fetching {len(single.latencies_ms[QUERIES])}"
        f" pages one at a time, each page every way in turn (the order rotating page by page), in {rounds} parts, "
        "one before each round's wrk runs: what one browser tab waits for a page with nothing queued before it, "
        f"client overhead included (Python's, per request: it weighs three times on the `/search` ways). Failed "
        f"requests: {single.failed}.",
        "",
        f"| way | pages | p50 ms | p90 ms | p99 ms | p50 ÷ {QUERIES} |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for way in (QUERIES, IN_TURN, AT_ONCE, ONE_SEARCH):
        times = single.latencies_ms[way]
        lines.append(
            f"| {way} | {len(times)} | {median(times):.1f} | {percentile(times, 0.9):.1f} | "
            f"{percentile(times, 0.99):.1f} | {median(times) / base:.2f} |"
        )
    lines += [
        "",
        "`$PAGES/<way>.lua` in the commands below: a wrk script, written by the scenario, fetching the pages in "
        "turn (one connection per thread, the page timed whole).",
        "",
    ]
    write_report("instantsearch.md", lines, commands)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("InstantSearch scenario")
    group.add_argument("--instantsearch-seconds", type=int, default=5, help="duration of each wrk run")
    group.add_argument("--instantsearch-rounds", type=int, default=6)
    group.add_argument(
        "--instantsearch-connections",
        type=int,
        nargs="+",
        default=[1, 16],
        help="wrk connections (one per thread), each a client fetching one page after another",
    )
    group.add_argument(
        "--instantsearch-sequential", type=int, default=240, help="pages fetched one at a time, spread over rounds"
    )
    group.add_argument(
        "--instantsearch-setting",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="service settings beyond the defaults (e.g. SEARCH_ADMISSION=false), named in the report",
    )


def run_from_arguments(args: argparse.Namespace) -> None:
    instantsearch_scenario(
        connections=args.instantsearch_connections,
        seconds=args.instantsearch_seconds,
        rounds=args.instantsearch_rounds,
        sequential=args.instantsearch_sequential,
        settings=dict(setting.split("=", 1) for setting in args.instantsearch_setting),
    )
    print((OUT / "instantsearch.md").read_text())
