/**
 * A self-contained HTML timeline of a history: one row per process, one bar
 * per operation from its invoke to its completion, coloured by outcome. With
 * a checker result it also shows the linearization found (each bar numbered
 * in its key's order) or the failure: the operation that cannot be
 * linearized, the operations around it, the end of the shortest failing
 * prefix, and the partial orders the search reached. Hovering a bar shows
 * its details. No external assets: inline CSS, inline script, no network.
 */
import { printEdn } from "../formats/edn.js";
import type { History, Op, Process } from "../history/op.js";
import type { Call } from "../history/pair.js";
import { pairOps } from "../history/pair.js";
import type { ExactlyOnceResult } from "../exactly-once/check.js";
import type { LinearizabilityResult } from "../lin/check.js";

export interface TimelineOptions {
  title?: string;
  /** A linearizability or exactly-once result to show on the timeline. */
  result?: LinearizabilityResult | ExactlyOnceResult;
  /** Most events drawn; a larger history shows a window around the failure. Default 4000. */
  maxEvents?: number;
  /** A line of context under the title, e.g. the seed that reproduces the run. */
  subtitle?: string;
}

const X_STEP_PX = 16;
const ROW_PX = 26;
const LABEL_PX = 120;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function show(v: Op["value"] | undefined): string {
  if (v === undefined) return "";
  const text = printEdn(v);
  return text.length > 200 ? text.slice(0, 200) + "…" : text;
}

function isLin(r: TimelineOptions["result"]): r is LinearizabilityResult {
  return r !== undefined && "keys" in r;
}

interface Mark {
  cls: string[];
  badge?: string;
  note?: string;
}

export function renderTimelineHtml(history: History, options: TimelineOptions = {}): string {
  const calls = pairOps(history);
  const result = options.result;
  const marks = new Map<number, Mark>();
  const mark = (id: number): Mark => {
    let m = marks.get(id);
    if (m === undefined) marks.set(id, (m = { cls: [] }));
    return m;
  };
  let verdict = "";
  let summary: string[] = [];
  let prefixEnd: number | undefined;
  let focus: number | undefined;
  if (isLin(result)) {
    verdict = result.valid === true ? "linearizable" : result.valid === false ? "NOT linearizable" : "unknown";
    if (result.linearization !== undefined) {
      for (const [key, ids] of Object.entries(result.linearization)) {
        ids.forEach((id, rank) => {
          const m = mark(id);
          m.badge = String(rank + 1);
          m.note = `linearized #${rank + 1}${key === "" ? "" : ` on key ${key}`}`;
        });
      }
      summary.push("Numbers on the bars give the order in which the operations took effect (per key).");
    }
    if (result.failure !== undefined) {
      const f = result.failure;
      prefixEnd = f.prefixEnd;
      focus = f.op.callIndex;
      for (const c of f.involved) mark(c.id).cls.push("involved");
      const fm = mark(f.op.id);
      fm.cls.push("failed");
      fm.note = "cannot be linearized";
      summary.push(f.message);
      for (const p of f.partials.slice(0, 3)) {
        const steps = p.steps.map((s) => `${s.description} [p${String(s.op.process)}] → ${s.stateAfter}`).join(" · ");
        summary.push(`Partial order reached: ${p.skipped > 0 ? `(${p.skipped} earlier ops) ` : ""}state ${p.stateBefore} · ${steps || "(nothing linearized)"}`);
        p.steps.forEach((s, i) => {
          const m = mark(s.op.id);
          if (m.badge === undefined) m.badge = `p${i + 1}`;
        });
      }
    }
    if (result.unknownReason !== undefined) summary.push(`Unknown: ${result.unknownReason}`);
  } else if (result !== undefined) {
    verdict = result.valid === true ? "exactly once" : result.valid === false ? "NOT exactly once" : "unknown";
    result.anomalies.forEach((a, i) => {
      summary.push(`[${a.kind}] ${a.message}`);
      for (const c of a.ops) {
        const m = mark(c.id);
        m.cls.push(i === 0 ? "failed" : "involved");
        m.note = (m.note === undefined ? "" : m.note + "; ") + a.kind;
      }
      if (i === 0 && a.ops[0] !== undefined) focus = a.ops[0].callIndex;
    });
    if (result.unknownReason !== undefined) summary.push(`Unknown: ${result.unknownReason}`);
  }

  // The window of events to draw.
  const maxEvents = options.maxEvents ?? 4000;
  let from = 0;
  let to = history.length;
  if (history.length > maxEvents) {
    const centre = focus ?? 0;
    from = Math.max(0, Math.min(centre - Math.floor(maxEvents / 2), history.length - maxEvents));
    to = from + maxEvents;
  }
  const rowsByProcess = new Map<Process, number>();
  const rowOf = (p: Process): number => {
    let r = rowsByProcess.get(p);
    if (r === undefined) rowsByProcess.set(p, (r = rowsByProcess.size));
    return r;
  };
  // Rows in order of first appearance, nemesis last.
  for (let i = from; i < to; i++) if (history[i]!.process !== "nemesis") rowOf(history[i]!.process);
  const hasNemesis = history.slice(from, to).some((o) => o.process === "nemesis");
  if (hasNemesis) rowOf("nemesis");

  const x = (pos: number) => LABEL_PX + (pos - from) * X_STEP_PX;
  const details: Array<Record<string, string>> = [];
  const bars: string[] = [];
  const endOf = (c: Call): number => c.completionIndex;
  const visible = calls.filter((c) => c.callIndex < to && endOf(c) >= from);
  for (const c of visible) {
    const end = endOf(c);
    const endPos = Number.isFinite(end) ? Math.min(end, to) : to;
    const left = x(Math.max(c.callIndex, from));
    const width = Math.max(X_STEP_PX - 4, x(endPos) - left + X_STEP_PX - 4);
    const m = marks.get(c.id);
    const cls = ["op", c.outcome, ...(m?.cls ?? [])];
    const label = `${c.f} ${show(c.outcome === "ok" && c.completion !== undefined ? resultOf(c) : c.invoke.value)}`;
    const i = details.length;
    details.push(detailOf(c, m?.note));
    bars.push(
      `<div class="${cls.join(" ")}" data-i="${i}" id="op-${c.id}" style="left:${left}px;top:${rowOf(c.process) * ROW_PX + 4}px;width:${width}px">` +
        (m?.badge !== undefined ? `<span class="badge">${esc(m.badge)}</span>` : "") +
        `<span class="label">${esc(label)}</span></div>`,
    );
  }
  const nemesisRow = hasNemesis ? rowOf("nemesis") : -1;
  for (let i = from; i < to; i++) {
    const op = history[i]!;
    if (op.process !== "nemesis") continue;
    const d = details.length;
    details.push({ process: "nemesis", f: op.f, value: show(op.value), index: String(op.index), ...(op.time !== undefined ? { time: String(op.time) } : {}) });
    bars.push(`<div class="nemesis-event" data-i="${d}" style="left:${x(i)}px;top:${nemesisRow * ROW_PX + 4}px">${esc(op.f)}</div>`);
    bars.push(`<div class="nemesis-line" style="left:${x(i) + 2}px"></div>`);
  }
  if (prefixEnd !== undefined && prefixEnd >= from && prefixEnd < to) {
    bars.push(`<div class="prefix-end" style="left:${x(prefixEnd) + X_STEP_PX - 2}px" title="The history up to here cannot be linearized"></div>`);
  }
  const labels = [...rowsByProcess.entries()].map(([p, r]) => {
    const first = calls.find((c) => c.process === p);
    const client = first?.invoke.client_id !== undefined ? ` · ${first.invoke.client_id}` : "";
    return `<div class="row-label" style="top:${r * ROW_PX}px">${esc(p === "nemesis" ? "nemesis" : `process ${String(p)}${client}`)}</div>`;
  });
  const stripes = [...rowsByProcess.values()].map((r) => `<div class="stripe" style="top:${r * ROW_PX}px"></div>`);
  const width = LABEL_PX + (to - from + 2) * X_STEP_PX;
  const height = rowsByProcess.size * ROW_PX + 8;
  const title = options.title ?? "History timeline";
  const windowNote =
    from > 0 || to < history.length ? `<p class="note">Showing events ${from}–${to - 1} of ${history.length} (around the first problem).</p>` : "";
  const verdictCls = verdict.startsWith("NOT") ? "bad" : verdict === "unknown" ? "unknown" : "good";
  const data = JSON.stringify(details).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px}
