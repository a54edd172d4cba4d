// The search page: the search lives in the URL, GET /search answers it, answer.js draws the answer; a document
// opened from the results (`doc` in the URL) is GET /documents/{id}'s. Plain JavaScript, no build step.
"use strict";
(() => {
  const config = JSON.parse(document.getElementById("page-config").textContent);
  const DEBOUNCE_MS = 200; // about a pause between words: a search per word typed, not per letter

  const $ = (id) => document.getElementById(id);
  const box = $("q"), mode = $("mode"), sort = $("sort");

  // ---- the state, and the URL that holds it -------------------------------------------------------------

  function stateFromUrl() {
    const params = new URLSearchParams(location.search);
    return {
      q: params.get("q") || "",
      // A search box's syntax unless Lucene is asked for: links from before simple was the default say so.
      mode: params.get("mode") === "query_string" ? "query_string" : "simple",
      sort: params.get("sort") || "",
      filter: params.getAll("filter"),
      page: Math.max(1, parseInt(params.get("page"), 10) || 1),
      doc: params.get("doc") || "",
    };
  }

  // The API's own parameters, the page's defaults left out so that a shared link stays short (the request to the
  // API says `mode` always: the API's own default is query_string).
  function paramsOf(state) {
    const params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    if (state.mode !== "simple") params.set("mode", state.mode);
    if (state.sort) params.set("sort", state.sort);
    for (const filter of state.filter) params.append("filter", filter);
    if (state.page > 1) params.set("page", state.page);
    return params;
  }

  // The page's own URL: the search, and the document open, if one is.
  function hrefOf(state) {
    const params = paramsOf(state);
    if (state.doc) params.set("doc", state.doc);
    const query = params.toString();
    return location.pathname + (query ? `?${query}` : "");
  }

  let current = stateFromUrl();

  // A new search is a new history entry, so that Back returns to the one before. Any change but paging starts
  // again at page 1, and closes the document open.
  function navigate(changes, { force = false } = {}) {
    const next = { ...current, page: 1, doc: "", ...changes };
    const href = hrefOf(next);
    const here = location.pathname + location.search;
    if (href === here && !force) return;
    // A document opened from the results marks its history entry: its Back button can then go back in history.
    const fromResults = Boolean(next.doc && !current.doc);
    current = next;
    if (href !== here) history.pushState(fromResults ? { fromResults } : null, "", href);
    search(current);
  }

  const answer = window.SearchAnswer.create(config, { navigate, hrefOf });

  // ---- asking the API -----------------------------------------------------------------------------------

  let pending = null; // the AbortController of the one request whose answer the page waits for
  let firstResultShown = false;
  let drawn = null; // the API parameters of the answer on the page: back from a document, it is still good
  let lastDoc = ""; // the document read last: back at the results, its link has the focus again

  function cancel() {
    pending?.abort();
    pending = null;
    document.body.removeAttribute("aria-busy");
  }

  // One request at a time: a newer one aborts the one before, whose answer then never draws.
  async function ask(url) {
    cancel();
    const controller = (pending = new AbortController());
    document.body.setAttribute("aria-busy", "true");
    let response, body;
    try {
      response = await fetch(url, { signal: controller.signal });
      body = await response.json();
    } catch {
      if (controller.signal.aborted) return null; // a newer request replaced this one
      const detail = response ? `The service answered ${response.status}, not in JSON.` : "The service did not answer.";
      body = { detail };
    }
    if (pending !== controller) return null;
    pending = null;
    document.body.removeAttribute("aria-busy");
    return { ok: Boolean(response?.ok), body };
  }

  function showControls(state) {
    if (box.value !== state.q) box.value = state.q;
    mode.value = state.mode;
    for (const help of document.querySelectorAll("#q-help [data-mode]")) help.hidden = help.dataset.mode !== state.mode;
    sort.value = state.sort;
    document.title = state.q ? `${state.q} – Search` : "Search";
  }

  function reading(open) {
    document.body.classList.toggle("reading", open);
    $("detail").hidden = !open;
  }

  async function search(state) {
    showControls(state);
    if (state.doc) return read(state);
    const params = paramsOf(state);
    const key = params.toString();
    const fromDocument = document.body.classList.contains("reading");
    reading(false);
    if (fromDocument && key === drawn) {
      cancel(); // the document's request, if it is still on its way
      [...$("results").querySelectorAll(".hit-title")].find((link) => link.dataset.id === lastDoc)?.focus();
      return; // the results drawn before the document are still these
    }
    // Without a query the API browses every document: the page shows them, so filters and ranges work alone.
    params.set("mode", state.mode);
    params.set("size", config.pageSize);
    if (config.facets.length) params.set("facets", config.facets.join(","));
    if (config.facets.length) params.set("facet_size", config.facetSize);
    if (config.stats.length) params.set("stats", config.stats.join(","));
    drawn = null;
    const answered = await ask(`${config.searchUrl}?${params}`);
    if (!answered) return;
    if (!answered.ok) {
      answer.showError(answered.body, state);
      return;
    }
    drawn = key;
    answer.show(answered.body, state);
    if (answered.body.hits.length && !firstResultShown) {
      firstResultShown = true;
      performance.mark("first-result"); // the browser tests read it: the time to the first result
    }
  }

  async function read(state) {
    reading(true);
    lastDoc = state.doc;
    $("detail-json").href = config.documentUrl + encodeURIComponent(state.doc);
    const answered = await ask(config.documentUrl + encodeURIComponent(state.doc));
    if (!answered) return;
    document.title = `${answer.showDocument(answered.body, state)} – Search`;
    $("detail-title").focus();
  }

  // ---- input --------------------------------------------------------------------------------------------

  let typing = null;
  box.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => navigate({ q: box.value }), DEBOUNCE_MS);
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    navigate({ q: box.value, mode: mode.value, sort: sort.value }, { force: true });
  });
  mode.addEventListener("change", () => navigate({ mode: mode.value }));
  sort.addEventListener("change", () => navigate({ sort: sort.value }));
  $("back").addEventListener("click", () => {
    if (history.state?.fromResults) history.back();
    else navigate({ doc: "", page: current.page }); // opened from a link: the results it belongs to
  });
  for (const [id, step] of [["previous", -1], ["next", 1]]) {
    $(id).addEventListener("click", () => {
      navigate({ page: current.page + step });
      window.scrollTo(0, 0);
    });
  }
  window.addEventListener("popstate", () => {
    clearTimeout(typing);
    current = stateFromUrl();
    search(current);
  });

  const isTextEntry = (node) =>
    node.isContentEditable || ["TEXTAREA", "SELECT"].includes(node.tagName) ||
    (node.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(node.type));

  // `/` goes to the box from anywhere but another text field; ↓ and ↑ walk from the box through the results.
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "/" && !isTextEntry(event.target)) {
      event.preventDefault();
      box.focus();
      box.select();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const links = [...$("results").querySelectorAll(".hit-title")];
    const index = links.indexOf(document.activeElement);
    if (index < 0 && !(event.target === box && event.key === "ArrowDown" && links.length)) return;
    event.preventDefault();
    const target = index + (event.key === "ArrowDown" ? 1 : -1);
    (target < 0 ? box : links[Math.min(target, links.length - 1)]).focus();
  });

  search(current);
})();
