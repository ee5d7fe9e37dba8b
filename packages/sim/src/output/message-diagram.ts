/**
 * The message-sequence (Lamport) diagram: one vertical line per client and
 * node, one arrow per message, time running down in event order (each send
 * and each receipt gets its own row, so concurrent traffic stays readable).
 * It marks retries (same client_id/seq sent again), client_id/seq on every
 * client message, duplicates answered from the session table, packets the
 * network dropped, duplicated or replayed late, faults, and the first
 * violation.
 *
 * The page opens scrolled to the focus: the request of the first violation
 * (its line and its requests in red), else the first retry answered from the
 * session, else the first retry or fault. It draws a window of about
 * `maxMessages` client messages around the focus with the node traffic
 * between them; a button swaps in the whole run (every client message and
 * fault, up to `wholeRunMaxMessages`, kept in an inert <template> until
 * asked for). The column headers stay in view while scrolling (sticky).
 * A message's details show on hover (its <title>), and open in a panel on a
 * click or on Enter or Space from the keyboard (Escape closes it, back to
 * the arrow); each view is one tab stop whose arrow keys walk the messages
 * in the order sent, and each arrow is a named button for assistive
 * technology.
 *
 * Invariants: the same input gives the same bytes; self-contained (inline
 * SVG, CSS and a small script, no request); the size is bounded by the two
 * message caps, not by the length of the run.
 */
import { escapeHtml, flatString } from "@dslab/checker";
import { summarizeBody, type TraceEntry, type TracedMessage } from "../network/trace.js";
import type { Verdict } from "../run/results.js";
import { indexTrace, type TraceIndex } from "./trace-index.js";

export interface DiagramInput {
  title: string;
  subtitle: string;
  nodeIds: readonly string[];
  entries: readonly TraceEntry[];
  /** The first violation, if any: drawn as a red line at its time. */
  violation?: { atMs: number; label: string };
  /** At most this many client messages are drawn (a window around the violation, else the start). Default 300. */
  maxMessages?: number;
  /** client endpoint -> client_id */
  clients?: Record<string, string>;
  /** Requests (client_id/seq) involved in the first violation: their messages are outlined in red. */
  involved?: ReadonlyArray<{ clientId: string; seq: number }>;
  /** The run's verdict, drawn as a coloured banner beside the title. */
  verdict?: Verdict;
  /**
   * At most this many client messages in the whole-run view (a window this
   * size around the focus when the run has more). Default 5,000: about
   * 3 MB of page, so a long run's diagram still opens quickly.
   */
  wholeRunMaxMessages?: number;
  /** The trace's index (`indexTrace`), when the caller has it already (messages.txt uses the same). */
  index?: TraceIndex;
}

interface Row {
  t: number;
  /** Tie-break: sends before receipts at the same instant, then trace order. */
  k: number;
  kind: "send" | "recv" | "fault" | "violation";
  /** The entry's index in the view's entries (-1 for the violation). */
  ref: number;
}

const COL_W = 120;
/** Client columns narrow down when there are many, so the nodes stay near the clients. */
const CLIENT_COL_W_MIN = 80;
const ROW_H = 16;
/** The first row's y in the body SVG. */
const TOP = 16;
const LEFT = 70;
/** Height of the sticky header that names the columns. */
const HEAD_H = 34;

/** `s` as HTML text or attribute value (the checker's escaping, which its timeline uses too). */
export const esc = escapeHtml;

/** Orders client columns as `a.localeCompare(b, "en", { numeric: true })` does, with one collator for every comparison. */
const COLUMN_ORDER = new Intl.Collator("en", { numeric: true });

/**
 * The window drawn: up to `max` client messages around the focus, plus the
 * node-to-node messages and faults of the same time span (node-to-node
 * traffic capped at twice `max`, so heartbeats never crowd out clients).
 */
