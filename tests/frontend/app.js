/* The InstantSearch.js page of the browser tests (tests/browser/test_instantsearch.py): every widget the service
   supports, each in a container of its own, searching the service through an unmodified algoliasearch client. */
/* global instantsearch */
(function () {
  "use strict";

  var params = new URLSearchParams(window.location.search);
  var service = new URL(params.get("service"));
  var indexName = params.get("index");
  var apiKey = params.get("key") || "no-key";
  var clientVersion = params.get("client") || "v5";
  var CLIENTS = {
    v5: "node_modules/algoliasearch/dist/lite/builds/browser.umd.js",
    v4: "node_modules/algoliasearch-v4/dist/algoliasearch-lite.umd.js",
  };
  var protocol = service.protocol.replace(":", "");

  // The clients give up on a host after 1-2 s by default (then "Unreachable hosts"); the tests share a machine
  // and an Elasticsearch node with others, so the page waits as long as the tests do (10 s).
  function searchClient() {
    if (clientVersion === "v4") {
      // algoliasearch/lite 4: hosts as "host:port"; accept 3 is CallEnum.Any (read and write); seconds.
      return window.algoliasearch("service", apiKey, {
        hosts: [{ url: service.host, protocol: protocol, accept: 3 }],
        timeouts: { connect: 10, read: 10, write: 10 },
      });
    }
    return window["algoliasearch/lite"].liteClient("service", apiKey, {
      hosts: [{ url: service.hostname, port: Number(service.port), protocol: protocol, accept: "readWrite" }],
      timeouts: { connect: 10000, read: 10000, write: 10000 },
    });
  }

  function start() {
    var search = instantsearch({ indexName: indexName, searchClient: searchClient() });
    var widgets = instantsearch.widgets;
    search.addWidgets([
      widgets.configure({ attributesToSnippet: ["description:4"], snippetEllipsisText: "…" }),
      widgets.searchBox({ container: "#searchbox", placeholder: "Search products" }),
      widgets.stats({
        container: "#stats",
        templates: {
          text: function (data, options) {
            return options.html`<span class="nb-hits">${data.nbHits}</span> results, page
              <span class="page">${data.page + 1}</span> of <span class="nb-pages">${data.nbPages}</span>`;
          },
        },
      }),
      widgets.currentRefinements({ container: "#current-refinements" }),
      widgets.clearRefinements({ container: "#clear-refinements" }),
      widgets.sortBy({
        container: "#sort-by",
        items: [
          { label: "Relevance", value: indexName },
          { label: "Price, lowest first", value: "products_price_asc" },
          { label: "Price, highest first", value: "products_price_desc" },
        ],
      }),
      widgets.hitsPerPage({
        container: "#hits-per-page",
        items: [
          { label: "10 per page", value: 10, default: true },
          { label: "20 per page", value: 20 },
        ],
      }),
      widgets.refinementList({ container: "#brand-list", attribute: "brand", searchable: true }),
      widgets.menu({ container: "#category-menu", attribute: "category" }),
      widgets.rangeInput({ container: "#price-range", attribute: "price" }),
      widgets.numericMenu({
        container: "#rating-menu",
        attribute: "rating",
        items: [
          { label: "All" },
          { label: "4 and up", start: 4 },
          { label: "2 to 4", start: 2, end: 4 },
          { label: "Under 2", end: 2 },
        ],
      }),
      widgets.toggleRefinement({
        container: "#in-stock-toggle",
        attribute: "in_stock",
        on: true,
        templates: {
          labelText: function (data, options) {
            var count = data.onFacetValue.count;
            return options.html`In stock only <span class="count">${count === null ? "" : count}</span>`;
          },
        },
      }),
      widgets.hits({
        container: "#hits",
        templates: {
          item: function (hit, options) {
            var html = options.html;
            var components = options.components;
            return html`<article class="hit" data-id=${hit.objectID}>
              <h2 class="hit-title">${components.Highlight({ hit: hit, attribute: "title" })}</h2>
              <p class="hit-description">${components.Snippet({ hit: hit, attribute: "description" })}</p>
              <span class="hit-price">${hit.price}</span>
            </article>`;
          },
        },
      }),
      widgets.pagination({ container: "#pagination", showLast: true }),
    ]);
    // What a front end shows when the service refuses a search (a wrong key, a bad parameter): its message.
    search.on("error", function (error) {
      document.getElementById("error").textContent = error.message;
    });
    search.start();
  }

  var script = document.createElement("script");
  script.src = CLIENTS[clientVersion];
  script.onload = start;
  document.body.appendChild(script);
})();
