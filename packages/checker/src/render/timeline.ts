/**
 * A self-contained HTML timeline of a history: one row per process, one bar
 * per operation from its invoke to its completion, coloured by outcome and
 * labelled with its function, key, argument and result. With a checker
 * result it also shows the linearization found (each bar numbered in its
 * key's order) or the failure: the operation that cannot be linearized, the
 * operations around it, the end of the shortest failing prefix, the partial
 * orders the search reached, and each anomaly once (an anomaly that several
 * reads show is one entry naming those reads). Faults (`:nemesis` ops) are
 * labelled with what they did (`SIGKILL n3 (leader)`, `partition {n1} | {n2 n3}`)
 * in a band above the rows, with a line across them, and listed by time.
 *
 * The x axis is time (ms; µs or ns for a history shorter than that) when
 * every event drawn carries `:time` (Jepsen's ns), else the event's position
 * in the history. The page opens with the
 * whole window fitted to its width; the buttons, ctrl+wheel and the +, -
 * and 0 keys zoom. Positions are written as CSS variables (`--a`, `--b`, in
 * axis units) and one `--k` (px per unit) on the canvas scales them all, so
 * zooming restyles nothing but that variable, the ticks and the fault lanes.
 * A bar or a fault opens its details in a panel on a click, or on Enter or
 * Space from the keyboard (Escape closes it, back to the bar); the timeline
 * is one tab stop whose arrow keys move between bars, and each bar is a
 * named button for assistive technology.
 *
 * Invariants: the HTML depends only on the history and the options (the same
 * input gives the same bytes); no external asset or request (inline CSS and
 * script); at most `maxEvents` events are drawn, a window around the first
 * problem, so a long history stays fast.
 */
import { printEdn } from "../formats/edn.js";
import { flatString } from "../formats/flat-string.js";
import type { History, Op, Process } from "../history/op.js";
import type { Call } from "../history/pair.js";
import { pairOps } from "../history/pair.js";
import type { Anomaly, ExactlyOnceResult } from "../exactly-once/check.js";
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

