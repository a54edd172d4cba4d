"""The InstantSearch scenario's report, docs/benchmarks/instantsearch.md: the page and the check run, the wrk
figures per way, the `queries` call against three `/search` calls side by side, and one page at a time."""

import os
import shlex
import sys
import time
from collections.abc import Callable
from statistics import median

from benchmarks.harness import environment, write_report
from benchmarks.instantsearch.load import OneAtATime, PageRun, percentile, pooled
from benchmarks.instantsearch.pages import (
    AT_ONCE,
    FORM,
    HITS_PER_PAGE,
    IN_TURN,
    ONE_SEARCH,
    QUERIES,
    QUERIES_PATH,
    QUERIES_URL,
    SNIPPET,
    WRK_WAYS,
    Checked,
)


def _ratio(runs: list[PageRun], base: list[PageRun], value: Callable[[PageRun], float]) -> str:
    """The median of the rounds' ratios, with the lowest and highest round."""
    ratios = [value(a) / value(b) for a, b in zip(runs, base, strict=True) if value(b)]
    return f"{median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})" if ratios else "–"


def admission(settings: dict[str, str]) -> str:
    """Whether fair admission was on, said outright: the report of a run without it must not pass for one with it."""
    if "SEARCH_ADMISSION" in settings:
        return ""
    return ", fair admission on (`SEARCH_ADMISSION` at its default, `true`)"


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
        f"Written by `make bench` (`benchmarks/instantsearch/`) on "
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
        + admission(settings)
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