function selectWindow(entries: readonly TraceEntry[], index: TraceIndex, max: number, aroundMs: number | undefined, withPeers: boolean): TraceEntry[] {
  const clientMsgs = index.clientMessages;
  let start = 0;
  if (clientMsgs.length > max && aroundMs !== undefined) {
    const idx = clientMsgs.findIndex((m) => m.sentAtMs >= aroundMs);
    const center = idx === -1 ? clientMsgs.length - 1 : idx;
    start = Math.max(0, Math.min(clientMsgs.length - max, center - Math.floor((max * 2) / 3)));
  }
  const picked = clientMsgs.slice(start, start + max);
  if (picked.length === 0) return entries.slice(0, max);
  const from = picked[0]!.sentAtMs;
  const to = picked[picked.length - 1]!.sentAtMs;
  const keep = new Set<TraceEntry>(picked);
  let peers = 0;
  const out: TraceEntry[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind === "fault") {
      if (e.atMs >= from && e.atMs <= to) out.push(e);
    } else if (index.peer[i] === 0) {
      if (keep.has(e)) out.push(e);
    } else if (withPeers && e.sentAtMs >= from && e.sentAtMs <= to && peers < 2 * max) {
      peers++;
      out.push(e);
    }
  }
  return out;
}

/** What every view shares: retry numbers, the requests of the violation, the focus. */
interface Marks {
  retryOf: Map<TracedMessage, number>;
  involved: Set<string>;
  /** The message the page opens at, if any. */
  focusMessage: TracedMessage | undefined;
  focusMs: number | undefined;
}

function markRun(input: DiagramInput, retries: Uint32Array): Marks {
  // A message listed twice keeps the number of its last listing.
  const retryOf = new Map<TracedMessage, number>();
  for (let i = 0; i < retries.length; i++) if (retries[i]! > 0) retryOf.set(input.entries[i] as TracedMessage, retries[i]!);
  const involved = new Set((input.involved ?? []).map((r) => `${r.clientId}/${r.seq}`));
  const isRequest = (m: TracedMessage): boolean => !input.nodeIds.includes(m.src);
  const isInvolved = (m: TracedMessage): boolean => m.clientId !== undefined && involved.has(`${m.clientId}/${m.seq}`);
  // Focus on the first violation (its first request from then on, else its
  // last before); else on a retry answered from the session (the point of
  // the unit); else the first retry; else the first fault.
  const retried = new Set<string>();
  for (const m of retryOf.keys()) retried.add(`${m.clientId}/${m.seq}`);
  const firstMessage = (ok: (m: TracedMessage) => boolean): TracedMessage | undefined => {
    for (const e of input.entries) if (e.kind === "message" && ok(e)) return e;
    return undefined;
  };
  let focusMessage: TracedMessage | undefined;
  if (input.violation) {
    const v = input.violation.atMs;
    const requests: TracedMessage[] = [];
    for (const m of input.entries) if (m.kind === "message" && isRequest(m) && isInvolved(m) && m.fate !== "duplicate" && m.fate !== "replayed") requests.push(m);
    focusMessage = requests.find((m) => m.sentAtMs >= v - 1e-6) ?? requests[requests.length - 1];
  } else {
    focusMessage =
      firstMessage((m) => m.fromSession === true && retried.has(`${m.clientId}/${m.seq}`)) ??
      retryOf.keys().next().value ??
      firstMessage((m) => m.fromSession === true);
  }
  const focusMs = input.violation?.atMs ?? focusMessage?.sentAtMs ?? input.entries.find((e) => e.kind === "fault")?.atMs;
  return { retryOf, involved, focusMessage, focusMs };
}

/** One drawn view of the run: the window around the focus, or the whole run. */
export interface View {
  /** The sticky header and the body SVG. */
  html: string;
  /** Where the page scrolls to: the focus, in body SVG coordinates (x: the span of its arrow). */
  focusX?: [number, number];
  focusY?: number;
  clientMessages: number;
  messages: number;
}