const ROW_PX = 26;
const LABEL_PX = 150;
/** Anomalies listed in full before the rest fold under "more". */
const ANOMALIES_SHOWN = 3;

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const HTML_SPECIAL = /[&<>"']/;
const HTML_SPECIALS = /[&<>"']/g;

/** `s` as HTML text or attribute value: `&`, `<`, `>`, `"` and `'` escaped. */
export function escapeHtml(s: string): string {
  // Most labels have nothing to escape: one test then, and no replace.
  return HTML_SPECIAL.test(s) ? s.replace(HTML_SPECIALS, escapeChar) : s;
}

const esc = escapeHtml;

function escapeChar(c: string): string {
  return HTML_ESCAPES[c]!;
}

function show(v: Op["value"] | undefined, max = 200): string {
  return v === undefined ? "" : clip(printEdn(v), max);
}

/** `text` cut to `max` characters, with `…` when it was longer. */
function clip(text: string, max = 200): string {
  return text.length > max ? text.slice(0, max) + "…" : text;
}

/** A number written into the page: at most 3 decimals, no exponent surprises. */
function num(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

function isLin(r: TimelineOptions["result"]): r is LinearizabilityResult {
  return r !== undefined && "keys" in r;
}

/** What a fault did: the harness's label (`:f :fault`, value the label), else `f value` (a string value unquoted). */
export function faultLabel(op: Op): string {
  if (op.f === "fault" && typeof op.value === "string") return op.value;
  if (op.value === null || op.value === undefined) return op.f;
  return `${op.f} ${typeof op.value === "string" ? op.value : show(op.value, 120)}`;
}

/**
 * The EDN text of a call's argument, and of what an ok returned: printed
 * once for both the bar's label and its details (a read's result is a
 * long list).
 */
interface CallTexts {
  /** "" when the invoke has no value. */
  argument: string;
  /** Only for an ok with a completion ("" when it has no value). */
  result: string | undefined;
}

function callTexts(c: Call): CallTexts {
  const ok = c.outcome === "ok" && c.completion !== undefined;
  return { argument: show(c.invoke.value, Infinity), result: ok ? show(c.completion!.value, Infinity) : undefined };
}

/**
 * The text on a bar: function, key (a string unquoted), argument, then what
 * an ok returned when it differs from the argument (`append k "c1:3" → [...]`),
 * `✗` for a fail and `?` for an indefinite outcome.
 */
export function opLabel(c: Call): string {
  return labelOf(c, callTexts(c));
}

function labelOf(c: Call, texts: CallTexts): string {
  let label = c.f;
  if (c.invoke.key !== undefined) label += " " + (typeof c.invoke.key === "string" ? c.invoke.key : show(c.invoke.key, 40));
  if (c.invoke.value !== null && c.invoke.value !== undefined) label += " " + clip(texts.argument, 60);
  if (texts.result !== undefined) {
    const result = clip(texts.result, 80);
    if (result !== "" && result !== clip(texts.argument, 80)) label += ` → ${result}`;
  } else if (c.outcome === "fail") label += " ✗";
  else label += " ?";
  return label;
}

interface Mark {
  cls: string[];
  badge?: string;
  notes: string[];
}

interface ListedAnomaly {
  anomaly: Anomaly;
  /** History indices (of the completion, as the checker's messages cite them) of the other operations that show it. */
  alsoShownBy: number[];
}

/**
 * One entry per anomaly: the checker reports an append applied twice once
 * for every operation whose returned list shows it. Reports of the same kind
 * on the same key whose first operation is the same request (client_id/seq)
 * are one anomaly; the last operation of each other report (the one whose
 * result shows it) is named. Reports whose first operation has no request
 * identity stay separate.
 */
export function listAnomalies(anomalies: readonly Anomaly[]): ListedAnomaly[] {
  const byIdentity = new Map<string, ListedAnomaly>();
  /** Each entry's `alsoShownBy` as a set: one duplicated append can be shown by a hundred thousand reads. */
  const named = new Map<ListedAnomaly, Set<number>>();
  const out: ListedAnomaly[] = [];
  for (const a of anomalies) {
    const subject = a.ops[0]?.invoke;
    const request = subject?.client_id !== undefined && subject.seq !== undefined ? `${subject.client_id}/${subject.seq}` : undefined;
    const identity = request !== undefined ? `${a.kind}|${a.key}|${request}` : `${a.kind}|${a.key}|${a.message}`;
    const seen = byIdentity.get(identity);
    if (seen === undefined) {
      const listed: ListedAnomaly = { anomaly: a, alsoShownBy: [] };
      byIdentity.set(identity, listed);
      out.push(listed);
      continue;
    }
    // The checker lists the operation that shows the anomaly last.
    const shownBy = a.ops[a.ops.length - 1];
    const firstShownBy = seen.anomaly.ops[seen.anomaly.ops.length - 1];
    const at = shownBy === undefined ? undefined : (shownBy.completion?.index ?? shownBy.invoke.index);
    if (shownBy === firstShownBy || at === undefined) continue;
    let set = named.get(seen);
    if (set === undefined) named.set(seen, (set = new Set()));
    if (!set.has(at)) {
      set.add(at);
      seen.alsoShownBy.push(at);
    }
  }
  for (const listed of out) listed.alsoShownBy.sort((x, y) => x - y);
  return out;
}

interface SummaryItem {
  text: string;
  /** "problem" items get the error colour; "info" items are neutral. */
  tone: "problem" | "info";
}

export function renderTimelineHtml(history: History, options: TimelineOptions = {}): string {
  const calls = pairOps(history);
  const result = options.result;
  const marks = new Map<number, Mark>();
  const mark = (id: number): Mark => {
    let m = marks.get(id);
    if (m === undefined) marks.set(id, (m = { cls: [], notes: [] }));
    return m;
  };
  const note = (m: Mark, text: string): void => {
    if (!m.notes.includes(text)) m.notes.push(text);
  };
  let verdict = "";
  let verdictCls: "good" | "bad" | "unknown" = "unknown";
  const summary: SummaryItem[] = [];
  let moreAnomalies: SummaryItem[] = [];
  let prefixEnd: number | undefined;
  let focus: number | undefined;
  if (isLin(result)) {
    verdict = result.valid === true ? "linearizable" : result.valid === false ? "NOT linearizable" : "unknown";
    verdictCls = result.valid === true ? "good" : result.valid === false ? "bad" : "unknown";
    if (result.failure !== undefined) {
      const f = result.failure;
      prefixEnd = f.prefixEnd;
      focus = f.op.callIndex;
      for (const c of f.involved) mark(c.id).cls.push("involved");
      const fm = mark(f.op.id);
      fm.cls.push("failed");
      note(fm, "cannot be linearized");
      summary.push({ text: f.message, tone: "problem" });
      for (const p of f.partials.slice(0, 3)) {
        const steps = p.steps.map((s) => `${s.description} [p${String(s.op.process)}] → ${s.stateAfter}`).join(" · ");
        summary.push({ text: `Partial order reached: ${p.skipped > 0 ? `(${p.skipped} earlier ops) ` : ""}state ${p.stateBefore} · ${steps || "(nothing linearized)"}`, tone: "info" });
        p.steps.forEach((s, i) => {
          const m = mark(s.op.id);
          if (m.badge === undefined) m.badge = `p${i + 1}`;
        });
      }
    }
    if (result.linearization !== undefined) {
      for (const [key, ids] of Object.entries(result.linearization)) {
        ids.forEach((id, rank) => {
          const m = mark(id);
          m.badge = String(rank + 1);
          note(m, `linearized #${rank + 1}${key === "" ? "" : ` on key ${key}`}`);
        });
      }
      summary.push({ text: "Numbers on the bars give the order in which the operations took effect (per key).", tone: "info" });
    }
    if (result.unknownReason !== undefined) summary.push({ text: `Unknown: ${result.unknownReason}`, tone: "info" });
  } else if (result !== undefined) {
    verdict = result.valid === true ? "exactly once" : result.valid === false ? "NOT exactly once" : "unknown";
    verdictCls = result.valid === true ? "good" : result.valid === false ? "bad" : "unknown";
    result.anomalies.forEach((a, i) => {
      for (const c of a.ops) {
        const m = mark(c.id);
        if (!m.cls.includes(i === 0 ? "failed" : "involved")) m.cls.push(i === 0 ? "failed" : "involved");
        note(m, a.kind);
      }
      if (i === 0 && a.ops[0] !== undefined) focus = a.ops[0].callIndex;
    });
    const listed = listAnomalies(result.anomalies).map(({ anomaly, alsoShownBy }) => ({
      text: `[${anomaly.kind}] ${anomaly.message}${alsoShownBy.length > 0 ? ` (also shown by op${alsoShownBy.length === 1 ? "" : "s"} ${alsoShownBy.slice(0, 8).join(", ")}${alsoShownBy.length > 8 ? ` and ${alsoShownBy.length - 8} more` : ""})` : ""}`,
      tone: "problem" as const,
    }));
    summary.push(...listed.slice(0, ANOMALIES_SHOWN));
    moreAnomalies = listed.slice(ANOMALIES_SHOWN);
    if (result.unknownReason !== undefined) summary.push({ text: `Unknown: ${result.unknownReason}`, tone: "info" });
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
  // Rows in order of first appearance; faults have their own band.
  for (let i = from; i < to; i++) if (history[i]!.process !== "nemesis") rowOf(history[i]!.process);

  // The axis: time since the first event drawn when every event has a time
  // (in ms, or µs or ns for a history shorter than one), else event positions.
  const timed = to > from && history.slice(from, to).every((o) => typeof o.time === "number" && Number.isFinite(o.time));
  // Min and max, not first and last: a hand-written history may not be in time order.
  let firstNs = Infinity;
  let lastNs = -Infinity;
  if (timed) {
    for (let i = from; i < to; i++) {
      firstNs = Math.min(firstNs, history[i]!.time!);
      lastNs = Math.max(lastNs, history[i]!.time!);
    }
  } else firstNs = lastNs = 0;
  const spanNs = lastNs - firstNs;
  const unitNs = !timed || spanNs >= 1e6 ? 1e6 : spanNs >= 1e3 ? 1e3 : 1;
  const unitName = !timed ? "event" : unitNs === 1e6 ? "ms" : unitNs === 1e3 ? "µs" : "ns";
  const origin = timed ? firstNs / unitNs : 0;
  const at = (i: number): number => (timed ? (history[i]!.time! - firstNs) / unitNs : i - from);
  const lastUnit = timed ? spanNs / unitNs : to > from ? at(to - 1) : 0;
  // Open-ended bars (info, pending) run past the last event by a little.
  const spanUnits = Math.max(timed ? lastUnit * 1.02 : lastUnit + 1, 1);

  const details: Array<Record<string, string>> = [];
  const bars: string[] = [];
  // The calls with an event in the window, and those open across all of it
  // (called before, completed after): the marked ones of these, then the
  // others while the bars stay within half maxEvents (two events a bar).
  // Many calls left open (invokes never completed) would otherwise all be
  // drawn, each on a row of its own.
  const across = (c: Call): boolean => c.callIndex < from && c.completionIndex >= to;
  const inWindow = calls.filter((c) => c.callIndex < to && c.completionIndex >= from && !across(c)).length;
  let room = Math.max(0, Math.floor(maxEvents / 2) - inWindow);
  let notDrawn = 0;
  const visible = calls.filter((c) => {
    if (c.callIndex >= to || c.completionIndex < from) return false;
    if (!across(c) || marks.has(c.id)) return true;
    if (room > 0) {
      room--;
      return true;
    }
    notDrawn++;
    return false;
  });
  // The timeline is one tab stop (a roving tabindex, moved by the script):
  // the failing operation, else the first one drawn, else the first fault.
  const failedDrawn = visible.find((c) => marks.get(c.id)?.cls.includes("failed"));
  const stopId = (failedDrawn ?? visible[0])?.id;
  for (const c of visible) {
    const a = c.callIndex >= from ? at(c.callIndex) : 0;
    const b = Number.isFinite(c.completionIndex) && c.completionIndex < to ? at(c.completionIndex) : spanUnits;
    const m = marks.get(c.id);
    const cls = ["op", c.outcome, ...(m?.cls ?? [])];
    const i = details.length;
    const texts = callTexts(c);
    details.push(detailOf(c, m?.notes, texts));
    bars.push(
      flatString(
        `<div class="${cls.join(" ")}" data-i="${i}" id="op-${c.id}"${c.id === stopId ? ` tabindex="0"` : ""} ${CONTROL} aria-label="${esc(accessibleName(c, texts, m))}" style="--a:${num(a)};--b:${num(b)};top:${rowOf(c.process) * ROW_PX + 4}px">` +
          (m?.badge !== undefined ? `<span class="badge">${esc(m.badge)}</span>` : "") +
          `<span class="label">${esc(labelOf(c, texts))}</span></div>`,
      ),
    );
  }
  const faults: string[] = [];
  const faultLines: string[] = [];
  const faultList: string[] = [];
  for (let i = from; i < to; i++) {
    const op = history[i]!;
    if (op.process !== "nemesis") continue;
    const d = details.length;
    const label = faultLabel(op);
    const when = timed ? `${num(op.time! / unitNs)} ${unitName}` : `event ${i}`;
    details.push({ fault: label, f: op.f, value: show(op.value), index: String(op.index), ...(op.time !== undefined ? { time: `${op.time} ns` } : {}) });
    const stop = stopId === undefined && faults.length === 0 ? ` tabindex="0"` : "";
    faults.push(`<div class="fault" data-i="${d}"${stop} ${CONTROL} aria-label="${esc(`fault at ${when}: ${label}`)}" style="--a:${num(at(i))}">⚡ ${esc(label.length > 60 ? label.slice(0, 60) + "…" : label)}</div>`);
    faultLines.push(`<div class="fault-line" style="--a:${num(at(i))}"></div>`);
    faultList.push(`<li><button type="button" class="goto" data-a="${num(at(i))}">${esc(when)}</button> ${esc(label)}</li>`);
  }
  if (prefixEnd !== undefined && prefixEnd >= from && prefixEnd < to) {
    bars.push(`<div class="prefix-end" style="--a:${num(at(prefixEnd))}" title="The history up to here cannot be linearized"></div>`);
  }
  const firstCall = new Map<Process, Call>();
  for (const c of calls) if (!firstCall.has(c.process)) firstCall.set(c.process, c);
  const labels = [...rowsByProcess.entries()].map(([p, r]) => {
    const first = firstCall.get(p);
    const id = first?.invoke.client_id;
    // A long client_id is shortened on the row (the tooltip has it whole).
    const shortId = id !== undefined && id.length > 12 ? `${id.slice(0, 6)}…${id.slice(-3)}` : id;
    const full = `process ${String(p)}${id !== undefined ? ` · ${id}` : ""}`;
    return `<div class="row-label" style="top:${r * ROW_PX}px" title="${esc(full)}">${esc(`process ${String(p)}${shortId !== undefined ? ` · ${shortId}` : ""}`)}</div>`;
  });
  const stripes = [...rowsByProcess.values()].map((r) => `<div class="stripe" style="top:${r * ROW_PX}px"></div>`);
  const rowsHeight = Math.max(1, rowsByProcess.size) * ROW_PX + 8;
  const title = options.title ?? "History timeline";
  const windowNote =
    (from > 0 || to < history.length ? `<p class="note">Showing events ${from}–${to - 1} of ${history.length} (around the first problem).</p>` : "") +
    (notDrawn > 0 ? `<p class="note">${notDrawn} more operation${notDrawn === 1 ? " is" : "s are"} open across all of this window and not drawn.</p>` : "");
  const axisNote = timed
    ? `Time axis: ${unitName} since the start of the history (the first event shown is at ${num(origin)} ${unitName}).`
    : "The history has no :time on every event: the axis is the event's position in the history.";
  const data = JSON.stringify(details).replace(/</g, "\\u003c");
  const failed = calls.find((c) => marks.get(c.id)?.cls.includes("failed"));
  const summaryLi = (s: SummaryItem): string => `<li class="${s.tone}">${esc(s.text)}</li>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px}
h1,.note,.faults-list{overflow-wrap:anywhere}
.verdict{display:inline-block;padding:2px 8px;border-radius:4px;font-weight:600;margin-left:8px;font-size:13px}
.verdict.good{background:#d8f5dd;color:#135c22}.verdict.bad{background:#fbd9d9;color:#8a1010}.verdict.unknown{background:#fff1c2;color:#6b5200}
.summary{margin:8px 0;padding:0;list-style:none;max-width:1100px}.summary li{margin:4px 0;padding:4px 8px;background:#f6f6f8;border-left:3px solid #999;word-break:break-word}
.summary li.problem{border-left-color:#c62828}
details.more{margin:4px 0 8px}
.note{color:#666;margin:4px 0}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:18px;height:10px;margin-right:4px;vertical-align:middle;border-radius:2px}
.faults-box{max-height:8.5em;overflow:auto;margin:4px 0}
.faults-list{margin:0;padding-left:18px;font-size:12px;columns:2 420px}
.faults-list li{break-inside:avoid}
button.goto{font:11px ui-monospace,monospace;border:1px solid #ccc;background:#fff;border-radius:3px;padding:0 4px;cursor:pointer}
.toolbar{margin:6px 0;display:flex;gap:6px;align-items:center}
.toolbar button{font:13px system-ui,sans-serif;padding:2px 10px;border:1px solid #bbb;border-radius:4px;background:#f7f7f7;cursor:pointer}
.toolbar .hint{color:#777;font-size:12px}
#scroll{overflow:auto;border:1px solid #ddd;max-height:75vh;position:relative}
#canvas{position:relative;--k:4;width:calc(${LABEL_PX}px + ${num(spanUnits)} * var(--k) * 1px + 24px)}
#axis{position:sticky;top:0;height:26px;overflow:hidden;background:#fff;border-bottom:1px solid #ccc;z-index:6}
.tick{position:absolute;top:0;height:26px;border-left:1px solid #999;font:10px ui-monospace,monospace;color:#444;padding-left:3px;white-space:nowrap;line-height:14px}
.tick::after{content:"";position:absolute;left:-1px;top:14px;height:12px;border-left:1px solid #999}
#axis .unit{position:absolute;left:0;top:0;width:${LABEL_PX - 8}px;padding-left:6px;line-height:26px;font-size:11px;color:#555;background:#fff;z-index:7}
#faults{position:relative;height:0;border-bottom:1px solid #eee}
#rows{position:relative;height:${rowsHeight}px}
.stripe{position:absolute;left:0;right:0;height:${ROW_PX}px;border-bottom:1px solid #f0f0f0}
.row-label{position:absolute;left:0;width:${LABEL_PX - 8}px;height:${ROW_PX}px;line-height:${ROW_PX}px;padding-left:6px;background:#fafafa;color:#555;font-size:11px;white-space:nowrap;overflow:hidden;z-index:5}
.op,.fault,.fault-line,.prefix-end{left:calc(${LABEL_PX}px + var(--a) * var(--k) * 1px)}
.op{position:absolute;width:max(5px,calc((var(--b) - var(--a)) * var(--k) * 1px));height:${ROW_PX - 8}px;border-radius:3px;box-sizing:border-box;border:1px solid rgba(0,0,0,.25);font-size:11px;line-height:${ROW_PX - 10}px;white-space:nowrap;overflow:hidden;cursor:pointer;z-index:1}
.op.ok{background:#9fd8a8}.op.fail{background:#e0e0e0;color:#777}.op.info{background:linear-gradient(90deg,#ffcf7a 60%,rgba(255,207,122,.15))}.op.pending{background:linear-gradient(90deg,#c9c9e8 60%,rgba(201,201,232,.15))}
.op.involved{outline:2px solid #f39c12;z-index:3}
.op.failed{outline:3px solid #d32f2f;box-shadow:0 0 0 5px rgba(211,47,47,.25);z-index:4}
.op:hover{filter:brightness(.92)}
.op:focus-visible,.fault:focus-visible{outline:3px solid #0b57d0;outline-offset:2px;z-index:8}
.op[aria-expanded="true"],.fault[aria-expanded="true"]{box-shadow:0 0 0 2px #fff,0 0 0 4px #0b57d0}
.fault{cursor:pointer}
#details{position:fixed;right:16px;bottom:16px;width:min(520px,calc(100vw - 64px));max-height:60vh;overflow:auto;background:#fff;border:1px solid #888;border-radius:6px;box-shadow:0 4px 18px rgba(0,0,0,.25);padding:8px 12px;z-index:11}
#details[hidden]{display:none}
#details:focus-visible{outline:3px solid #0b57d0}
#details h2{font-size:13px;margin:0 28px 6px 0;overflow-wrap:anywhere}
#details dl{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;font:12px/1.4 ui-monospace,monospace}
#details dt{color:#555}#details dd{margin:0;white-space:pre-wrap;word-break:break-all}
#details-close{position:absolute;top:6px;right:8px;font:16px system-ui,sans-serif;line-height:1;border:1px solid #bbb;border-radius:4px;background:#f7f7f7;cursor:pointer;padding:2px 7px}
button:focus-visible,summary:focus-visible{outline:3px solid #0b57d0;outline-offset:1px}
.badge{display:inline-block;min-width:14px;padding:0 3px;margin:1px 3px 0 1px;background:#263238;color:#fff;border-radius:7px;font-size:10px;line-height:14px;text-align:center}
.label{padding-left:3px}
.fault{position:absolute;height:16px;padding:0 4px;background:#ede7f6;border:1px solid #9575cd;border-radius:3px;font-size:11px;line-height:14px;white-space:nowrap;color:#4527a0;z-index:2}
.fault-line{position:absolute;top:0;bottom:0;width:0;border-left:1px dashed #9575cd}
.prefix-end{position:absolute;top:0;bottom:0;width:0;border-left:2px solid #d32f2f;z-index:5}
#tip{position:fixed;display:none;max-width:520px;background:#263238;color:#fff;padding:8px 10px;border-radius:4px;font:12px/1.4 ui-monospace,monospace;z-index:10;pointer-events:none;white-space:pre-wrap;word-break:break-all}
</style>
</head>
<body>
<h1>${esc(title)}${verdict === "" ? "" : `<span class="verdict ${verdictCls}" id="verdict">${esc(verdict)}</span>`}</h1>
${options.subtitle !== undefined ? `<p class="note">${esc(options.subtitle)}</p>` : ""}
<p class="legend"><span><i style="background:#9fd8a8"></i>ok</span><span><i style="background:#ffcf7a"></i>info (may or may not have happened)</span><span><i style="background:#c9c9e8"></i>never completed</span><span><i style="background:#e0e0e0"></i>fail (did not happen)</span><span><i style="outline:3px solid #d32f2f;background:#fff"></i>the failing operation</span><span><i style="outline:2px solid #f39c12;background:#fff"></i>involved</span><span><i style="background:#ede7f6;border:1px solid #9575cd"></i>fault</span></p>
${summary.length > 0 ? `<ul class="summary" id="summary">${summary.map(summaryLi).join("")}</ul>` : ""}
${moreAnomalies.length > 0 ? `<details class="more"><summary>${moreAnomalies.length} more anomal${moreAnomalies.length === 1 ? "y" : "ies"}</summary><ul class="summary" id="more-anomalies">${moreAnomalies.map(summaryLi).join("")}</ul></details>` : ""}
${faultList.length > 0 ? `<details class="more" open><summary>Faults (${faultList.length}; click a time to zoom there)</summary><div class="faults-box"><ol class="faults-list" id="faults-list">${faultList.join("")}</ol></div></details>` : ""}
${windowNote}
<div class="toolbar"><button type="button" id="zoom-out" title="zoom out (-)">−</button><button type="button" id="zoom-in" title="zoom in (+)">+</button><button type="button" id="zoom-fit" title="fit the whole window (0)">fit</button>${failed !== undefined ? `<button type="button" id="zoom-failure">go to the failing operation</button>` : ""}<span class="hint" id="hint">ctrl+wheel or the + / - / 0 keys zoom; hover a bar for details, click it for a panel of them. From the keyboard: Tab reaches the timeline, the arrow keys (and Home / End) move between its bars, Enter or Space opens a bar's details and Escape closes them. ${esc(axisNote)}</span></div>
<div id="scroll"><div id="canvas" role="group" aria-label="timeline" aria-describedby="hint" data-unit="${unitName}" data-unit-ns="${unitNs}" data-origin="${num(origin)}" data-span="${num(spanUnits)}">
<div id="axis"><div class="unit">${timed ? `time (${unitName})` : "event #"}</div></div>
<div id="faults">
${faults.join("\n")}
</div>
<div id="rows">
${stripes.join("\n")}
${labels.join("\n")}
${faultLines.join("\n")}
${bars.join("\n")}
</div>
</div></div>
<div id="details" role="dialog" aria-labelledby="details-title" tabindex="-1" hidden><h2 id="details-title"></h2><button type="button" id="details-close" aria-label="close the details (Escape)">×</button><dl id="details-body"></dl></div>
<div id="tip"></div>
<script type="application/json" id="ops">${data}</script>
<script>
${SCRIPT}
</script>
</body>
</html>
`;
}

/** The page's behaviour: tooltips, zoom, axis ticks, fault lanes, sticky row labels. */
const SCRIPT = `(function () {
  var LABEL_PX = ${LABEL_PX};
  var details = JSON.parse(document.getElementById("ops").textContent);
  var tip = document.getElementById("tip");
  var scroll = document.getElementById("scroll");
  var canvas = document.getElementById("canvas");
  var axis = document.getElementById("axis");
  var faultBand = document.getElementById("faults");
  var unit = canvas.getAttribute("data-unit");
  var origin = Number(canvas.getAttribute("data-origin"));
  var span = Number(canvas.getAttribute("data-span"));
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

  // Zoom: k is px per axis unit; the fitted k shows the whole window.
  var k = 1;
  function fitK() { return Math.max(1e-9, (scroll.clientWidth - LABEL_PX - 30) / span); }
  function minK() { return fitK(); }
  function maxK() { return Math.max(fitK(), Math.min(fitK() * 65536, 2000000 / span)); }
  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  var unitNs = Number(canvas.getAttribute("data-unit-ns"));
  function tickText(v, step) {
    if (unit === "event") return String(Math.round(v));
    var ns = v * unitNs, stepNs = step * unitNs;
    var digits = function (s) { return Math.max(0, Math.min(6, -Math.floor(Math.log10(s) + 1e-9))); };
    if (stepNs >= 1e9) return (ns / 1e9).toFixed(digits(stepNs / 1e9)) + " s";
    if (stepNs >= 1e6) return (ns / 1e6).toFixed(digits(stepNs / 1e6)) + " ms";
    if (stepNs >= 1e3) return (ns / 1e3).toFixed(digits(stepNs / 1e3)) + " µs";
    return ns.toFixed(digits(stepNs)) + " ns";
  }
  function drawTicks() {
    var old = axis.querySelectorAll(".tick");
    for (var i = 0; i < old.length; i++) old[i].remove();
    var step = niceStep(110 / k);
    if (unit === "event" || unitNs === 1) step = Math.max(1, step);
    // Only the ticks near the visible part: a deep zoom has millions of px.
    var lo = origin + Math.max(0, (scroll.scrollLeft - scroll.clientWidth) / k);
    var hi = origin + Math.min(span, (scroll.scrollLeft + 2 * scroll.clientWidth) / k);
    for (var n = Math.ceil(lo / step); n * step <= hi + 1e-9; n++) {
      var v = n * step;
      var t = document.createElement("div");
      t.className = "tick";
      t.style.left = (LABEL_PX + (v - origin) * k) + "px";
      t.textContent = tickText(v, step);
      axis.appendChild(t);
    }
  }
  // Fault labels in lanes, so that neighbours do not overlap at this zoom.
  function layFaults() {
    var els = faultBand.querySelectorAll(".fault");
    var ends = [], right = canvas.offsetWidth;
    for (var i = 0; i < els.length; i++) {
      // A label near the end is drawn leftwards, so it never widens the page.
      var shift = Math.min(0, right - (els[i].offsetLeft + els[i].offsetWidth));
      els[i].style.transform = shift < 0 ? "translateX(" + shift + "px)" : "";
      var left = els[i].offsetLeft + shift, lane = 0;
      while (lane < ends.length && ends[lane] > left - 4) lane++;
      ends[lane] = left + els[i].offsetWidth;
      els[i].style.top = (3 + lane * 19) + "px";
    }
    faultBand.style.height = (els.length === 0 ? 0 : 6 + ends.length * 19) + "px";
  }
  function setK(next, anchorPx) {
    var old = k;
    k = Math.min(maxK(), Math.max(minK(), next));
    var anchor = anchorPx === undefined ? scroll.clientWidth / 2 : anchorPx;
    var unitAt = (scroll.scrollLeft + anchor - LABEL_PX) / old;
    canvas.style.setProperty("--k", String(k));
    canvas.setAttribute("data-px-per-unit", String(k));
    layFaults();
    scroll.scrollLeft = Math.max(0, LABEL_PX + unitAt * k - anchor);
    onScroll();
  }
  function show(a, b) {
    var w = Math.max(b - a, span / 4000);
    setK(Math.max(fitK(), (scroll.clientWidth - LABEL_PX) * 0.25 / w));
    scroll.scrollLeft = Math.max(0, LABEL_PX + ((a + b) / 2) * k - (scroll.clientWidth + LABEL_PX) / 2);
  }
  document.getElementById("zoom-in").addEventListener("click", function () { setK(k * 2); });
  document.getElementById("zoom-out").addEventListener("click", function () { setK(k / 2); });
  document.getElementById("zoom-fit").addEventListener("click", function () { setK(fitK()); });
  scroll.addEventListener("wheel", function (e) {
    if (!e.ctrlKey) return;
    e.preventDefault();
    setK(e.deltaY < 0 ? k * 1.25 : k / 1.25, e.clientX - scroll.getBoundingClientRect().left);
  }, { passive: false });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && opener) { e.preventDefault(); closeDetails(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "+" || e.key === "=") setK(k * 2);
    else if (e.key === "-" || e.key === "_") setK(k / 2);
    else if (e.key === "0") setK(fitK());
  });
  var failed = document.querySelector(".op.failed");
  var goFail = document.getElementById("zoom-failure");
  function styleNum(el, name) { return Number(el.style.getPropertyValue(name)); }
  if (goFail && failed) goFail.addEventListener("click", function () {
    show(styleNum(failed, "--a"), styleNum(failed, "--b"));
    scroll.scrollTop = Math.max(0, failed.offsetTop - scroll.clientHeight / 2);
  });
  var gotos = document.querySelectorAll("button.goto");
  for (var g = 0; g < gotos.length; g++) gotos[g].addEventListener("click", function (e) {
    var a = Number(e.currentTarget.getAttribute("data-a"));
    show(a - span / 200, a + span / 200);
  });
  // Keep the process names in view while scrolling sideways.
  var rowLabels = document.querySelectorAll(".row-label");
  var unitLabel = axis.querySelector(".unit");
  function onScroll() {
    drawTicks();
    for (var i = 0; i < rowLabels.length; i++) rowLabels[i].style.left = scroll.scrollLeft + "px";
    unitLabel.style.left = scroll.scrollLeft + "px";
  }
  scroll.addEventListener("scroll", onScroll);

  // The keyboard. The timeline is one tab stop: the bar holding tabindex=0
  // (one at a time, moved by the arrow keys), so a page of thousands of bars
  // costs one Tab. Lanes: the fault band, then each process row, each by
  // start; built on first use. One listener each for keys and clicks.
  var panel = document.getElementById("details");
  var panelTitle = document.getElementById("details-title");
  var panelBody = document.getElementById("details-body");
  var opener = null;
  var lanes = null, where = null;
  function buildLanes() {
    var rows = {}, tops = [];
    var ops = document.querySelectorAll("#rows .op");
    for (var i = 0; i < ops.length; i++) {
      var t = parseFloat(ops[i].style.top);
      if (!rows[t]) { rows[t] = []; tops.push(t); }
      rows[t].push(ops[i]);
    }
    tops.sort(function (x, y) { return x - y; });
    lanes = [];
    var fs = Array.prototype.slice.call(faultBand.querySelectorAll(".fault"));
    if (fs.length > 0) lanes.push(fs);
    for (var r = 0; r < tops.length; r++) lanes.push(rows[tops[r]]);
    where = new Map();
    for (var l = 0; l < lanes.length; l++) {
      lanes[l].sort(function (x, y) { return styleNum(x, "--a") - styleNum(y, "--a"); });
      for (var j = 0; j < lanes[l].length; j++) where.set(lanes[l][j], [l, j]);
    }
  }
  function nearest(lane, a) {
    var best = lane[0], gap = Infinity;
    for (var i = 0; i < lane.length; i++) {
      var g = Math.abs(styleNum(lane[i], "--a") - a);
      if (g < gap) { gap = g; best = lane[i]; }
    }
    return best;
  }
  /** The bar a navigation key leads to from el; null at an edge; undefined for any other key. */
  function neighbour(el, key) {
    if (!lanes) buildLanes();
    var at = where.get(el);
    if (!at) return undefined;
    var lane = lanes[at[0]];
    if (key === "ArrowRight") return lane[at[1] + 1] || null;
    if (key === "ArrowLeft") return lane[at[1] - 1] || null;
    if (key === "Home") return lane[0];
    if (key === "End") return lane[lane.length - 1];
    if (key === "ArrowDown" || key === "ArrowUp") {
      var other = lanes[at[0] + (key === "ArrowDown" ? 1 : -1)];
      return other ? nearest(other, styleNum(el, "--a")) : null;
    }
    return undefined;
  }
  function makeStop(el) {
    var old = canvas.querySelector("[tabindex]");
    if (old && old !== el) old.removeAttribute("tabindex");
    el.setAttribute("tabindex", "0");
  }
  /** Scrolls el into view clear of the sticky process names. */
  function reveal(el) {
    el.scrollIntoView({ block: "nearest", inline: "nearest" });
    var hidden = scroll.getBoundingClientRect().left + LABEL_PX - el.getBoundingClientRect().left;
    if (hidden > 0) scroll.scrollLeft = Math.max(0, scroll.scrollLeft - hidden - 8);
  }
  function moveTo(el) {
    makeStop(el);
    el.focus({ preventScroll: true });
    reveal(el);
  }
  function openDetails(el) {
    if (opener && opener !== el) opener.setAttribute("aria-expanded", "false");
    opener = el;
    makeStop(el);
    var d = details[Number(el.getAttribute("data-i"))];
    panelTitle.textContent = el.getAttribute("aria-label");
    panelBody.textContent = "";
    Object.keys(d).forEach(function (name) {
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = name;
      dd.textContent = d[name];
      panelBody.appendChild(dt);
      panelBody.appendChild(dd);
    });
    panel.hidden = false;
    el.setAttribute("aria-expanded", "true");
    tip.style.display = "none";
    panel.focus({ preventScroll: true });
  }
  function closeDetails() {
    var el = opener;
    opener = null;
    panel.hidden = true;
    el.setAttribute("aria-expanded", "false");
    el.focus({ preventScroll: true });
    reveal(el);
  }
  document.getElementById("details-close").addEventListener("click", closeDetails);
  canvas.addEventListener("click", function (e) {
    var el = e.target.closest("[data-i]");
    if (el) openDetails(el);
  });
  canvas.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var el = e.target.closest("[data-i]");
    if (!el) return;
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openDetails(el); return; }
    var next = neighbour(el, e.key);
    if (next === undefined) return;
    e.preventDefault();
    if (next) moveTo(next);
  });
  window.addEventListener("resize", function () { if (k < fitK()) setK(fitK()); });
  setK(fitK());
  if (failed) scroll.scrollTop = Math.max(0, failed.offsetTop - scroll.clientHeight / 2);
})();`;

/** What every bar and fault carries: a button that opens the details panel. */
const CONTROL = `role="button" aria-expanded="false" aria-controls="details"`;

const OUTCOME_SPOKEN: Record<Call["outcome"], string> = {
  ok: "ok",
  fail: "fail, did not happen",
  info: "info, may or may not have happened",
  pending: "never completed",
};

/**
 * A bar's name for assistive technology: its process, its label (function,
 * key, argument, result), its outcome in words and what the checker says of
 * it (`process 1: read → 1 (ok; cannot be linearized)`).
 */
function accessibleName(c: Call, texts: CallTexts, m: Mark | undefined): string {
  const said = [OUTCOME_SPOKEN[c.outcome], ...(m?.notes ?? [])];
  if (m?.cls.includes("involved") && !m.cls.includes("failed")) said.push("involved in the failure");
  return `process ${String(c.process)}: ${labelOf(c, texts)} (${said.join("; ")})`;
}

function detailOf(c: Call, notes: readonly string[] | undefined, texts: CallTexts): Record<string, string> {
  const d: Record<string, string> = {
    op: `${c.f} (${c.outcome})`,
    process: String(c.process),
  };
  if (c.invoke.key !== undefined) d.key = show(c.invoke.key);
  d.argument = clip(texts.argument);
  if (c.completion !== undefined) {
    d.result = c.outcome === "ok" ? clip(texts.result!) : c.outcome;
    if (c.completion.error !== undefined) d.error = show(c.completion.error);
  } else d.result = "never completed (indefinite)";
  if (c.invoke.client_id !== undefined) d.client_id = c.invoke.client_id;
  if (c.invoke.seq !== undefined) d.seq = String(c.invoke.seq);
  d.events = `${c.invoke.index} → ${c.completion?.index ?? "…"}`;
  if (c.invoke.time !== undefined) d.time = `${c.invoke.time} → ${c.completion?.time ?? "…"} ns`;
  if (notes !== undefined && notes.length > 0) d.checker = notes.join("; ");
  return d;
}
