// Draws one answer of GET /search (or its error) into the search page; page.js decides what to ask and when.
// Text from documents reaches the page only as text (textContent); the one exception, a highlight snippet,
// goes through appendSnippet, which keeps its <mark>s and nothing else.
"use strict";
window.SearchAnswer = (() => {
  // Which source fields a hit shows as its title (the first one present) and as code. The rest of a hit is
  // its highlighted snippets (or, without any, its summary) and its facet fields as badges.
  const TITLE_FIELDS = ["qualname", "title", "name"];
  const CODE_FIELDS = ["signature"];
  const FALLBACK_SNIPPET_FIELDS = ["summary", "description"];
  const SNIPPETS_PER_HIT = 2;

  const $ = (id) => document.getElementById(id);
  const number = (value) => value.toLocaleString("en");

  function element(tag, properties = {}, ...children) {
    const node = Object.assign(document.createElement(tag), properties);
    node.append(...children);
    return node;
  }

  // A snippet is Elasticsearch's HTML-escaped text with the matches in <mark>. It is parsed into an inert
  // document (nothing in it loads or runs) and only its text and <mark>s are copied over.
  const parser = new DOMParser();
  const parse = (snippet) => parser.parseFromString(snippet, "text/html").body;
  function appendSnippet(parent, snippet) {
    for (const node of parse(snippet).childNodes) {
      parent.append(node.nodeName === "MARK" ? element("mark", { textContent: node.textContent }) : node.textContent);
    }
  }

  // A summary is often the docstring's first line: a snippet whose text another one holds says nothing new.
  function distinct(snippets) {
    const texts = snippets.map((snippet) => parse(snippet).textContent.trim());
    return snippets.filter((snippet, i) =>
      !texts.some((other, j) => j !== i && other.includes(texts[i]) && (other.length > texts[i].length || j < i)));
  }

  function fieldText(source, field, highlight) {
    const node = element("span");
    if (highlight[field]?.length) appendSnippet(node, highlight[field][0]);
    else node.textContent = String(source[field]);
    return node;
  }

  function create(config, { navigate, hrefOf }) {
    const results = $("results"), facets = $("facets");
    const present = (source) => (field) => source[field] != null && source[field] !== "";

    function hitItem(hit) {
      const source = hit.source || {}, highlight = hit.highlight || {};
      const titleField = TITLE_FIELDS.find((field) => typeof source[field] === "string" && source[field]);
      const title = element("a", { className: "hit-title", href: config.documentUrl + encodeURIComponent(hit.id) });
      title.append(titleField ? fieldText(source, titleField, highlight) : hit.id);
      const item = element("li", { className: "hit" }, element("h2", {}, title));
      for (const field of CODE_FIELDS.filter(present(source))) {
        item.append(element("code", { className: "code" }, fieldText(source, field, highlight)));
      }
      const shown = new Set([...TITLE_FIELDS, ...CODE_FIELDS]);
      const fragments = Object.entries(highlight).filter(([field]) => !shown.has(field)).flatMap(([, list]) => list);
      const snippet = element("p", { className: "snippet" });
      distinct(fragments).slice(0, SNIPPETS_PER_HIT).forEach((text, index) => {
        if (index) snippet.append(" … ");
        appendSnippet(snippet, text);
      });
      const fallback = FALLBACK_SNIPPET_FIELDS.find((field) => typeof source[field] === "string" && source[field]);
      if (!fragments.length && fallback) snippet.textContent = source[fallback];
      if (snippet.childNodes.length) item.append(snippet);
      const badges = config.facets.filter(present(source)).map((field) =>
        element("span", { className: "badge", title: field, textContent: String(source[field]) }));
      if (badges.length) item.append(element("p", { className: "badges" }, ...badges));
      return item;
    }

    function showSuggestions(suggestions, state) {
      if (!Array.isArray(suggestions) || !suggestions.length) return;
      const links = suggestions.map((text) => {
        const link = element("a", { href: hrefOf({ ...state, q: text, page: 1 }), textContent: text });
        link.addEventListener("click", (event) => {
          event.preventDefault();
          navigate({ q: text });
        });
        return link;
      });
      const listed = links.flatMap((link, i) => (i ? [", ", link] : [link]));
      $("suggestions").replaceChildren("Did you mean ", ...listed, "?");
      $("suggestions").hidden = false;
    }

    // `field:value`, quoted when the API would otherwise read a range (`..`) or take the quotes off.
    function filterOf(field, value) {
      const text = String(value);
      return `${field}:${text.includes("..") || text.startsWith('"') ? `"${text}"` : text}`;
    }

    function facetOption(filter, label, count, state) {
      const checkbox = element("input", { type: "checkbox", checked: state.filter.includes(filter), value: filter });
      checkbox.dataset.filter = filter;
      checkbox.addEventListener("change", () => {
        const others = state.filter.filter((item) => item !== filter);
        navigate({ filter: checkbox.checked ? [...others, filter] : others });
      });
      const counted = element("span", { className: "count", textContent: count });
      return element("li", {}, element("label", {}, checkbox, ` ${label} `, counted));
    }

    function showFacets(counts, state, focusedFilter) {
      const listed = new Set();
      const group = (legend, options) =>
        element("fieldset", {}, element("legend", { textContent: legend }), element("ul", {}, ...options));
      const groups = config.facets.filter((field) => counts[field]?.length).map((field) =>
        group(field, counts[field].map(({ value, count }) => {
          const filter = filterOf(field, value);
          listed.add(filter);
          if (config.filters.includes(field)) return facetOption(filter, String(value), number(count), state);
          return element("li", {}, `${value} `, element("span", { className: "count", textContent: number(count) }));
        })));
      // A filter from the URL that no facet lists (a range, a rare value) still shows, and can be taken off.
      const unlisted = state.filter.filter((filter) => !listed.has(filter));
      if (unlisted.length) groups.unshift(group("filters", unlisted.map((f) => facetOption(f, f, "", state))));
      facets.replaceChildren(...groups);
      [...facets.querySelectorAll("input")].find((input) => input.dataset.filter === focusedFilter)?.focus();
    }

    function showPager(answer, state) {
      const { value, relation } = answer.total;
      const pages = Math.ceil(Math.min(value, config.maxResultWindow) / config.pageSize);
      const hasNext = Boolean(answer.next) && (state.page + 1) * config.pageSize <= config.maxResultWindow;
      $("previous").disabled = state.page <= 1;
      $("next").disabled = !hasNext;
      $("page-number").textContent = `Page ${state.page}${relation === "eq" ? ` of ${pages}` : ""}`;
      $("pager").hidden = state.page <= 1 && !hasNext;
    }

    function clear(status) {
      $("status").textContent = status;
      for (const id of ["error", "suggestions", "pager"]) $(id).hidden = true;
      results.replaceChildren();
      facets.replaceChildren();
    }

    function show(answer, state) {
      const focusedFilter = document.activeElement?.dataset?.filter; // the redraw keeps the focus on that option
      const { value, relation } = answer.total;
      const plural = value === 1 && relation === "eq" ? "" : "s";
      const count = `${number(value)}${relation === "gte" ? "+" : ""} result${plural}`;
      const page = state.page > 1 ? `, page ${state.page}` : "";
      const partial = answer.timed_out || answer.shards?.failed ? " (partial: some of the index did not answer)" : "";
      clear(`${count} in ${answer.took_ms} ms${page}${partial}`);
      showSuggestions(answer.suggestions, state);
      results.start = (state.page - 1) * config.pageSize + 1;
      results.replaceChildren(...answer.hits.map(hitItem));
      showFacets(answer.facets || {}, state, focusedFilter);
      showPager(answer, state);
    }

    function showError(answer, state) {
      clear("No results: the search was refused.");
      const panel = $("error");
      panel.replaceChildren(element("p", { className: "detail", textContent: answer.detail || "The search failed." }));
      if (Number.isInteger(answer.position)) {
        // `position` counts characters (code points) of the query without the whitespace around it.
        const chars = Array.from(state.q.trim()), at = answer.position;
        const fault = element("mark", { textContent: chars[at] ?? " " }); // past the end: it ended too early
        const query = element("code", {}, chars.slice(0, at).join(""), fault, chars.slice(at + 1).join(""));
        panel.append(element("p", { className: "position" }, `At position ${at}: `, query));
      }
      if (answer.hint) panel.append(element("p", { className: "hint", textContent: answer.hint }));
      if (answer.error === "invalid_query" && state.mode === "query_string") {
        const button = element("button", { type: "button", textContent: "Search with the simple syntax" });
        button.addEventListener("click", () => navigate({ mode: "simple" }));
        panel.append(button);
      }
      panel.hidden = false;
    }

    return { show, showError, clear };
  }

  return { create };
})();