function drawView(input: DiagramInput, marks: Marks, entries: readonly TraceEntry[], withIds: boolean, isNode: ReadonlySet<string>): View {
  const clientCols = new Set<string>();
  for (const e of entries) {
    if (e.kind !== "message") continue;
    if (!isNode.has(e.src)) clientCols.add(e.src);
    if (!isNode.has(e.dest)) clientCols.add(e.dest);
  }
  const clients = [...clientCols].sort(COLUMN_ORDER.compare);
  const columns = [...clients, ...input.nodeIds];
  const clientW = clients.length > 8 ? CLIENT_COL_W_MIN : COL_W;
  const colX = new Map(columns.map((c, i) => [c, LEFT + Math.min(i, clients.length) * clientW + Math.max(0, i - clients.length) * COL_W]));

  const rows: Row[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind === "fault") rows.push({ t: e.atMs, k: i * 2, kind: "fault", ref: i });
    else {
      rows.push({ t: e.sentAtMs, k: i * 2, kind: "send", ref: i });
      if (e.deliveredAtMs !== undefined) rows.push({ t: e.deliveredAtMs, k: i * 2 + 1, kind: "recv", ref: i });
    }
  }
  if (input.violation) rows.push({ t: input.violation.atMs, k: Number.MAX_SAFE_INTEGER, kind: "violation", ref: -1 });
  rows.sort((a, b) => a.t - b.t || a.k - b.k);
  /** The y of each entry's send and receipt rows, by its index in `entries`. */
  const sendY: Array<number | undefined> = new Array<number | undefined>(entries.length).fill(undefined);
  const recvY: Array<number | undefined> = new Array<number | undefined>(entries.length).fill(undefined);
  let violationY: number | undefined;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const y = TOP + i * ROW_H;
    if (r.kind === "send") sendY[r.ref] = y;
    if (r.kind === "recv") recvY[r.ref] = y;
    if (r.kind === "violation") violationY = y;
  }
  const height = TOP + rows.length * ROW_H + 40;
  const width = LEFT + clients.length * clientW + input.nodeIds.length * COL_W + 40;

  const head: string[] = [];
  const svg: string[] = [];
  for (const c of columns) {
    const x = colX.get(c)!;
    const node = isNode.has(c);
    const cid = input.clients?.[c];
    svg.push(`<line class="life ${node ? "node" : "client"}" x1="${x}" y1="0" x2="${x}" y2="${height - 20}"/>`);
    head.push(`<g><title>${esc(cid ? `${c}: client_id ${cid}` : node ? `node ${c}` : c)}</title><text class="head ${node ? "node" : "client"}" x="${x}" y="${HEAD_H - 12}">${esc(c)}</text></g>`);
  }
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const y = TOP + i * ROW_H;
    if (r.kind === "send" && i % 10 === 0) svg.push(`<text class="time" x="4" y="${y + 4}">${r.t.toFixed(1)}ms</text>`);
    if (r.kind === "fault") {
      const f = entries[r.ref] as Extract<TraceEntry, { kind: "fault" }>;
      svg.push(`<line class="fault" x1="${LEFT - 20}" y1="${y}" x2="${width - 20}" y2="${y}"/>`);
      svg.push(`<text class="fault-label" x="${LEFT - 16}" y="${y - 5}">⚡ ${esc(f.label)} @${f.atMs.toFixed(0)}ms</text>`);
    }
    if (r.kind === "violation" && input.violation) {
      svg.push(`<line class="violation" x1="${LEFT - 20}" y1="${y}" x2="${width - 20}" y2="${y}"/>`);
      svg.push(`<text class="violation-label" x="${LEFT - 16}" y="${y - 5}">✖ first violation: ${esc(input.violation.label)} @${input.violation.atMs.toFixed(0)}ms</text>`);
    }
  }
  // The diagram is one tab stop (a roving tabindex, moved by the script):
  // the message the page opens at, else the first one sent.
  let stop = -1;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind !== "message" || !colX.has(e.src) || !colX.has(e.dest) || sendY[i] === undefined) continue;
    if (e === marks.focusMessage) {
      stop = i;
      break;
    }
    if (stop === -1 || sendY[i]! < sendY[stop]!) stop = i;
  }
  let focusX: [number, number] | undefined;
  let focusY: number | undefined = violationY;
  let clientMessages = 0;
  let messages = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind !== "message") continue;
    messages++;
    if (!(isNode.has(e.src) && isNode.has(e.dest))) clientMessages++;
    const x1 = colX.get(e.src);
    const x2 = colX.get(e.dest);
    const y1 = sendY[i];
    if (x1 === undefined || x2 === undefined || y1 === undefined) continue;
    const delivered = recvY[i];
    const dropped = e.fate.startsWith("dropped");
    const y2 = delivered ?? y1 + ROW_H * 2;
    const xEnd = dropped ? x1 + (x2 - x1) * 0.55 : x2;
    const yEnd = dropped ? y1 + (y2 - y1) * 0.55 : y2;
    const retry = marks.retryOf.get(e);
    const focused = e === marks.focusMessage;
    if (focused) {
      focusX = [Math.min(x1, xEnd), Math.max(x1, xEnd)];
      focusY = Math.min(y1, focusY ?? y1);
    }
    let classes = "msg";
    if (dropped) classes += " dropped";
    if (e.fate === "duplicate") classes += " dup";
    if (e.fate === "replayed") classes += " replayed";
    if (e.fromSession) classes += " session";
    if (e.type === "error") classes += " err";
    if (retry) classes += " retry";
    const involved = e.clientId !== undefined && marks.involved.size > 0 && marks.involved.has(`${e.clientId}/${e.seq}`);
    if (involved) classes += " involved";
    if (focused) classes += " focus";
    const ident = e.clientId !== undefined ? ` ${short(e.clientId)}/${e.seq ?? "-"}` : "";
    const name = e.type === "error" ? `error ${String(e.body.code)}${typeof e.body.leader === "string" ? `→${e.body.leader}` : ""}` : e.type;
    let tags = retry ? `retry #${retry}` : "";
    if (e.fate === "duplicate") tags = withTag(tags, "dup");
    if (e.fate === "replayed") tags = withTag(tags, "late replay");
    if (e.fromSession) tags = withTag(tags, "from session");
    if (dropped) tags = withTag(tags, e.fate.replace("dropped-", "✖ "));
    svg.push(
      flatString(
        `<g class="${classes}"${focused && withIds ? ' id="focus"' : ""}${i === stop ? ' tabindex="0"' : ""} role="button" aria-label="${esc(spokenName(e, name, retry, involved))}"><title>${esc(detailLines(e, tags))}</title>` +
          (focused ? `<line class="glow" x1="${x1}" y1="${y1}" x2="${xEnd}" y2="${yEnd}"/><circle class="halo" cx="${x1}" cy="${y1}" r="9"/>` : "") +
          `<line x1="${x1}" y1="${y1}" x2="${xEnd}" y2="${yEnd}" marker-end="url(#${dropped ? "x" : "arrow"})"/>` +
          `<text x="${(x1 + xEnd) / 2}" y="${(y1 + yEnd) / 2 - 3}">${esc(name + ident)}${tags ? ` [${esc(tags)}]` : ""}</text></g>`,
      ),
    );
  }
  const html =
    `<div class="heads"><svg xmlns="http://www.w3.org/2000/svg" class="head-svg" width="${width}" height="${HEAD_H}" viewBox="0 0 ${width} ${HEAD_H}">${head.join("")}</svg></div>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" class="body-svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${svg.join("\n")}\n</svg>`;
  return { html, ...(focusX !== undefined ? { focusX } : {}), ...(focusY !== undefined ? { focusY } : {}), clientMessages, messages };
}

