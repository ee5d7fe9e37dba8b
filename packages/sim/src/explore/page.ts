/**
 * The explorer's page: one HTML document with its style and script inline,
 * nothing loaded from anywhere but the explorer's own API. The script
 * renders the snapshot (`GET /api/state`) and posts the actions; every text
 * from the state is set as text (never parsed as HTML), since a store under
 * test may put anything in its state.
 *
 * Layout: a toolbar (back, forward, reset, go to the violation, load a
 * trace), a red banner with the broken invariant's sentence, the state as
 * columns side by side (a column per node/server, per client, and the
 * network; fields changed by the last step marked), the invariants'
 * verdicts, the enabled events as buttons grouped by the message or timer
 * they act on, the loaded trace with the position, and the path taken.
 * Keys: Left/Right arrows step back/forward, Home and End the path's ends.
 */
import { esc } from "../output/message-diagram.js";

const CSS = `
:root{--ink:#1f2933;--faint:#667085;--line:#d0d5dd;--bad:#dc2626;--bad-bg:#fef2f2;--ok:#15803d;--changed:#fef9c3;--focus:#facc15}
*{box-sizing:border-box}
body{font:13px system-ui,sans-serif;margin:0;color:var(--ink);background:#fafafa}
header{padding:10px 16px 6px;background:#fff;border-bottom:1px solid var(--line);position:sticky;top:0;z-index:5}
h1{font-size:17px;margin:0 0 2px} h1 .scenario{font-family:ui-monospace,monospace}
.sub{color:var(--faint);font-size:12px;word-break:break-all}
.verdict{display:inline-block;padding:1px 8px;border-radius:4px;font-weight:600;margin-left:8px;font-size:12px;vertical-align:middle}
.verdict.holds{background:#d8f5dd;color:#135c22}.verdict.violated{background:#fbd9d9;color:#8a1010}
.toolbar{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin-top:8px}
button{font:13px system-ui,sans-serif;padding:3px 10px;border:1px solid #b0b7c3;border-radius:4px;background:#f7f7f7;cursor:pointer;color:var(--ink)}
button:hover:not(:disabled){background:#eef2ff}
button:disabled{opacity:.45;cursor:default}
.toolbar .where{margin-left:6px;color:var(--faint)}
.toolbar label.file{border:1px dashed #b0b7c3;border-radius:4px;padding:3px 10px;cursor:pointer}
.toolbar label.file input{display:none}
#message{margin:6px 16px 0;min-height:0}
#message.error{color:#8a1010;background:var(--bad-bg);border:1px solid #f5b5b5;border-radius:4px;padding:4px 8px}
#message.note{color:#6b5200;background:#fff8db;border:1px solid #f1d67b;border-radius:4px;padding:4px 8px}
#violation{margin:8px 0 0;padding:8px 12px;background:#fbd9d9;color:#7f1010;border-left:6px solid var(--bad);border-radius:4px;font-weight:600}
#violation .sentence{font-weight:normal;display:block;margin-top:2px}
main{display:grid;grid-template-columns:minmax(0,1fr) 380px;gap:12px;padding:12px 16px}
@media (max-width:760px){main{grid-template-columns:minmax(0,1fr)}}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin-bottom:12px}
section h2{font-size:13px;margin:0 0 6px;color:#344054;text-transform:uppercase;letter-spacing:.04em}
#state.violated{outline:3px solid var(--bad);background:var(--bad-bg)}
.columns{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start;padding-bottom:4px}
.column{flex:1 1 260px;min-width:0;border:1px solid var(--line);border-radius:6px;background:#fff}
.column .head{padding:5px 8px;border-bottom:1px solid var(--line);background:#f2f4f7;border-radius:6px 6px 0 0}
.column.node{flex-grow:2}
.column.node .head{background:#e0e7ff}.column.client .head{background:#e7f6ec}.column.network .head{background:#fff1e0}
.column .title{font-weight:700;font-family:ui-monospace,monospace}
.column .subtitle{color:var(--faint);font-size:12px}
table.kv{border-collapse:collapse;width:100%}
table.kv td{border-top:1px solid #eef0f3;padding:2px 6px;vertical-align:top;font-family:ui-monospace,monospace;font-size:12px;overflow-wrap:anywhere}
table.kv table.kv{width:100%}
table.kv td.k,table.kv div.k{color:#475467;white-space:nowrap;width:1%}
table.kv td.nested div.inner{padding-left:14px;border-left:2px solid #eef0f3;margin:2px 0 2px 2px}
table.kv table.kv td{border-top:1px dotted #e4e7ec}
tr.changed>td{background:var(--changed)}
ol.list{margin:0;padding-left:20px}
.raw{margin-top:8px} .raw pre{font-size:11px;max-height:300px;overflow:auto;background:#f8f9fb;padding:6px;border-radius:4px}
#invariants li{list-style:none;margin:2px 0}
#invariants ul{padding:0;margin:0}
.inv .mark{display:inline-block;width:16px;font-weight:700}
.inv.holds .mark{color:var(--ok)}
.inv.broken{color:#8a1010;background:var(--bad-bg);border-left:4px solid var(--bad);padding:2px 6px;border-radius:3px}
.inv .name{font-family:ui-monospace,monospace;font-weight:600}
.inv .msg{display:block;margin-left:16px}
.pred{color:var(--faint);font-family:ui-monospace,monospace;font-size:12px}
.group{border-top:1px solid #eef0f3;padding:5px 0}
.group:first-child{border-top:0}
.group .what{font-family:ui-monospace,monospace;font-size:12px;margin-bottom:3px;word-break:break-word}
.group .what .tag{font-family:system-ui,sans-serif;font-size:11px;color:var(--faint);margin-right:4px;text-transform:uppercase}
.group button{margin:0 4px 2px 0}
button.ev.next{border-color:#a16207;box-shadow:0 0 0 2px var(--focus)}
.ev-line{display:block;color:var(--faint);font-size:11px;font-family:ui-monospace,monospace;margin-top:2px}
.none{color:var(--faint);font-style:italic}
ol.steps{margin:0;padding-left:0;list-style:none;font-family:ui-monospace,monospace;font-size:12px;position:relative;max-height:360px;overflow-y:auto}
ol.steps li{padding:2px 4px;border-radius:3px;cursor:pointer;white-space:pre-wrap;word-break:break-word}
ol.steps li .n{display:inline-block;min-width:26px;color:var(--faint)}
ol.steps li:hover{background:#f2f4f7}
ol.steps li.current{background:#e0e7ff;font-weight:600}
ol.steps li.violated{color:#b91c1c}
ol.steps li.violated::after{content:"  ✗ invariant broken";font-family:system-ui,sans-serif;font-weight:600}
ol.steps li.ahead{color:#98a2b3;cursor:default}
.trace-note{font-size:12px;color:var(--faint);margin-bottom:4px}
.trace-verdict{margin-top:6px;font-size:12px;color:#8a1010}
textarea{width:100%;min-height:90px;font:11px ui-monospace,monospace}
details summary{cursor:pointer;color:#344054}
.keys{color:var(--faint);font-size:12px;margin-top:4px}
kbd{border:1px solid #c8ccd3;border-bottom-width:2px;border-radius:3px;padding:0 4px;font-size:11px;background:#fff}
`;

