// Draws one answer of GET /search (or its error), or one document of GET /documents/{id}, into the search page;
// page.js decides what to ask and when. Text from documents reaches the page only as text (textContent); the one
// exception, a highlight snippet, goes through appendSnippet, which keeps its <mark>s and nothing else.
"use strict";
window.SearchAnswer = (() => {
  // A hit shows its title (the first of these present), its code, its highlighted snippets (or, without any,
  // its summary), its values by type and its faceted keywords as badges; prose waits for the document's view.
  const TITLE_FIELDS = ["qualname", "title", "name"];
  const CODE_FIELDS = ["signature"];
  const FALLBACK_SNIPPET_FIELDS = ["summary", "description"];
  const SNIPPETS_PER_HIT = 2;
  const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d\d:\d\d(?::\d\d)?)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?)?$/;

  const $ = (id) => document.getElementById(id);
  const count = (value) => value.toLocaleString("en");
  const list = (value) => (Array.isArray(value) ? value : [value]);
  const scalar = (value) => value !== null && typeof value !== "object";

  function element(tag, properties = {}, ...children) {
    const node = Object.assign(document.createElement(tag), properties);
    node.append(...children);
    return node;
  }

  // ---- values by type: 19.99, yes, 2024-01-31 -----------------------------------------------------------

  // The reader's locale, with the decimals the value has (the default would cut 0.0625 to 0.063).
  function formatNumber(value) {
    const text = String(value), decimals = (text.split(".")[1] || "").length;
    if (/e/i.test(text)) return text;
    return value.toLocaleString(undefined, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  }

  // ISO 8601 reads the same everywhere: the day, and the time only when there is one.
  function formatDate(value) {
    const text = typeof value === "number" ? new Date(value).toISOString() : String(value);
    const [, day, time, zone] = ISO_DATE.exec(text) || [];
    if (!day) return text; // a format of the mapping's own: as written
    if (!time || /^00:00(:00)?$/.test(time)) return day;
    return `${day} ${time}${zone === "Z" ? " UTC" : zone ? ` ${zone}` : ""}`;
  }

  function formatValue(value, kind) {
    if (value == null || value === "") return "—";
    if ((kind === "boolean" || typeof value === "boolean") && /^(true|false)$/.test(value)) {
      return String(value) === "true" ? "yes" : "no";
    }
    if (kind === "date") return formatDate(value);
    if (kind === "number" && Number.isFinite(Number(value))) return formatNumber(Number(value));
    return typeof value === "number" ? formatNumber(value) : String(value);
  }

  // A float's stats and facet values come widened to a double (5.989999771118164 for 5.99): the shortest
  // decimal within half a unit of the float's last place is the value the index was given.
  function narrow(value, bits) {
    if (!bits || typeof value !== "number" || !value) return value;
    const halfUlp = 2 ** (Math.floor(Math.log2(Math.abs(value))) - bits);
    for (let digits = 1; digits < 17; digits++) {
      const short = Number(value.toPrecision(digits));
      if (Math.abs(short - value) <= halfUlp) return short;
    }
    return value;
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

  const titleOf = (source) => TITLE_FIELDS.find((field) => typeof source[field] === "string" && source[field]);

  function create(config, { navigate, hrefOf }) {
    const results = $("results"), facets = $("facets");
    const { types, labels } = config;
    const present = (source) => (field) => source[field] != null && source[field] !== "";
    const label = (field) => labels[field] || field;
    const inText = (text) => (/^.?[a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text); // SKU stays
    const exact = (field, value) => narrow(value, config.floatBits[field]);
    // From the mapping; without it (it could not be read), from the value.
    const kindOf = (field, value) => types[field] ||
      { number: "number", boolean: "boolean" }[typeof list(value)[0]] || (config.facets.includes(field) ? "keyword" : "text");
    const withField = (node, field) => {
      node.dataset.field = field;
      return node;
    };

    // ---- one hit ----------------------------------------------------------------------------------------

    // `price: 19.99`, `in stock: yes`; the field the hits are sorted by first, in bold.
    function facts(source, state, skip) {
      let sorted = state.sort.replace(/^-/, "") || (state.q.trim() ? "" : config.rankField); // browsing: by rank
      if (!(sorted in source)) sorted = sorted.replace(/\.[^.]+$/, ""); // title.keyword sorts by the title
      return Object.entries(source)
        .filter(([field, value]) => !skip.has(field) && present(source)(field) && list(value).length &&
          list(value).every(scalar) && kindOf(field, value) !== "text")
        .sort(([a], [b]) => (b === sorted) - (a === sorted))
        .map(([field, value]) => {
          const kind = kindOf(field, value);
          const values = list(value).map((one) => element("span", { className: `value ${kind}` }, formatValue(one, kind)));
          const text = element("span", { className: "fact-label" }, `${inText(label(field))}:`);
          return withField(element("span", { className: `fact${field === sorted ? " sorted" : ""}` }, text, " ", ...values), field);
        });
    }

    function hitItem(hit, state) {
      const source = hit.source || {}, highlight = hit.highlight || {};
      const titleField = titleOf(source);
      const title = element("a", { className: "hit-title", href: hrefOf({ ...state, doc: hit.id }) });
      title.dataset.id = hit.id;
      title.append(titleField ? fieldText(source, titleField, highlight) : hit.id);
      title.addEventListener("click", (event) => {
        if (event.button || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return; // a new tab
        event.preventDefault();
        navigate({ doc: hit.id, page: state.page });
      });
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
      const badged = config.facets.filter((field) => present(source)(field) && kindOf(field, source[field]) === "keyword");
      const badges = badged.flatMap((field) => list(source[field]).filter(scalar).map((value) =>
        withField(element("span", { className: "badge", title: label(field), textContent: String(value) }), field)));
      const line = facts(source, state, new Set([...shown, ...badged]));
      if (line.length) item.append(element("p", { className: "facts" }, ...line));
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

    // The tolerant pass of mode=simple ran: the query as written found fewer than SEARCH_TYPO_THRESHOLD hits, maybe
    // none, so the hits include words with a typo and the last word completed. The query goes in as text.
    function showTolerant(answer, state) {
      if (answer.tolerant !== true) return;
      $("tolerant").textContent = `Showing close matches too: few or no exact results for “${state.q.trim()}”.`;
      $("tolerant").hidden = false;
    }

    // ---- the sidebar: facets, and ranges for numbers and dates ---------------------------------------------

    // `field:value`, quoted when the API would otherwise read a range (`..`) or take the quotes off.
    function filterOf(field, value) {
      const text = String(value);
      return `${field}:${text.includes("..") || text.startsWith('"') ? `"${text}"` : text}`;
    }

    function facetOption(filter, text, counted, state) {
      const checkbox = element("input", { type: "checkbox", checked: state.filter.includes(filter), value: filter });
      checkbox.dataset.focus = filter;
      checkbox.addEventListener("change", () => {
        const others = state.filter.filter((item) => item !== filter);
        navigate({ filter: checkbox.checked ? [...others, filter] : others });
      });
      const counts = element("span", { className: "count", textContent: counted });
      return element("li", {}, element("label", {}, checkbox, ` ${text} `, counts));
    }

    const group = (legend, ...children) => element("fieldset", {}, element("legend", { textContent: legend }), ...children);

    // The ends of a range filter on `field` its inputs can hold (a date input holds a day), or null.
    function rangeOf(field, filter) {
      const [, low, high] = /^[^:]*:([^"]*)\.\.(.*)$/.exec(filter.startsWith(`${field}:`) ? filter : "") || [];
      const fits = (end) => !end || (types[field] === "date" ? /^\d{4}-\d\d-\d\d$/.test(end) : isFinite(end));
      return low !== undefined && fits(low) && fits(high) ? { low, high } : null;
    }

    // From–to inputs whose bounds and placeholders are the hits' span (`stats`, which a field's own range does not
    // narrow: the whole span stays in reach).
    function rangeGroup(field, stats, state) {
      const date = types[field] === "date", span = stats?.count ? stats : null;
      const ends = state.filter.map((filter) => rangeOf(field, filter)).find(Boolean) || { low: "", high: "" };
      const others = state.filter.filter((filter) => !rangeOf(field, filter));
      const bound = (value) => (date ? formatDate(value).slice(0, 10) : String(exact(field, value)));
      const input = (name, text, end) => {
        const box = element("input", { type: date ? "date" : "number", name, value: ends[name], step: "any" });
        box.dataset.focus = `${field}:${name}`;
        if (span) Object.assign(box, { min: bound(span.min), max: bound(span.max), placeholder: bound(span[end]) });
        return element("label", {}, `${text} `, box);
      };
      const form = element("form", { className: date ? "range date" : "range", noValidate: true },
        input("low", "From", "min"), input("high", "To", "max"), element("button", { textContent: "Apply" }));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const low = form.elements.low.value.trim(), high = form.elements.high.value.trim();
        navigate({ filter: low || high ? [...others, `${field}:${low}..${high}`] : others });
      });
      if (others.length < state.filter.length) {
        const clear = element("button", { type: "button", textContent: "Clear" });
        clear.addEventListener("click", () => navigate({ filter: others }));
        form.append(clear);
      }
      const shown = (value) => formatValue(exact(field, value), types[field]);
      const help = span ? [element("p", { className: "help" }, `${shown(span.min)} – ${shown(span.max)}`)] : [];
      return withField(group(label(field), form, ...help), field);
    }

    function showFacets(answer, state, focused) {
      const counts = answer.facets || {}, listed = new Set();
      const groups = config.facets.filter((field) => counts[field]?.length).map((field) =>
        group(label(field), element("ul", {}, ...counts[field].map(({ value, count: n }) => {
          const filter = filterOf(field, value), text = formatValue(exact(field, value), kindOf(field, value));
          listed.add(filter);
          if (config.filters.includes(field)) return facetOption(filter, text, count(n), state);
          return element("li", {}, `${text} `, element("span", { className: "count", textContent: count(n) }));
        }))));
      for (const field of config.ranges) {
        groups.push(rangeGroup(field, answer.stats?.[field], state));
        state.filter.filter((filter) => rangeOf(field, filter)).forEach((filter) => listed.add(filter));
      }
      // A filter from the URL that no facet or range lists (a rare value, a year) still shows, and can be taken off.
      const unlisted = state.filter.filter((filter) => !listed.has(filter)).map((filter) =>
        facetOption(filter, filter.replace(/^[^:]*/, (field) => label(field)).replace(":", ": "), "", state));
      if (unlisted.length) groups.unshift(group("Filters", element("ul", {}, ...unlisted)));
      facets.replaceChildren(...groups);
      [...facets.querySelectorAll("[data-focus]")].find((node) => node.dataset.focus === focused)?.focus();
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
      for (const id of ["error", "tolerant", "suggestions", "pager"]) $(id).hidden = true;
      results.replaceChildren();
      facets.replaceChildren();
    }

    function show(answer, state) {
      const focused = document.activeElement?.dataset?.focus; // the redraw keeps the focus on that control
      const { value, relation } = answer.total;
      const plural = value === 1 && relation === "eq" ? "" : "s";
      const total = `${count(value)}${relation === "gte" ? "+" : ""} result${plural}`;
      const page = state.page > 1 ? `, page ${state.page}` : "";
      const partial = answer.timed_out || answer.shards?.failed ? " (partial: some of the index did not answer)" : "";
      clear(`${total} in ${answer.took_ms} ms${page}${partial}`);
      showTolerant(answer, state);
      showSuggestions(answer.suggestions, state);
      results.start = (state.page - 1) * config.pageSize + 1;
      results.replaceChildren(...answer.hits.map((hit) => hitItem(hit, state)));
      showFacets(answer, state, focused);
      showPager(answer, state);
    }

    function showError(answer, state, panel = $("error")) {
      if (panel === $("error")) clear("No results: the search was refused.");
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

    // ---- one document: its fields as a list ----------------------------------------------------------------

    // An array as its values side by side, an object as a list of its own fields (`meta.year`).
    function valueNode(path, value) {
      if (Array.isArray(value) && value.every(scalar)) {
        return element("span", { className: "chips" },
          ...value.map((one) => element("span", { className: "badge" }, formatValue(one, kindOf(path, value)))));
      }
      if (Array.isArray(value)) return element("ol", {}, ...value.map((one) => element("li", {}, valueNode(path, one))));
      if (!scalar(value)) return element("dl", { className: "fields" }, ...fieldEntries(value, `${path}.`));
      return element("span", { className: `value ${kindOf(path, value)}` }, formatValue(value, kindOf(path, value)));
    }

    const fieldEntries = (source, prefix = "") => Object.entries(source).flatMap(([key, value]) =>
      [element("dt", {}, labels[prefix + key] || key), element("dd", {}, valueNode(prefix + key, value))]);

    // Its title (or id) as the heading, then its id and every field it has, in its own order; the title, for the tab.
    function showDocument(answer, state) {
      const ok = answer.id !== undefined, source = answer.source || {};
      $("detail-title").textContent = ok ? source[titleOf(source)] || answer.id : "No such document";
      const id = ok ? [element("dt", {}, "ID"), element("dd", {}, element("code", {}, answer.id))] : [];
      $("detail-fields").replaceChildren(...id, ...fieldEntries(source));
      $("detail-error").hidden = true;
      if (!ok) showError(answer, state, $("detail-error"));
      return $("detail-title").textContent;
    }

    return { show, showError, clear, showDocument };
  }

  return { create };
})();