/**
 * A message's details, one `name: value` a line: the tooltip on hover, and
 * the fields of the details panel (the script splits each line at its first
 * ": ").
 */
function detailLines(e: TracedMessage, tags: string): string {
  let t = `message: ${e.src} → ${e.dest} ${e.type}\nsent: ${e.sentAtMs.toFixed(2)} ms`;
  if (e.deliveredAtMs !== undefined) t += `\ndelivered: ${e.deliveredAtMs.toFixed(2)} ms`;
  t += `\nfate: ${e.fate}`;
  if (e.msgId !== undefined) t += `\nmsg_id: ${e.msgId}`;
  if (e.inReplyTo !== undefined) t += `\nin_reply_to: ${e.inReplyTo}`;
  if (e.clientId !== undefined) t += `\nclient_id: ${e.clientId}\nseq: ${e.seq ?? "-"}`;
  if (tags) t += `\nmarks: ${tags}`;
  return t + `\nbody: ${summarizeBody(e.body)}`;
}

const FATE_SPOKEN: Record<TracedMessage["fate"], string> = {
  delivered: "delivered",
  duplicate: "network duplicate, delivered",
  replayed: "late replay, delivered",
  "dropped-loss": "dropped (loss)",
  "dropped-partition": "dropped (partition)",
  "dropped-lost-reply": "dropped (lost reply)",
  "dropped-node-down": "dropped (node down)",
};

/**
 * An arrow's name for assistive technology: its ends, type, ids, fate and
 * marks (`n1 to n3: raft_append msg 12, delivered at 153.0 ms`,
 * `c1 to n1: append msg 2, client_id 7 seq 1, delivered at 6.2 ms, retry #1`).
 */
