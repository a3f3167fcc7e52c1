// The resolver's page: each conflict with every reviewer's call; a decision is written to resolutions.csv.
// Record text is only ever put in as text (textContent), never as markup.
"use strict";
(function () {
  const body = document.body;
  const API = body.dataset.api;
  const CSRF = body.dataset.csrf;
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function status(text, bad) {
    $("status").textContent = text || "";
    $("status").className = bad ? "bad" : "";
  }

  function card(c) {
    const box = el("article", { class: "conflict" + (c.resolution ? " resolved" : ""), "data-study": c.study_id });
    box.append(el("h2", { text: c.title || "(no title)" }));
    box.append(el("p", { class: "meta", text: [c.study_id, c.authors.join(", "), c.journal, c.year].filter(Boolean).join(" · ") }));
    const table = el("table", { class: "calls" });
    for (const [who, call] of Object.entries(c.calls)) {
      const note = c.notes[who] ? " — note: " + c.notes[who] : "";
      table.append(el("tr", {}, [el("th", { text: who }), el("td", { text: call + note })]));
    }
    box.append(table);
    box.append(el("p", { class: "issue", text: "Why it is a conflict: " + c.issue }));
    if (c.abstract) {
      const d = el("details", {}, [el("summary", { text: "Abstract" }), el("p", { text: c.abstract })]);
      box.append(d);
    }
    for (const link of c.links) {
      if (/^https?:\/\//i.test(link.url)) box.append(el("a", { href: link.url, rel: "noopener noreferrer", target: "_blank", text: link.label }), " ");
    }
    const res = el("p", { class: "resolution" });
    res.textContent = c.resolution ? "Resolved: " + c.resolution.decision + (c.resolution.reason ? " (" + c.resolution.reason + ")" : "")
      + " by " + c.resolution.resolved_by : "Open";
    box.append(res);
    const form = el("div", { class: "choices" });
    form.append($("choices").content.cloneNode(true));
    form.querySelectorAll("[data-decision]").forEach((b) => b.addEventListener("click", () => resolve(c, form, b.dataset.decision, box)));
    box.append(form);
    return box;
  }

  async function call(method, path, data) {
    const opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (method === "POST") {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRF-Token"] = CSRF;
      opts.body = JSON.stringify(data);
    }
    const response = await fetch(API + path, opts);
    const json = await response.json().catch(() => ({ error: "unexpected reply " + response.status }));
    if (!response.ok) { status("Not saved: " + (json.error || response.status), true); throw new Error(json.error); }
    return json;
  }

  async function resolve(c, form, decision, box) {
    const reason = form.querySelector("[data-field=reason]");
    const notes = form.querySelector("[data-field=notes]");
    try {
      const out = await call("POST", "/decide", { study_id: c.study_id, decision: decision, reason: reason ? reason.value : "",
        notes: notes ? notes.value : "", expected: c.cells });
      box.replaceWith(card(out.conflict));
      status("Saved to resolutions.csv: " + c.study_id);
      load(false);
    } catch (err) { /* status already says why */ }
  }

  async function load(redraw) {
    const data = await call("GET", "", undefined);
    const open = data.conflicts.filter((c) => !c.resolution).length;
    $("summary").textContent = data.conflicts.length + " conflicts, " + open + " open";
    if (redraw === false) return;
    const list = $("conflicts");
    list.replaceChildren();
    if (!data.conflicts.length) list.append(el("p", { text: "No conflicts that every reviewer has screened." }));
    for (const c of data.conflicts) list.append(card(c));
    body.dataset.ready = "1";
  }

  load(true);
})();
