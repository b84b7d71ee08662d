// unspin web page. User text only ever reaches the page through textContent and DOM nodes
// (never innerHTML), so markup in the input is shown as text and never runs.
"use strict";

const $ = (id) => document.getElementById(id);
let health = { index: false, max_bytes: 0 };
let healthLoaded = null;  // promise: /healthz read at start-up
let current = null;      // {text, report}
let showRestored = false;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setStatus(message, isError) {
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", !!isError);
  status.setAttribute("role", isError ? "alert" : "status");
}

function level(confidence) {  // colour class c1..c5 by confidence
  return "c" + Math.min(5, Math.max(1, Math.ceil(confidence * 5)));
}

async function api(path, options) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    throw new Error("cannot reach the server (" + e.message + ")");
  }
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    let detail = body && body.detail;
    if (Array.isArray(detail)) detail = detail.map((d) => d.msg).join("; ");
    throw new Error((detail || response.statusText) + " (HTTP " + response.status + ")");
  }
  return body;
}

// ---- rendering -------------------------------------------------------------------------------

function renderDoc() {
  const doc = $("doc");
  doc.replaceChildren();
  hideTip();
  const { text, report } = current;
  let pos = 0;
  report.spans.forEach((s, i) => {
    doc.append(document.createTextNode(text.slice(pos, s.start)));
    if (showRestored) {
      const ins = el("ins", "restored", s.suggestion);
      ins.setAttribute("aria-label", "restored: " + s.suggestion + " (written: " + s.text + ")");
      doc.append(ins);
    } else {
      const mark = el("mark", "spun " + level(s.confidence), text.slice(s.start, s.end));
      mark.tabIndex = 0;
      mark.dataset.index = String(i);
      mark.setAttribute("aria-label", s.text + ": suggested " + JSON.stringify(s.suggestion) +
                        ", confidence " + s.confidence.toFixed(2));
      mark.setAttribute("aria-describedby", "tip");
      doc.append(mark);
    }
    pos = s.end;
  });
  doc.append(document.createTextNode(text.slice(pos)));
  $("toggle").setAttribute("aria-pressed", String(showRestored));
  $("toggle").textContent = showRestored ? "Show flagged text" : "Show restored text";
}

function renderReport() {
  const { report } = current;
  const n = report.spans.length;
  $("summary").textContent = report.verdict.toUpperCase() + ": spin score " + report.spin_score.toFixed(2) +
    ", " + n + " substitution" + (n === 1 ? "" : "s") + " flagged";
  const warnings = $("warnings");
  warnings.replaceChildren(...(report.warnings || []).map((w) => el("li", "", w)));
  const tbody = $("table").tBodies[0];
  tbody.replaceChildren(...report.spans.map((s) => {
    const row = el("tr");
    row.append(el("td", "", s.start + "–" + s.end), el("td", "", s.text), el("td", "", s.suggestion),
               el("td", "", s.confidence.toFixed(2)));
    return row;
  }));
  $("result").hidden = false;
  renderDoc();
}

// ---- tooltip: suggestion and evidence, on hover and on focus ---------------------------------

function showTip(mark) {
  const s = current.report.spans[Number(mark.dataset.index)];
  if (!s) return;
  const tip = $("tip");
  const ev = s.evidence || {};
  const head = el("div", "suggest");
  head.append(el("span", "", "suggested: "), el("strong", "", s.suggestion));
  const dl = el("dl");
  const rows = [["written", s.text], ["confidence", s.confidence.toFixed(2)]];
  const style = ev.source === "style";  // a figure for a number word: no language-model evidence
  if (ev.lm_gain !== undefined && !style) rows.push(["LM gain", (ev.lm_gain >= 0 ? "+" : "") + ev.lm_gain.toFixed(1) + " nats"]);
  if (ev.context_gain !== undefined && !style) rows.push(["context gain", ev.context_gain.toFixed(1) + " nats"]);
  if (ev.neural_gain !== undefined && ev.neural_gain !== null) rows.push(["neural gain", (ev.neural_gain >= 0 ? "+" : "") + ev.neural_gain.toFixed(1) + " nats"]);
  if (ev.neural_probe !== undefined && ev.neural_probe !== null) rows.push(["reads substituted", ev.neural_probe.toFixed(2) + " (neural probe)"]);
  if (ev.relation) rows.push(["relation", style ? ev.relation + " (prose spells out one to nine)" : ev.relation]);
  if (ev.zipf_written !== undefined && !style) rows.push(["frequency", "written " + ev.zipf_written + ", suggested " + ev.zipf_suggestion + " (Zipf)"]);
  if (ev.n_candidates) rows.push(["candidates", String(ev.n_candidates)]);
  if (ev.source) rows.push(["from", ev.source]);
  rows.forEach(([k, v]) => dl.append(el("dt", "", k), el("dd", "", v)));
  tip.replaceChildren(head, dl);
  tip.hidden = false;
  const r = mark.getBoundingClientRect();
  const left = Math.max(4, Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - tip.offsetWidth - 4));
  tip.style.left = left + "px";
  tip.style.top = (window.scrollY + r.bottom + 6) + "px";
}