function spokenName(e: TracedMessage, name: string, retry: number | undefined, involved: boolean): string {
  let s = `${e.src} to ${e.dest}: ${name}`;
  if (e.msgId !== undefined) s += ` msg ${e.msgId}`;
  if (e.inReplyTo !== undefined) s += `, reply to ${e.inReplyTo}`;
  if (e.clientId !== undefined) s += `, client_id ${e.clientId} seq ${e.seq ?? "-"}`;
  const fate = FATE_SPOKEN[e.fate] ?? e.fate;
  s += e.deliveredAtMs !== undefined ? `, ${fate} at ${e.deliveredAtMs.toFixed(1)} ms` : `, sent at ${e.sentAtMs.toFixed(1)} ms, ${fate}`;
  if (retry) s += `, retry #${retry}`;
  if (e.fromSession) s += ", from session";
  if (involved) s += ", in the first violation";
  return s;
}

/** `tags` with `tag` after a comma, as a list joined with ", " (an empty tag adds nothing). */
function withTag(tags: string, tag: string): string {
  if (tag === "") return tags;
  return tags === "" ? tag : tags + ", " + tag;
}

function focusAttrs(v: View): string {
  return `${v.focusX !== undefined ? ` data-focus-x="${v.focusX[0]} ${v.focusX[1]}"` : ""}${v.focusY !== undefined ? ` data-focus-y="${v.focusY}"` : ""}`;
}

export function renderMessageDiagram(input: DiagramInput): string {
  const max = input.maxMessages ?? 300;
  const wholeMax = input.wholeRunMaxMessages ?? 5_000;
  const isNode = new Set(input.nodeIds);
  const index = input.index ?? indexTrace(input.entries, input.nodeIds);
  const marks = markRun(input, index.retries);
  const windowView = drawView(input, marks, selectWindow(input.entries, index, max, marks.focusMs, true), true, isNode);
  const clientTotal = index.clientMessages.length;
  // The whole run: every client message and fault (node traffic only in the window).
  const whole = clientTotal > windowView.clientMessages ? drawView(input, marks, selectWindow(input.entries, index, wholeMax, marks.focusMs, false), false, isNode) : undefined;
  return diagramPage(input, marks.focusMessage, windowView, whole, clientTotal, index.messages);
}

/**
 * The page around the drawn views: title, verdict, legend, the toggle
 * between the window and the whole run, and the script that opens the page
 * at `focus` (the message it opens at, if any).
 */
