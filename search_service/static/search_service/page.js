// The search page: the search lives in the URL, GET /search answers it, answer.js draws the answer.
// Plain JavaScript, no build step.
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
      mode: params.get("mode") === "simple" ? "simple" : "query_string",
      sort: params.get("sort") || "",
      filter: params.getAll("filter"),
      page: Math.max(1, parseInt(params.get("page"), 10) || 1),
    };
  }

  // The API's own parameters, defaults left out so that a shared link stays short.
  function paramsOf(state) {
    const params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    if (state.mode !== "query_string") params.set("mode", state.mode);
    if (state.sort) params.set("sort", state.sort);
    for (const filter of state.filter) params.append("filter", filter);
    if (state.page > 1) params.set("page", state.page);
    return params;
  }

  function hrefOf(state) {
    const query = paramsOf(state).toString();
    return location.pathname + (query ? `?${query}` : "");
  }

  let current = stateFromUrl();

  // A new search is a new history entry, so that Back returns to the one before. Any change but paging starts
  // again at page 1.
  function navigate(changes, { force = false } = {}) {
    const next = { ...current, page: 1, ...changes };
    const href = hrefOf(next);
    const here = location.pathname + location.search;
    if (href === here && !force) return;
    current = next;
    if (href !== here) history.pushState(null, "", href);
    search(current);
  }

  const answer = window.SearchAnswer.create(config, { navigate, hrefOf });

  // ---- asking the API -----------------------------------------------------------------------------------

  let pending = null; // the AbortController of the one request whose answer the page waits for
  let firstResultShown = false;

  function showControls(state) {
    if (box.value !== state.q) box.value = state.q;
    mode.value = state.mode;
    sort.value = state.sort;
    document.title = state.q ? `${state.q} – Search` : "Search";
  }

  async function search(state) {
    showControls(state);
    pending?.abort();
    pending = null;
    document.body.removeAttribute("aria-busy");
    if (!state.q.trim()) {
      answer.clear("Type to search.");
      return;
    }
    const params = paramsOf(state);
    params.set("size", config.pageSize);
    if (config.facets.length) params.set("facets", config.facets.join(","));
    const controller = (pending = new AbortController());
    document.body.setAttribute("aria-busy", "true");
    let response, body;
    try {
      response = await fetch(`${config.searchUrl}?${params}`, { signal: controller.signal });
      body = await response.json();
    } catch {
      if (controller.signal.aborted) return; // a newer search replaced this one
      const detail = response ? `The service answered ${response.status}, not in JSON.` : "The service did not answer.";
      body = { detail };
    }
    if (pending !== controller) return;
    pending = null;
    document.body.removeAttribute("aria-busy");
    if (!response?.ok) {
      answer.showError(body, state);
      return;
    }
    answer.show(body, state);
    if (body.hits.length && !firstResultShown) {
      firstResultShown = true;
      performance.mark("first-result"); // the browser tests read it: the time to the first result
    }
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