.verdict{display:inline-block;padding:2px 8px;border-radius:4px;font-weight:600;margin-left:8px;font-size:13px}
.verdict.good{background:#d8f5dd;color:#135c22}.verdict.bad{background:#fbd9d9;color:#8a1010}.verdict.unknown{background:#fff1c2;color:#6b5200}
.summary{margin:8px 0;padding:0;list-style:none;max-width:1100px}.summary li{margin:4px 0;padding:4px 8px;background:#f6f6f8;border-left:3px solid #999;word-break:break-word}
.summary li:first-child{border-left-color:#c62828}
.note{color:#666}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:18px;height:10px;margin-right:4px;vertical-align:middle;border-radius:2px}
#scroll{overflow:auto;border:1px solid #ddd;max-height:75vh;position:relative}
#canvas{position:relative}
.stripe{position:absolute;left:0;right:0;height:${ROW_PX}px;border-bottom:1px solid #f0f0f0}
.row-label{position:absolute;left:0;width:${LABEL_PX - 8}px;height:${ROW_PX}px;line-height:${ROW_PX}px;padding-left:6px;background:#fafafa;color:#555;font-size:11px;white-space:nowrap;overflow:hidden;z-index:2}
.op{position:absolute;height:${ROW_PX - 8}px;border-radius:3px;box-sizing:border-box;border:1px solid rgba(0,0,0,.25);font-size:11px;line-height:${ROW_PX - 10}px;white-space:nowrap;overflow:hidden;cursor:default;z-index:1}
.op.ok{background:#9fd8a8}.op.fail{background:#e0e0e0;color:#777}.op.info{background:linear-gradient(90deg,#ffcf7a 60%,rgba(255,207,122,.15))}.op.pending{background:linear-gradient(90deg,#c9c9e8 60%,rgba(201,201,232,.15))}
.op.involved{outline:2px solid #f39c12;z-index:3}
.op.failed{outline:3px solid #d32f2f;box-shadow:0 0 0 5px rgba(211,47,47,.25);z-index:4}
.op:hover{filter:brightness(.92)}
.badge{display:inline-block;min-width:14px;padding:0 3px;margin:1px 3px 0 1px;background:#263238;color:#fff;border-radius:7px;font-size:10px;line-height:14px;text-align:center}
.label{padding-left:3px}
.nemesis-event{position:absolute;height:${ROW_PX - 8}px;padding:0 4px;background:#b39ddb;border-radius:3px;font-size:11px;line-height:${ROW_PX - 10}px;white-space:nowrap;z-index:1}
.nemesis-line{position:absolute;top:0;bottom:0;width:0;border-left:1px dashed #b39ddb}
.prefix-end{position:absolute;top:0;bottom:0;width:0;border-left:2px solid #d32f2f;z-index:5}
#tip{position:fixed;display:none;max-width:520px;background:#263238;color:#fff;padding:8px 10px;border-radius:4px;font:12px/1.4 ui-monospace,monospace;z-index:10;pointer-events:none;white-space:pre-wrap;word-break:break-all}
</style>
</head>
<body>
<h1>${esc(title)}${verdict === "" ? "" : `<span class="verdict ${verdictCls}" id="verdict">${esc(verdict)}</span>`}</h1>
${options.subtitle !== undefined ? `<p class="note">${esc(options.subtitle)}</p>` : ""}
<p class="legend"><span><i style="background:#9fd8a8"></i>ok</span><span><i style="background:#ffcf7a"></i>info (may or may not have happened)</span><span><i style="background:#c9c9e8"></i>never completed</span><span><i style="background:#e0e0e0"></i>fail (did not happen)</span><span><i style="outline:3px solid #d32f2f;background:#fff"></i>the failing operation</span><span><i style="outline:2px solid #f39c12;background:#fff"></i>involved</span></p>
${summary.length > 0 ? `<ul class="summary" id="summary">${summary.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>` : ""}
${windowNote}
<div id="scroll"><div id="canvas" style="width:${width}px;height:${height}px">
${stripes.join("\n")}
${labels.join("\n")}
${bars.join("\n")}
</div></div>
<div id="tip"></div>
<script type="application/json" id="ops">${data}</script>
<script>
(function () {
  var details = JSON.parse(document.getElementById("ops").textContent);
  var tip = document.getElementById("tip");
  var canvas = document.getElementById("canvas");
  canvas.addEventListener("mouseover", function (e) {
    var el = e.target.closest("[data-i]");
    if (!el) { tip.style.display = "none"; return; }
    var d = details[Number(el.getAttribute("data-i"))];
    tip.textContent = Object.keys(d).map(function (k) { return k + ": " + d[k]; }).join("\\n");
    tip.style.display = "block";
  });
  canvas.addEventListener("mousemove", function (e) {
    tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 540) + "px";
    tip.style.top = (e.clientY + 14) + "px";
  });
  canvas.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  // Keep the process names in view while scrolling sideways.
  var scrollBox = document.getElementById("scroll");
  var rowLabels = document.querySelectorAll(".row-label");
  scrollBox.addEventListener("scroll", function () {
    for (var i = 0; i < rowLabels.length; i++) rowLabels[i].style.left = scrollBox.scrollLeft + "px";
  });
  var failed = document.querySelector(".op.failed");
  if (failed) {
    var scroll = document.getElementById("scroll");
    scroll.scrollLeft = Math.max(0, failed.offsetLeft - scroll.clientWidth / 2);
    scroll.scrollTop = Math.max(0, failed.offsetTop - scroll.clientHeight / 2);
    scroll.dispatchEvent(new Event("scroll"));
  }
})();
</script>
</body>
</html>
`;
}

function resultOf(c: Call): Op["value"] {
  return c.completion === undefined ? null : c.completion.value;
}

function detailOf(c: Call, note: string | undefined): Record<string, string> {
  const d: Record<string, string> = {
    op: `${c.f} (${c.outcome})`,
    process: String(c.process),
  };
  if (c.invoke.key !== undefined) d.key = show(c.invoke.key);
  d.argument = show(c.invoke.value);
  if (c.completion !== undefined) {
    d.result = c.outcome === "ok" ? show(c.completion.value) : c.outcome;
    if (c.completion.error !== undefined) d.error = show(c.completion.error);
  } else d.result = "never completed (indefinite)";
  if (c.invoke.client_id !== undefined) d.client_id = c.invoke.client_id;
  if (c.invoke.seq !== undefined) d.seq = String(c.invoke.seq);
  d.events = `${c.invoke.index} → ${c.completion?.index ?? "…"}`;
  if (c.invoke.time !== undefined) d.time = `${c.invoke.time} → ${c.completion?.time ?? "…"} ns`;
  if (note !== undefined) d.checker = note;
  return d;
}