export function diagramPage(
  input: DiagramInput,
  focus: { fromSession?: boolean } | undefined,
  windowView: View,
  whole: View | undefined,
  clientTotal: number,
  total: number,
): string {
  const wholeNote =
    whole === undefined
      ? ""
      : whole.clientMessages < clientTotal
        ? `${whole.clientMessages} of ${clientTotal} client messages around the focus (the most one page draws; messages.txt has every one), with the faults`
        : `all ${clientTotal} client messages of the run, with the faults; node-to-node traffic is drawn in the window only`;
  const verdict = input.verdict;
  const focusText = input.violation
    ? `Opens at the first violation (${esc(input.violation.label)}, red line) and its request (highlighted in yellow).`
    : focus?.fromSession
      ? "Opens at the first retry answered from the session (highlighted in yellow)."
      : focus !== undefined
        ? "Opens at the first retry (highlighted in yellow)."
        : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body{font:13px system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px} .sub{color:#555;margin-bottom:8px}
.verdict{display:inline-block;padding:2px 8px;border-radius:4px;font-weight:600;margin-left:8px;font-size:13px;vertical-align:middle}
.verdict.valid{background:#d8f5dd;color:#135c22}.verdict.invalid{background:#fbd9d9;color:#8a1010}.verdict.unknown{background:#fff1c2;color:#6b5200}
.legend span{display:inline-block;margin-right:14px}
.legend i{display:inline-block;width:22px;height:3px;vertical-align:middle;margin-right:4px}
.toolbar{margin:8px 0}.toolbar button{font:13px system-ui,sans-serif;padding:2px 10px;border:1px solid #bbb;border-radius:4px;background:#f7f7f7;cursor:pointer}
.toolbar .note{color:#555;margin-left:8px}
.view{display:inline-block;min-width:100%}
.view[hidden]{display:none}
.heads{position:sticky;top:0;z-index:5;background:rgba(255,255,255,.96);border-bottom:1px solid #ccc}
.heads svg,.body-svg{display:block}
svg text{font:11px ui-monospace,monospace}
.head{font-weight:bold;text-anchor:middle;font-size:13px}.head.client{fill:#555}
.time{fill:#888;font-size:10px}
.life{stroke:#bbb;stroke-width:1}.life.node{stroke:#333;stroke-width:2}
.msg line{stroke:#2563eb;stroke-width:1.2}.msg text{fill:#1e3a8a;text-anchor:middle}
.msg.err line{stroke:#b45309}.msg.err text{fill:#92400e}
.msg.retry line{stroke:#7c3aed;stroke-width:2}.msg.retry text{fill:#5b21b6;font-weight:bold}
.msg.dup line{stroke-dasharray:5 3;stroke:#0891b2}.msg.replayed line{stroke:#ea580c;stroke-dasharray:2 2;stroke-width:2}.msg.replayed text{fill:#c2410c}
.msg.session line{stroke:#16a34a;stroke-width:2.2}.msg.session text{fill:#15803d;font-weight:bold}
.msg.dropped line{stroke:#dc2626;stroke-dasharray:3 3}.msg.dropped text{fill:#b91c1c}
.fault{stroke:#f59e0b;stroke-width:6;opacity:.35}.fault-label{fill:#b45309;font-weight:bold;font-size:12px}
.fault-label,.violation-label{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
.msg.involved line{stroke:#dc2626;stroke-width:3.5}.msg.involved text{fill:#dc2626;font-weight:bold;text-decoration:underline}
.halo{fill:none;stroke:#111;stroke-width:2;stroke-dasharray:3 2}.msg line.glow{stroke:#facc15;stroke-width:11;opacity:.55}
.violation{stroke:#dc2626;stroke-width:3}.violation-label{fill:#dc2626;font-weight:bold;font-size:12px}
.msg{cursor:pointer}.msg:focus{outline:none}
.msg:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.msg:focus-visible text{fill:#0b57d0}
.msg[aria-expanded="true"] line{stroke-width:4}
.hint{color:#555;margin:4px 0 8px}
kbd{font:11px ui-monospace,monospace;border:1px solid #bbb;border-radius:3px;padding:0 3px;background:#f7f7f7}
#details{position:fixed;right:16px;bottom:16px;width:min(520px,calc(100vw - 64px));max-height:60vh;overflow:auto;background:#fff;border:1px solid #888;border-radius:6px;box-shadow:0 4px 18px rgba(0,0,0,.25);padding:8px 12px;z-index:11}
#details[hidden]{display:none}
#details:focus-visible{outline:3px solid #0b57d0}
#details h2{font-size:13px;margin:0 28px 6px 0;overflow-wrap:anywhere}
#details dl{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;font:12px/1.4 ui-monospace,monospace}
#details dt{color:#555}#details dd{margin:0;white-space:pre-wrap;word-break:break-all}
#details-close{position:absolute;top:6px;right:8px;font:16px system-ui,sans-serif;line-height:1;border:1px solid #bbb;border-radius:4px;background:#f7f7f7;cursor:pointer;padding:2px 7px}
button:focus-visible{outline:3px solid #0b57d0;outline-offset:1px}
</style></head><body>
<h1>${esc(input.title)}${verdict !== undefined ? `<span class="verdict ${verdict}" id="verdict">${verdict}</span>` : ""}</h1>
<div class="sub">${esc(input.subtitle)} — ${windowView.messages} of ${total} traced messages shown. ${focusText}</div>
<p class="hint" id="keys">Hover an arrow for the full message; a click, or <kbd>Enter</kbd> or <kbd>Space</kbd> on it, opens its details in a panel that <kbd>Escape</kbd> closes. From the keyboard: <kbd>Tab</kbd> reaches the diagram (one stop, at the message it opens at), <kbd>↑</kbd> / <kbd>↓</kbd> move to the previous / next message in time, <kbd>Home</kbd> / <kbd>End</kbd> to the first / last.</p>
<div class="legend">
<span><i style="background:#2563eb"></i>request / reply</span>
<span><i style="background:#7c3aed"></i>retry (same client_id/seq)</span>
<span><i style="background:#16a34a"></i>answered from the session (duplicate)</span>
<span><i style="background:#0891b2"></i>network duplicate</span>
<span><i style="background:#ea580c"></i>late replay</span>
<span><i style="background:#dc2626"></i>dropped (✖ loss, partition, lost reply, node down)</span>
<span><i style="background:#f59e0b"></i>fault</span>
<span><i style="background:#dc2626;height:5px"></i>request in the first violation (bold, underlined)</span>
</div>
${
  whole !== undefined
    ? `<div class="toolbar"><button type="button" id="toggle-whole" data-window="Show the whole run (${clientTotal} client messages)" data-whole="Show the window around the ${input.violation ? "violation" : "focus"}">Show the whole run (${clientTotal} client messages)</button><span class="note" id="view-note" data-window="${esc(`Window: ${windowView.clientMessages} client messages around the ${input.violation ? "violation" : "focus"}, with the node traffic between them.`)}" data-whole="${esc(`Whole run: ${wholeNote}.`)}">${esc(`Window: ${windowView.clientMessages} client messages around the ${input.violation ? "violation" : "focus"}, with the node traffic between them.`)}</span></div>`
    : ""
}
<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker>
<marker id="x" viewBox="0 0 10 10" refX="5" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11"><path d="M1,1 L9,9 M9,1 L1,9" stroke="#dc2626" stroke-width="2"/></marker>
</defs></svg>
<div class="view" id="view-window" role="group" aria-label="message diagram: the window around the ${input.violation ? "violation" : "focus"}" aria-describedby="keys"${focusAttrs(windowView)}>
${windowView.html}
</div>
${whole !== undefined ? `<div class="view" id="view-whole" role="group" aria-label="message diagram: the whole run" aria-describedby="keys" hidden${focusAttrs(whole)}></div>\n<template id="whole-run">\n${whole.html}\n</template>` : ""}
<div id="details" role="dialog" aria-labelledby="details-title" tabindex="-1" hidden><h2 id="details-title"></h2><button type="button" id="details-close" aria-label="close the details (Escape)">×</button><dl id="details-body"></dl></div>
<script>
${SCRIPT}
</script>
</body></html>
`;
}

/**
 * Opens at the focus; swaps the window and the whole run. The keyboard: each
 * view is one tab stop (the arrow holding tabindex=0, moved by the arrow
 * keys in the order the messages were sent); Enter, Space or a click opens
 * the arrow's details (its <title>, one `name: value` a line) in a panel
 * that Escape or its button closes, giving the focus back to the arrow. One
 * listener each for keys and clicks, not one per arrow.
 */
const SCRIPT = `(function () {
  function scrollToFocus(view) {
    var body = view.querySelector(".body-svg");
    var head = view.querySelector(".heads");
    if (!body || !view.hasAttribute("data-focus-y")) return;
    var y = Number(view.getAttribute("data-focus-y"));
    var top = body.getBoundingClientRect().top + window.scrollY + y;
    var below = head.offsetHeight + (window.innerHeight - head.offsetHeight) * 0.3;
    // Sideways: both ends of the focused arrow in view, its left end first.
    var left = 0;
    if (view.hasAttribute("data-focus-x")) {
      var xs = view.getAttribute("data-focus-x").split(" ").map(Number);
      var x0 = body.getBoundingClientRect().left + window.scrollX;
      if (x0 + xs[1] + 24 > window.innerWidth) left = x0 + xs[1] + 24 - window.innerWidth;
      if (x0 + xs[0] - 40 < left) left = x0 + xs[0] - 40;
    }
    window.scrollTo(Math.max(0, left), Math.max(0, top - below));
  }
  var windowView = document.getElementById("view-window");
  var wholeView = document.getElementById("view-whole");
  var toggle = document.getElementById("toggle-whole");
  var note = document.getElementById("view-note");
  function showWhole(whole) {
    if (whole && wholeView.childElementCount === 0) wholeView.appendChild(document.getElementById("whole-run").content.cloneNode(true));
    windowView.hidden = whole;
    wholeView.hidden = !whole;
    toggle.textContent = toggle.getAttribute(whole ? "data-whole" : "data-window");
    note.textContent = note.getAttribute(whole ? "data-whole" : "data-window");
    if (opener) closeDetails(false);
    scrollToFocus(whole ? wholeView : windowView);
  }

  var panel = document.getElementById("details");
  var panelTitle = document.getElementById("details-title");
  var panelBody = document.getElementById("details-body");
  var opener = null;
  /** The arrows of a view in the order sent (by the y of their send), built on first use. */
  function orderOf(view) {
    if (view.messageOrder) return view.messageOrder;
    var gs = Array.prototype.slice.call(view.querySelectorAll("g.msg"));
    var ys = new Map();
    gs.forEach(function (g, i) { ys.set(g, [Number(g.querySelector("line:not(.glow)").getAttribute("y1")), i]); });
    gs.sort(function (a, b) { var p = ys.get(a), q = ys.get(b); return p[0] - q[0] || p[1] - q[1]; });
    view.messageOrder = gs;
    return gs;
  }
  /** The arrow a navigation key leads to from g; g itself at an edge; undefined for any other key. */
  function neighbour(g, key) {
    var order = orderOf(g.closest(".view"));
    var at = order.indexOf(g);
    if (key === "ArrowDown") return order[Math.min(order.length - 1, at + 1)];
    if (key === "ArrowUp") return order[Math.max(0, at - 1)];
    if (key === "Home") return order[0];
    if (key === "End") return order[order.length - 1];
    return undefined;
  }
  function makeStop(g) {
    var old = g.closest(".view").querySelectorAll("g.msg[tabindex]");
    for (var i = 0; i < old.length; i++) if (old[i] !== g) old[i].removeAttribute("tabindex");
    g.setAttribute("tabindex", "0");
  }
  /** Scrolls the window so that the arrow's start is in view, below the sticky column headers. */
  function reveal(g) {
    var line = g.querySelector("line:not(.glow)").getBoundingClientRect();
    var box = g.getBoundingClientRect();
    var top = g.closest(".view").querySelector(".heads").getBoundingClientRect().bottom + 8;
    var dy = 0, dx = 0;
    if (box.bottom > window.innerHeight - 8) dy = box.bottom - window.innerHeight + 8;
    if (line.top - dy < top) dy = line.top - top;
    if (box.right > window.innerWidth - 8) dx = box.right - window.innerWidth + 8;
    if (box.left - dx < 8) dx = box.left - 8;
    if (dx !== 0 || dy !== 0) window.scrollBy(dx, dy);
  }
  function moveTo(g) {
    makeStop(g);
    g.focus({ preventScroll: true });
    reveal(g);
  }
  function openDetails(g) {
    if (opener && opener !== g) opener.setAttribute("aria-expanded", "false");
    opener = g;
    makeStop(g);
    panelTitle.textContent = g.getAttribute("aria-label");
    panelBody.textContent = "";
    var title = g.querySelector("title");
    (title ? title.textContent : "").split("\\n").forEach(function (line) {
      var cut = line.indexOf(": ");
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = cut < 0 ? "" : line.slice(0, cut);
      dd.textContent = cut < 0 ? line : line.slice(cut + 2);
      panelBody.appendChild(dt);
      panelBody.appendChild(dd);
    });
    panel.hidden = false;
    g.setAttribute("aria-controls", "details");
    g.setAttribute("aria-expanded", "true");
    panel.focus({ preventScroll: true });
  }
  function closeDetails(giveFocusBack) {
    var g = opener;
    opener = null;
    panel.hidden = true;
    g.setAttribute("aria-expanded", "false");
    if (giveFocusBack) { g.focus({ preventScroll: true }); reveal(g); }
  }
  document.getElementById("details-close").addEventListener("click", function () { closeDetails(true); });
  document.addEventListener("click", function (e) {
    var g = e.target.closest && e.target.closest(".view g.msg");
    if (g) openDetails(g);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && opener) { e.preventDefault(); closeDetails(true); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var g = e.target.closest && e.target.closest(".view g.msg");
    if (!g) return;
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openDetails(g); return; }
    var next = neighbour(g, e.key);
    if (next === undefined) return;
    e.preventDefault();
    if (next !== g) moveTo(next);
  });
  if (toggle) toggle.addEventListener("click", function () { showWhole(windowView.hidden === false); });
  if (toggle && location.hash === "#whole") showWhole(true);
  else scrollToFocus(windowView);
})();`;

function short(id: string): string {
  return id.length > 8 ? `${id.slice(0, 4)}…${id.slice(-3)}` : id;
}
