// The screening page: one study at a time, keys and buttons, every change saved before the page moves on.
// Record text is only ever put in as text (textContent), never as markup.
"use strict";
(function () {
  const body = document.body;
  const API = body.dataset.api;
  const CSRF = body.dataset.csrf;
  const FULL_TEXT = body.dataset.stage === "full_text";
  const REASONS = Number(body.dataset.reasons || 0);
  const SCREEN = body.dataset.screen || "make screen";
  const $ = (id) => document.getElementById(id);
  let state = null;          // the last view the server sent
  let chain = Promise.resolve();
  let pickingReason = false;

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function segments(parts) {
    const frag = document.createDocumentFragment();
    for (const [text, kind] of parts || []) {
      frag.append(kind ? el("mark", { class: "hl-" + kind, text: text }) : document.createTextNode(text));
    }
    return frag;
  }

  function status(text, bad) {
    const s = $("status");
    s.textContent = text || "";
    s.className = bad ? "bad" : "";
  }

  function showProgress(p) {
    $("progress").max = Math.max(p.total, 1);
    $("progress").value = p.screened;
    $("progress-text").textContent = p.screened + " of " + p.total + " screened";
    const c = p.counts;
    const parts = ["included " + (c.include || 0), "excluded " + (c.exclude || 0), "maybe " + (c.maybe || 0)];
    if ("not_retrieved" in c) parts.push("not retrieved " + c.not_retrieved);
    $("counts").textContent = parts.join(" · ");
    const st = $("stopping");
    if (p.stopping) {
      st.textContent = "Stopping rule: " + p.stopping.label;
      st.title = p.stopping.detail;
      st.className = "stopping" + (p.stopping.reached ? " reached" : "");
    } else {
      st.textContent = p.mode === "plain" ? "Plain sheet order" : "Stopping rule: not available (" + p.ordering + ")";
      st.title = "";
      st.className = "stopping";
    }
    $("order").checked = p.mode === "prioritised";
  }

  function render(view) {
    state = view;
    showProgress(view.progress);
    const main = $("study");
    main.replaceChildren();
    const s = view.study;
    if (!s) {
      main.dataset.key = "";
      main.append(el("h1", { text: "All studies screened" }),
        el("p", { text: "Every study in your sheet has a decision. Use ← to look back, or run `" + SCREEN + "` to see the stage's results." }));
      return;
    }
    main.dataset.key = s.key;
    main.dataset.decision = s.decision;
    const head = el("p", { class: "meta" });
    head.append(el("span", { class: "pos", text: "Study " + s.position + " of " + s.length }), " · ",
      el("code", { text: s.key }));
    if (s.records > 1) head.append(" · " + s.records + " records merged");
    main.append(head);
    if (s.flags.length) {
      const flags = el("p", { class: "flags" });
      for (const f of s.flags) flags.append(el("span", { class: "flag", text: f }), " ");
      main.append(flags);
    }
    const h1 = el("h1", { id: "title" });
    h1.append(s.title.length ? segments(s.title) : "(no title)");
    main.append(h1);
    const meta = el("p", { class: "meta" });
    meta.textContent = [s.authors.slice(0, 12).join(", ") + (s.authors.length > 12 ? " et al." : ""), s.journal, s.year]
      .filter(Boolean).join(" · ");
    main.append(meta);
    const yours = el("p", { id: "yours", class: "yours " + (s.decision || "none") });
    if (s.decision) {
      let text = "Your decision: " + s.decision.replace("_", " ");
      if (s.cells.reason) text += " (" + s.cells.reason + ")";
      yours.textContent = text;
    } else if (s.unreadable) {
      yours.textContent = "Your sheet says " + JSON.stringify(s.unreadable) + ", which is not a decision word: decide again.";
    } else {
      yours.textContent = "Not screened yet";
    }
    main.append(yours);
    if (s.cells.notes) main.append(el("p", { class: "note", text: "Your note: " + s.cells.notes }));
    const abs = el("div", { id: "abstract", class: "abstract" });
    if (s.abstract.length) abs.append(segments(s.abstract)); else abs.append(el("p", { class: "muted", text: "No abstract." }));
    main.append(abs);
    const dl = el("dl", { class: "fields" });
    const add = (label, items) => {
      if (!items.length) return;
      const dd = el("dd");
      items.forEach((item, i) => { if (i) dd.append("; "); dd.append(Array.isArray(item) ? segments(item) : item); });
      dl.append(el("dt", { text: label }), dd);
    };
    add("Keywords", s.keywords);
    add("MeSH", s.mesh);
    add("Publication type", s.publication_types);
    add("Trial registration", s.registry_ids);
    main.append(dl);
    if (s.links.length) {
      const links = el("p", { class: "links" });
      for (const link of s.links) {
        if (!/^https?:\/\//i.test(link.url)) continue;   // the server sends only http(s); check anyway
        links.append(el("a", { href: link.url, rel: "noopener noreferrer", target: "_blank", text: link.label }), " ");
      }
      main.append(links);
    }
    if (view.message) status(view.message);
  }

  async function call(method, path, data) {
    const opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (method === "POST") {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRF-Token"] = CSRF;
      opts.body = JSON.stringify(data || {});
    }
    let response;
    try {
      response = await fetch(API + path, opts);
    } catch (err) {
      status("Not saved: the app's server cannot be reached (is it still running?). Nothing moved on.", true);
      throw err;
    }
    const json = await response.json().catch(() => ({ error: "unexpected reply " + response.status }));
    if (response.status === 409 && json.study !== undefined) {
      render(json);
      status(json.message, true);
      throw new Error("stale");
    }
    if (!response.ok) {
      status("Not saved: " + (json.error || response.status), true);
      throw new Error(json.error);
    }
    return json;
  }

  // Every action waits for the previous one: keys pressed quickly are applied in order, none lost.
  function queue(action) {
    chain = chain.then(action).catch(() => {});
    return chain;
  }

  function expected() {
    return state && state.study ? state.study.cells : undefined;
  }

  function decide(decision, reason) {
    return queue(async () => {
      if (!state || !state.study) return;
      status("");
      const view = await call("POST", "/decide", { key: state.study.key, decision: decision, reason: reason || "",
        expected: expected() });
      render(view);
      status("Saved: " + state.progress.screened + " of " + state.progress.total);
    });
  }

  function move(direction) {
    return queue(async () => {
      const key = state && state.study ? state.study.key : (state && state.last) || "";
      if (!state.study && direction === "next") return;
      const q = "?move=" + (state.study ? direction : "here") + "&key=" + encodeURIComponent(key);
      render(await call("GET", "/study" + q));
    });
  }

  function undo() {
    return queue(async () => { render(await call("POST", "/undo", {})); });
  }

  function openNote() {
    if (!state || !state.study) return;
    $("note-form").hidden = false;
    $("note-text").value = state.study.cells.notes || "";
    $("note-text").focus();
  }

  function saveNote() {
    const text = $("note-text").value;
    $("note-form").hidden = true;
    return queue(async () => {
      render(await call("POST", "/note", { key: state.study.key, notes: text, expected: expected() }));
    });
  }

  function startExclude() {
    if (!FULL_TEXT || !REASONS) return decide("exclude");
    pickingReason = true;
    status("Exclude: press the number of the reason (1–" + Math.min(REASONS, 9) + "), Esc to cancel");
  }

  function act(name) {
    if (name === "include" || name === "maybe" || name === "not retrieved") return decide(name);
    if (name === "exclude") return startExclude();
    if (name === "note") return openNote();
    if (name === "undo") return undo();
    if (name === "prev") return move("prev");
    if (name === "next") return move("next");
    if (name === "help") return $("help").showModal();
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) {
      if (ev.target.id === "note-text" && ev.key === "Enter" && ev.ctrlKey) { ev.preventDefault(); saveNote(); }
      return;
    }
    if (ev.target.id === "note-text") {
      if (ev.key === "Escape") { $("note-form").hidden = true; ev.target.blur(); }
      return;
    }
    if (["INPUT", "TEXTAREA", "SELECT"].includes(ev.target.tagName) && ev.target.id !== "order") return;
    if ($("help").open) return;
    const key = ev.key;
    if (/^[1-9]$/.test(key) && FULL_TEXT) {
      if (Number(key) <= REASONS) { pickingReason = false; status(""); decide("exclude", key); }
      ev.preventDefault();
      return;
    }
    if (pickingReason && key === "Escape") { pickingReason = false; status(""); return; }
    pickingReason = false;
    const map = { i: "include", e: "exclude", m: "maybe", n: "note", u: "undo", "?": "help",
      ArrowLeft: "prev", ArrowRight: "next" };
    if (FULL_TEXT) map.r = "not retrieved";
    const name = map[key.length === 1 ? key.toLowerCase() : key];
    if (name) { ev.preventDefault(); act(name); }
  });

  document.querySelectorAll("[data-act]").forEach((b) => b.addEventListener("click", () => act(b.dataset.act)));
  document.querySelectorAll("[data-reason]").forEach((b) =>
    b.addEventListener("click", () => { pickingReason = false; decide("exclude", b.dataset.reason); }));
  $("note-form").addEventListener("submit", (ev) => { ev.preventDefault(); saveNote(); });
  $("note-cancel").addEventListener("click", () => { $("note-form").hidden = true; });
  $("order").addEventListener("change", () => queue(async () => {
    const key = state && state.study && state.study.decision ? state.study.key : "";
    render(await call("POST", "/order", { mode: $("order").checked ? "prioritised" : "plain", key: key }));
  }));

  queue(async () => { render(await call("GET", "/study")); body.dataset.ready = "1"; });
})();
