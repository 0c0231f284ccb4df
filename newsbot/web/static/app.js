// newsbot web: runs searches through /api/search without reloading the page.
// The server renders every page by itself; this only makes searching and paging faster.
// Text goes into the page as text nodes only (never innerHTML).
(function () {
  "use strict";

  const MONTHS = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
    "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"];
  const FIELDS = ["q", "site", "since", "until", "page", "per_page"];

  const form = document.getElementById("search-form");
  const output = document.getElementById("search-output");
  const template = document.getElementById("hit-template");
  const input = document.getElementById("q");

  // "/" puts the cursor in the search box, as on the search sites people know.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || !input || event.ctrlKey || event.metaKey || event.altKey) return;
    const active = document.activeElement;
    if (active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA" ||
        active.tagName === "SELECT" || active.isContentEditable)) return;
    event.preventDefault();
    input.focus();
    input.select();
  });

  if (!form || !output || !template || !window.fetch || !window.URLSearchParams) return;

  function pad(n) { return String(n).padStart(2, "0"); }

  // The server's format: "11 مارس 2025 · 08:40 UTC".
  function arabicDate(iso) {
    const when = new Date(iso);
    if (isNaN(when)) return "";
    return when.getUTCDate() + " " + MONTHS[when.getUTCMonth()] + " " + when.getUTCFullYear() +
      " · " + pad(when.getUTCHours()) + ":" + pad(when.getUTCMinutes()) + " UTC";
  }

  function number(n) { return Number(n).toLocaleString("en-US"); }

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    for (const name in attrs || {}) node.setAttribute(name, attrs[name]);
    return node;
  }

  // text with the [start, end) spans wrapped in <mark>.
  function fillHighlighted(node, text, spans) {
    node.textContent = "";
    let at = 0;
    const sorted = (spans || []).slice().sort(function (a, b) { return a[0] - b[0]; });
    for (const span of sorted) {
      const start = span[0], end = span[1];
      if (start < at || end <= start || end > text.length) continue;
      node.appendChild(document.createTextNode(text.slice(at, start)));
      node.appendChild(el("mark", text.slice(start, end)));
      at = end;
    }
    node.appendChild(document.createTextNode(text.slice(at)));
  }

  function cleanParams(params) {
    const out = new URLSearchParams();
    for (const name of FIELDS) {
      const value = (params.get(name) || "").trim();
      if (value && !(name === "page" && value === "1")) out.set(name, value);
    }
    return out;
  }

  function formParams() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) params.set(name, String(value));
    return cleanParams(params);
  }

  function fillForm(params) {
    input.value = params.get("q") || "";
    for (const name of ["site", "since", "until"]) {
      const field = form.elements.namedItem(name);
      if (field) field.value = params.get(name) || "";
    }
  }

  // As render.results_count says it: "نتيجتان", "5 نتائج", "12 نتيجة".
  function countText(data) {
    const total = data.total;
    if (data.total_capped) return "أكثر من " + number(total) + " نتيجة";
    if (total === 0) return "لا نتائج";
    if (total === 1) return "نتيجة واحدة";
    if (total === 2) return "نتيجتان";
    if (total % 100 >= 3 && total % 100 <= 10) return number(total) + " نتائج";
    return number(total) + " نتيجة";
  }

  function withParams(params, changes) {
    const out = new URLSearchParams(params);
    for (const name in changes) {
      if (changes[name] === null) out.delete(name); else out.set(name, changes[name]);
    }
    return out;
  }

  function render(data, params) {
    output.textContent = "";
    const summary = el("div", null, { class: "summary" });
    const count = el("p", countText(data) + " ", { class: "count" });
    count.appendChild(el("span", "في " + data.elapsed_ms.toFixed(1) + " ملّي ثانية", { class: "muted" }));
    summary.appendChild(count);
    if (data.total) {
      const exportLine = el("p", "تصدير:", { class: "export" });
      for (const format of ["csv", "jsonl"]) {
        const query = withParams(params, { page: null, per_page: null, format: format });
        exportLine.appendChild(document.createTextNode(" "));
        exportLine.appendChild(el("a", format.toUpperCase(), { href: "/api/export?" + query, download: "" }));
      }
      summary.appendChild(exportLine);
    }
    output.appendChild(summary);

    if (data.hits.length) {
      const list = el("ol", null, { class: "hits", start: String((data.page - 1) * data.per_page + 1) });
      for (const hit of data.hits) {
        const item = template.content.firstElementChild.cloneNode(true);
        const link = item.querySelector(".hit-title");
        link.href = "/articles/" + encodeURIComponent(hit.id) + "?" + new URLSearchParams({ q: data.query });
        fillHighlighted(link, hit.title || "", hit.title_highlights);
        item.querySelector(".site").textContent = hit.site || "—";
        const time = item.querySelector("time");
        if (hit.published_at) {
          time.setAttribute("datetime", hit.published_at);
          time.textContent = arabicDate(hit.published_at);
        } else {
          time.remove();
        }
        fillHighlighted(item.querySelector(".snippet"), hit.snippet || "", hit.highlights);
        list.appendChild(item);
      }
      output.appendChild(list);
    } else if (data.total === 0) {
      const notice = el("div", null, { class: "notice" });
      const line = el("p", "لم نجد مقالات تحوي كل كلمات «");
      line.appendChild(el("bdi", data.query));
      line.appendChild(document.createTextNode("»."));
      notice.appendChild(line);
      notice.appendChild(el("p", "جرّب كلمات أقل أو أقصر، أو أزل المرشحات. البحث يتجاهل التشكيل والهمزات والتطويل.", { class: "muted" }));
      output.appendChild(notice);
    }

    if (data.pages > 1) {
      const pager = el("nav", null, { class: "pager", "aria-label": "الصفحات" });
      pager.appendChild(data.page > 1
        ? el("a", "→ السابق", { rel: "prev", href: "/?" + cleanParams(withParams(params, { page: String(data.page - 1) })) })
        : el("span"));
      pager.appendChild(el("span", "صفحة " + number(data.page) + " من " + number(data.pages), { class: "muted" }));
      pager.appendChild(data.page < data.pages
        ? el("a", "التالي ←", { rel: "next", href: "/?" + cleanParams(withParams(params, { page: String(data.page + 1) })) })
        : el("span"));
      output.appendChild(pager);
    }
  }

  let current = null;

  async function run(params, push) {
    const pageUrl = "/?" + params;
    if (!params.get("q")) { window.location.assign(pageUrl); return; }
    if (current) current.abort();
    const controller = new AbortController();
    current = controller;
    output.classList.add("loading");
    output.setAttribute("aria-busy", "true");
    let data;
    try {
      const response = await fetch("/api/search?" + params, {
        headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller.signal,
      });
      // On any error the server renders the page with its message, in Arabic.
      if (!response.ok) { window.location.assign(pageUrl); return; }
      data = await response.json();
    } catch (error) {
      if (error.name !== "AbortError") window.location.assign(pageUrl);
      return;
    }
    if (current !== controller) return;
    current = null;
    render(data, params);
    output.classList.remove("loading");
    output.removeAttribute("aria-busy");
    document.title = data.query.slice(0, 80) + " — بحث · نيوزبوت";
    if (push) window.history.pushState(null, "", pageUrl);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run(formParams(), true);
  });

  output.addEventListener("click", function (event) {
    const link = event.target.closest(".pager a");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    run(cleanParams(new URL(link.href).searchParams), true);
    window.scrollTo(0, 0);
  });

  window.addEventListener("popstate", function () {
    const params = cleanParams(new URLSearchParams(window.location.search));
    fillForm(params);
    run(params, false);
  });
})();