/**
 * The page's script: fetches the snapshot, renders it, posts actions. Plain
 * ES5-style functions; no template strings (this text sits in one).
 */
const SCRIPT = `(function () {
  "use strict";
  var current = null;
  var busy = false;
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function say(kind, text) {
    var m = $("message");
    m.className = text ? kind : "";
    m.textContent = text || "";
  }

  function api(method, path, body) {
    var init = { method: method, headers: {} };
    if (method === "POST") {
      init.headers["content-type"] = "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body || {});
    }
    return fetch(path, init).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data && data.error ? data.error : "HTTP " + r.status);
        return data;
      });
    });
  }
  function act(path, body) {
    if (busy) return Promise.resolve();
    busy = true;
    return api("POST", path, body).then(function (s) { say("", ""); render(s); }, function (e) { say("error", e.message); })
      .then(function () { busy = false; });
  }
  function refresh() { return api("GET", "/api/state").then(render, function (e) { say("error", e.message); }); }

  // A value as readable key/values: objects as nested tables, short lists of plain values inline.
  function isPlain(v) { return v === null || typeof v !== "object"; }
  function valueNode(v) {
    if (v === null || v === undefined) return el("span", "none", "null");
    if (typeof v !== "object") return el("span", null, String(v));
    if (Array.isArray(v)) {
      if (v.length === 0) return el("span", "none", "[] (empty)");
      if (v.every(isPlain) && JSON.stringify(v).length <= 60) return el("span", null, JSON.stringify(v));
      var ol = el("ol", "list");
      v.forEach(function (x) { var li = el("li"); li.appendChild(valueNode(x)); ol.appendChild(li); });
      return ol;
    }
    var keys = Object.keys(v);
    if (keys.length === 0) return el("span", "none", "{} (empty)");
    return table(v, keys, []);
  }
  // Plain values sit beside their key; an object or a list of objects goes below its key, indented,
  // so deep state takes height rather than width.
  function nests(v) {
    if (v === null || typeof v !== "object") return false;
    if (Array.isArray(v)) return !(v.every(isPlain) && JSON.stringify(v).length <= 60) && v.length > 0;
    return Object.keys(v).length > 0;
  }
  function table(obj, keys, changed) {
    var t = el("table", "kv");
    keys.forEach(function (k) {
      var tr = el("tr", changed.indexOf(k) >= 0 ? "changed" : null);
      if (changed.indexOf(k) >= 0) tr.title = "changed by the last step";
      tr.setAttribute("data-key", k);
      if (nests(obj[k])) {
        var cell = el("td", "nested");
        cell.colSpan = 2;
        cell.appendChild(el("div", "k", k));
        var inner = el("div", "inner");
        inner.appendChild(valueNode(obj[k]));
        cell.appendChild(inner);
        tr.appendChild(cell);
      } else {
        tr.appendChild(el("td", "k", k));
        var td = el("td", "v");
        td.appendChild(valueNode(obj[k]));
        tr.appendChild(td);
      }
      t.appendChild(tr);
    });
    return t;
  }

  function renderColumns(s) {
    var box = $("columns");
    clear(box);
    s.columns.forEach(function (c) {
      var col = el("div", "column " + c.kind);
      col.setAttribute("data-column", c.id);
      var head = el("div", "head");
      head.appendChild(el("div", "title", c.title));
      if (c.subtitle) head.appendChild(el("div", "subtitle", c.subtitle));
      col.appendChild(head);
      col.appendChild(table(c.fields, Object.keys(c.fields), c.changed || []));
      box.appendChild(col);
    });
    $("raw-json").textContent = JSON.stringify(s.state, null, 2);
    $("state").className = s.violation ? "violated" : "";
  }

  function renderInvariants(s) {
    var ul = $("invariant-list");
    clear(ul);
    s.invariants.forEach(function (inv) {
      var li = el("li", "inv " + (inv.holds ? "holds" : "broken"));
      li.setAttribute("data-invariant", inv.name);
      li.appendChild(el("span", "mark", inv.holds ? "✓" : "✗"));
      li.appendChild(el("span", "name", inv.name));
      li.appendChild(document.createTextNode(inv.holds ? " holds" : " violated"));
      if (!inv.holds) li.appendChild(el("span", "msg", inv.message));
      ul.appendChild(li);
    });
    var p = $("predicates");
    p.textContent = s.predicates.length === 0 ? "" : s.predicates.map(function (x) { return x.name + ": " + (x.holds ? "yes" : "no"); }).join("   ");
  }

  function eventButton(ev, s) {
    var b = el("button", "ev" + (s.forwardId === ev.id ? " next" : ""), ev.action);
    b.type = "button";
    b.title = ev.line + (s.forwardId === ev.id ? "  (next on the path; the right arrow takes it)" : "");
    b.setAttribute("data-id", ev.id);
    b.setAttribute("data-index", String(ev.index));
    b.setAttribute("data-action", ev.action);
    b.addEventListener("click", function () { act("/api/step", { id: ev.id }); });
    return b;
  }
  function renderEvents(s) {
    var box = $("events");
    clear(box);
    $("events-count").textContent = String(s.events.length);
    if (s.events.length === 0) { box.appendChild(el("div", "none", "No event is enabled: this state is final.")); return; }
    var groups = [];
    var byKey = {};
    s.events.forEach(function (ev) {
      var key = ev.subject ? ev.subject.key : "event:" + ev.id;
      if (!byKey[key]) { byKey[key] = { subject: ev.subject, events: [] }; groups.push(byKey[key]); }
      byKey[key].events.push(ev);
    });
    groups.forEach(function (g) {
      var div = el("div", "group");
      var what = el("div", "what");
      if (g.subject) {
        what.appendChild(el("span", "tag", g.subject.kind));
        what.appendChild(document.createTextNode(g.subject.text));
      } else what.textContent = g.events[0].line;
      div.appendChild(what);
      g.events.forEach(function (ev) { div.appendChild(eventButton(ev, s)); });
      var next = g.events.filter(function (ev) { return ev.id === s.forwardId; })[0];
      if (next) div.appendChild(el("span", "ev-line", "next: " + next.line));
      box.appendChild(div);
    });
  }

  function stepItem(n, line, cls, position) {
    var li = el("li", cls);
    li.appendChild(el("span", "n", n));
    li.appendChild(document.createTextNode(line));
    if (position !== null) {
      li.setAttribute("data-position", String(position));
      li.addEventListener("click", function () { act("/api/goto", { position: position }); });
    }
    return li;
  }
  function renderPath(s) {
    var ol = $("path");
    clear(ol);
    ol.appendChild(stepItem("0.", "the initial state", s.position === 0 ? "current" : "", 0));
    s.path.forEach(function (p) {
      var cls = (p.step === s.position ? "current" : "") + (p.violated ? " violated" : "");
      ol.appendChild(stepItem(p.step + ".", p.line, cls, p.step));
    });
    $("path-count").textContent = s.path.length + " of at most " + (s.maxPathLength - 1) + " steps";
  }
  function renderTrace(s) {
    var sec = $("trace");
    var t = s.trace;
    sec.hidden = !t;
    if (!t) return;
    $("trace-name").textContent = t.name + " (" + t.length + " events)";
    var note = $("trace-note");
    clear(note);
    if (!t.onTrace || t.followed < Math.min(t.replayed, s.pathLength - 1)) {
      note.appendChild(document.createTextNode("The path left the trace after step " + t.followed + ". "));
      var b = el("button", null, "Back to the trace");
      b.type = "button"; b.id = "rejoin";
      b.addEventListener("click", function () { act("/api/rejoin"); });
      note.appendChild(b);
    } else note.textContent = "State " + s.position + " of the trace's " + t.replayed + (t.replayed === 1 ? " step." : " steps.");
    var ol = $("trace-steps");
    clear(ol);
    ol.appendChild(stepItem("0.", "the initial state", t.onTrace && s.position === 0 ? "current" : "", 0));
    t.lines.forEach(function (line, i) {
      var step = i + 1;
      var reachable = step <= t.followed;
      var last = t.violation && step === t.length;
      var cls = (t.onTrace && step === s.position ? "current" : "") + (step > t.replayed ? " ahead" : "") + (last || (reachable && s.path[i] && s.path[i].violated) ? " violated" : "");
      ol.appendChild(stepItem(step + ".", line, cls, reachable ? step : null));
    });
    var v = $("trace-verdict");
    v.textContent = t.violation ? "The search's verdict at the end: " + t.violation.invariant + ": " + t.violation.message : "";
    if (t.stoppedAt) say("note", "The trace stops at step " + t.stoppedAt.step + " (" + t.stoppedAt.line + "): " + t.stoppedAt.reason);
  }

  function render(s) {
    current = s;
    $("sub").textContent = (s.source ? "code under test: " + s.source + "  ·  " : "") + "shape: " + JSON.stringify(s.shape);
    $("verdict").className = "verdict " + (s.violation ? "violated" : "holds");
    $("verdict").textContent = s.violation ? "invariant violated" : "invariants hold";
    $("where").textContent = "state " + s.position + " of " + (s.pathLength - 1) + (s.trace && s.trace.onTrace ? " (on the trace)" : "");
    $("back").disabled = !s.canBack;
    $("forward").disabled = !s.canForward;
    var firstBad = -1;
    if (s.path) for (var i = 0; i < s.path.length; i++) if (s.path[i].violated) { firstBad = s.path[i].step; break; }
    $("to-violation").disabled = firstBad < 0 || firstBad === s.position;
    $("to-violation").setAttribute("data-position", String(firstBad));
    var banner = $("violation");
    banner.hidden = !s.violation;
    clear(banner);
    if (s.violation) {
      banner.appendChild(document.createTextNode("Invariant " + s.violation.invariant + " is violated in this state"));
      banner.appendChild(el("span", "sentence", s.violation.message));
    }
    renderColumns(s);
    renderInvariants(s);
    renderEvents(s);
    renderPath(s);
    renderTrace(s);
    ["path", "trace-steps"].forEach(function (id) {
      var list = $(id);
      var cur = list.querySelector("li.current");
      if (cur) list.scrollTop = Math.max(0, cur.offsetTop - list.clientHeight / 2);
    });
  }

  function loadTrace(text, name) {
    return act("/api/trace?name=" + encodeURIComponent(name), text);
  }

  $("back").addEventListener("click", function () { act("/api/back"); });
  $("forward").addEventListener("click", function () { act("/api/forward"); });
  $("reset").addEventListener("click", function () { act("/api/reset"); });
  $("to-violation").addEventListener("click", function () {
    var p = Number($("to-violation").getAttribute("data-position"));
    if (p >= 0) act("/api/goto", { position: p });
  });
  $("trace-file").addEventListener("change", function (e) {
    var f = e.target.files && e.target.files[0];
    if (!f) return;
    f.text().then(function (text) { return loadTrace(text, f.name); });
    e.target.value = "";
  });
  $("trace-paste-load").addEventListener("click", function () { loadTrace($("trace-text").value, "pasted trace"); });
  document.addEventListener("keydown", function (e) {
    var t = e.target && e.target.tagName;
    if (t === "TEXTAREA" || t === "INPUT" || e.altKey || e.ctrlKey || e.metaKey) return;
    if (!current) return;
    if (e.key === "ArrowLeft" && current.canBack) { e.preventDefault(); act("/api/back"); }
    else if (e.key === "ArrowRight" && current.canForward) { e.preventDefault(); act("/api/forward"); }
    else if (e.key === "Home") { e.preventDefault(); act("/api/goto", { position: 0 }); }
    else if (e.key === "End") { e.preventDefault(); act("/api/goto", { position: current.pathLength - 1 }); }
  });
  window.addEventListener("focus", function () { if (!busy) refresh(); });
  refresh();
})();`;