function hideTip() { $("tip").hidden = true; }

function markOf(event) { return event.target.closest && event.target.closest("mark.spun"); }

// ---- source diff (only when the server has an index) -----------------------------------------

function renderSource(result) {
  const box = $("source");
  const match = result.matches && result.matches[0];
  box.hidden = false;
  const q = $("diff-query"), src = $("diff-source");
  q.replaceChildren(); src.replaceChildren();
  if (!match) {
    $("source-info").textContent = "No similar source in the index.";
    $("diff").hidden = true;
    return;
  }
  $("source-info").textContent = "Source " + match.id + " (score " + match.score.toFixed(2) + ")" +
    (result.matches.length > 1 ? "; also: " + result.matches.slice(1).map((m) => m.id).join(", ") : "");
  if (!match.alignment || !match.alignment.length) {
    $("source-info").textContent += ". No alignment to show.";
    $("diff").hidden = true;
    return;
  }
  $("diff").hidden = false;
  // Operations of unspin.attribute.align: they partition both texts, so each side reads whole.
  match.alignment.forEach((op) => {
    if (op.op === "equal") {
      q.append(document.createTextNode(op.spun_text));
      src.append(document.createTextNode(op.source_text));
      return;
    }
    appendMarked(q, "del", op.spun_text);
    appendMarked(src, "ins", op.source_text);
  });
}

function appendMarked(parent, tag, text) {  // the words marked, their trailing space not
  const m = /^([\s\S]*?)(\s*)$/.exec(text);
  if (m[1]) parent.append(el(tag, tag, m[1]));
  if (m[2]) parent.append(document.createTextNode(m[2]));
}

async function findSource(text) {
  await healthLoaded;
  if (!health.index) return;
  try {
    renderSource(await api("/v1/find", { method: "POST", headers: { "Content-Type": "application/json" },
                                         body: JSON.stringify({ text: text, k: 3 }) }));
  } catch (e) {
    $("source").hidden = false;
    $("diff").hidden = true;
    $("source-info").textContent = "Source search failed: " + e.message;
  }
}

// ---- actions ---------------------------------------------------------------------------------

async function run(request, describe) {
  const button = $("check");
  button.disabled = true;
  setStatus("Checking " + describe + "…");
  $("source").hidden = true;
  try {
    const { text, report } = await request();
    report.spans.sort((a, b) => a.start - b.start);
    current = { text, report };
    showRestored = false;
    renderReport();
    setStatus("Checked " + describe + ".");
    findSource(text);
  } catch (e) {
    setStatus(e.message, true);
  } finally {
    button.disabled = false;
  }
}

function checkText() {
  const text = $("text").value;
  const profile = $("profile").value;
  return run(async () => {
    const report = await api("/v1/check", { method: "POST", headers: { "Content-Type": "application/json" },
                                            body: JSON.stringify({ text: text, profile: profile, explain: true }) });
    return { text, report };
  }, "the text");
}

function checkFile(file) {
  if (health.max_bytes && file.size > health.max_bytes) {
    setStatus(file.name + " is larger than the server's limit of " + health.max_bytes + " bytes.", true);
    return;
  }
  const profile = $("profile").value;
  return run(async () => {
    const url = "/v1/check/file?explain=true&profile=" + encodeURIComponent(profile) +
      "&name=" + encodeURIComponent(file.name);
    const report = await api(url, { method: "POST", headers: { "Content-Type": "application/octet-stream" },
                                    body: await file.arrayBuffer() });
    $("text").value = report.text;
    return { text: report.text, report };
  }, file.name);
}

document.addEventListener("DOMContentLoaded", () => {
  healthLoaded = api("/healthz").then((h) => {
    health = h;
    if (h && h.default_profile) $("profile").value = h.default_profile;
  }).catch(() => {});
  $("form").addEventListener("submit", (e) => { e.preventDefault(); checkText(); });
  $("file").addEventListener("change", (e) => { if (e.target.files[0]) checkFile(e.target.files[0]); });
  const area = $("text");
  area.addEventListener("dragover", (e) => { e.preventDefault(); area.classList.add("dragover"); });
  area.addEventListener("dragleave", () => area.classList.remove("dragover"));
  area.addEventListener("drop", (e) => {
    e.preventDefault();
    area.classList.remove("dragover");
    const file = e.dataTransfer.files[0];
    if (file) checkFile(file);
  });
  $("toggle").addEventListener("click", () => { showRestored = !showRestored; renderDoc(); });
  const doc = $("doc");
  doc.addEventListener("mouseover", (e) => { const m = markOf(e); if (m) showTip(m); });
  doc.addEventListener("mouseout", (e) => { if (markOf(e) && document.activeElement !== markOf(e)) hideTip(); });
  doc.addEventListener("focusin", (e) => { const m = markOf(e); if (m) showTip(m); });
  doc.addEventListener("focusout", hideTip);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") hideTip(); });
});
