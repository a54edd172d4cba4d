"""The page of the InstantSearch scenario, and its requests: InstantSearch's `queries` call of three requests
(serialised as algoliasearch v4 sends them) and the same three searches as `/search` calls; the pages drawn from the
demo query mix; and the check run, which fetches every page both ways and compares the answers."""

import json
import sys
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from benchmarks.harness import INDEX
from benchmarks.workload import query_mix, sidebar_filters

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
REQUESTS_PER_PAGE = {QUERIES: 1, IN_TURN: 3, AT_ONCE: 3, ONE_SEARCH: 1}


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