export function renderPage(options: { scenario: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>kv-sim explore: ${esc(options.scenario)}</title>
<style>${CSS}</style></head><body>
<header>
<h1>kv-sim explore: <span class="scenario">${esc(options.scenario)}</span><span class="verdict holds" id="verdict">…</span></h1>
<div class="sub" id="sub"></div>
<div class="toolbar">
<button type="button" id="back" title="one state back (left arrow)">← Back</button>
<button type="button" id="forward" title="one state forward on the path, or the trace's next event (right arrow)">Forward →</button>
<button type="button" id="reset" title="the initial state (the trace's start when one is loaded)">Reset</button>
<button type="button" id="to-violation" title="the first state on the path where an invariant is broken">Go to the violation</button>
<span class="where" id="where"></span>
<label class="file" title="a trace file written by kv-sim search --trace">Load a trace file…<input type="file" id="trace-file" accept=".json,application/json"></label>
</div>
<div class="keys"><kbd>←</kbd> <kbd>→</kbd> step back and forward, <kbd>Home</kbd> <kbd>End</kbd> the path's ends; click an event to take it, a step to go there.</div>
<div id="violation" role="alert" hidden></div>
</header>
<div id="message"></div>
<main>
<div>
<section id="state"><h2>State</h2><div class="columns" id="columns"></div>
<details class="raw"><summary>the state as plain data</summary><pre id="raw-json"></pre></details></section>
<section id="invariants"><h2>Invariants</h2><ul id="invariant-list"></ul><div class="pred" id="predicates"></div></section>
<section id="path-section"><h2>Path <span class="pred" id="path-count"></span></h2><ol class="steps" id="path"></ol></section>
</div>
<div>
<section><h2>Enabled events (<span id="events-count">0</span>)</h2><div id="events"></div></section>
<section id="trace" hidden><h2>Trace: <span id="trace-name"></span></h2><div class="trace-note" id="trace-note"></div><ol class="steps" id="trace-steps"></ol><div class="trace-verdict" id="trace-verdict"></div></section>
<section><details><summary>Paste a trace file</summary><textarea id="trace-text" spellcheck="false" placeholder='{"kind": "dslab-search-trace", ...}'></textarea><button type="button" id="trace-paste-load">Load the pasted trace</button></details></section>
</div>
</main>
<script>
${SCRIPT}
</script>
</body></html>
`;
}
