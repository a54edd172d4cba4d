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

pages.py builds the page's requests and checks the two APIs' answers, load.py drives wrk and the asyncio client
and reads /proc, report.py writes the markdown, scenario.py runs it all.
"""

from benchmarks.instantsearch.scenario import add_arguments, run_from_arguments

__all__ = ["add_arguments", "run_from_arguments"]
