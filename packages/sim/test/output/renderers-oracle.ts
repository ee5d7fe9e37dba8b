/**
 * messages.html and messages.txt rendered the plain way (each view sorting
 * the trace itself, every message's classes and tags joined from arrays, the
 * retry count made by each). Kept here, for the tests only, as the reference
 * the renderers are compared with
 * (test/output/renderers-differential.test.ts): the same input gives the
 * same bytes. The page around the views (`diagramPage`) is the renderer's
 * own, shared: the reference draws only the views it is given.
 */
import { summarizeBody, type TraceEntry, type TracedMessage } from "../../src/network/trace.js";
import { diagramPage, type DiagramInput } from "../../src/output/message-diagram.js";

interface Row {
  t: number;
  /** Tie-break: sends before receipts at the same instant, then trace order. */
  k: number;
  draw: { kind: "send" | "recv" | "fault" | "violation"; ref: number };
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

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/**
 * The window drawn: up to `max` client messages around the focus, plus the
 * node-to-node messages and faults of the same time span (node-to-node
 * traffic capped at twice `max`, so heartbeats never crowd out clients).
 */
function selectWindow(entries: readonly TraceEntry[], max: number, aroundMs: number | undefined, nodeIds: readonly string[], withPeers: boolean): TraceEntry[] {
  const isPeer = (m: TracedMessage): boolean => nodeIds.includes(m.src) && nodeIds.includes(m.dest);
  const clientMsgs = entries.filter((e): e is TracedMessage => e.kind === "message" && !isPeer(e));
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
  return entries.filter((e) => {
    if (e.kind === "fault") return e.atMs >= from && e.atMs <= to;
    if (keep.has(e)) return true;
    if (!withPeers || !isPeer(e) || e.sentAtMs < from || e.sentAtMs > to || peers >= 2 * max) return false;
    peers++;
    return true;
  });
}

/** What every view shares: retry numbers, the requests of the violation, the focus. */
interface Marks {
  retryOf: Map<TracedMessage, number>;
  involved: Set<string>;
  /** The message the page opens at, if any. */
  focusMessage: TracedMessage | undefined;
  focusMs: number | undefined;
}

function markRun(input: DiagramInput): Marks {
  // Retries: the n-th request of one (client_id, seq), or of one read msg.
  const seen = new Map<string, number>();
  const retryOf = new Map<TracedMessage, number>();
  // Counted over the whole trace, so a retry whose first attempt is outside the window is still marked.
  for (const e of input.entries) {
    if (e.kind !== "message" || e.clientId === undefined || input.nodeIds.includes(e.src)) continue;
    if (e.fate === "duplicate" || e.fate === "replayed") continue;
    const key = `${e.src}|${e.clientId}|${e.seq}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n > 1) retryOf.set(e, n - 1);
  }
  const involved = new Set((input.involved ?? []).map((r) => `${r.clientId}/${r.seq}`));
  const isRequest = (m: TracedMessage): boolean => !input.nodeIds.includes(m.src);
  const isInvolved = (m: TracedMessage): boolean => m.clientId !== undefined && involved.has(`${m.clientId}/${m.seq}`);
  // Focus on the first violation (its first request from then on, else its
  // last before); else on a retry answered from the session (the point of
  // the unit); else the first retry; else the first fault.
  const retried = new Set<string>();
  for (const m of retryOf.keys()) retried.add(`${m.clientId}/${m.seq}`);
  const messages = input.entries.filter((e): e is TracedMessage => e.kind === "message");
  let focusMessage: TracedMessage | undefined;
  if (input.violation) {
    const v = input.violation.atMs;
    const requests = messages.filter((m) => isRequest(m) && isInvolved(m) && m.fate !== "duplicate" && m.fate !== "replayed");
    focusMessage = requests.find((m) => m.sentAtMs >= v - 1e-6) ?? requests[requests.length - 1];
  } else {
    focusMessage =
      messages.find((m) => m.fromSession === true && retried.has(`${m.clientId}/${m.seq}`)) ??
      [...retryOf.keys()][0] ??
      messages.find((m) => m.fromSession === true);
  }
  const focusMs = input.violation?.atMs ?? focusMessage?.sentAtMs ?? input.entries.find((e) => e.kind === "fault")?.atMs;
  return { retryOf, involved, focusMessage, focusMs };
}

interface View {
  /** The sticky header and the body SVG. */
  html: string;
  /** Where the page scrolls to: the focus, in body SVG coordinates (x: the span of its arrow). */
  focusX?: [number, number];
  focusY?: number;
  clientMessages: number;
  messages: number;
}

function drawView(input: DiagramInput, marks: Marks, entries: readonly TraceEntry[], withIds: boolean): View {
  const clientCols = new Set<string>();
  for (const e of entries) {
    if (e.kind !== "message") continue;
    for (const p of [e.src, e.dest]) if (!input.nodeIds.includes(p)) clientCols.add(p);
  }
  const clients = [...clientCols].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const columns = [...clients, ...input.nodeIds];
  const clientW = clients.length > 8 ? CLIENT_COL_W_MIN : COL_W;
  const colX = new Map(columns.map((c, i) => [c, LEFT + Math.min(i, clients.length) * clientW + Math.max(0, i - clients.length) * COL_W]));

  const rows: Row[] = [];
  entries.forEach((e, i) => {
    if (e.kind === "fault") rows.push({ t: e.atMs, k: i * 2, draw: { kind: "fault", ref: i } });
    else {
      rows.push({ t: e.sentAtMs, k: i * 2, draw: { kind: "send", ref: i } });
      if (e.deliveredAtMs !== undefined) rows.push({ t: e.deliveredAtMs, k: i * 2 + 1, draw: { kind: "recv", ref: i } });
    }
  });
  if (input.violation) rows.push({ t: input.violation.atMs, k: Number.MAX_SAFE_INTEGER, draw: { kind: "violation", ref: -1 } });
  rows.sort((a, b) => a.t - b.t || a.k - b.k);
  const sendY = new Map<number, number>();
  const recvY = new Map<number, number>();
  let violationY: number | undefined;
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    if (r.draw.kind === "send") sendY.set(r.draw.ref, y);
    if (r.draw.kind === "recv") recvY.set(r.draw.ref, y);
    if (r.draw.kind === "violation") violationY = y;
  });
  const height = TOP + rows.length * ROW_H + 40;
  const width = LEFT + clients.length * clientW + input.nodeIds.length * COL_W + 40;

  const head: string[] = [];
  const svg: string[] = [];
  for (const c of columns) {
    const x = colX.get(c)!;
    const isNode = input.nodeIds.includes(c);
    const cid = input.clients?.[c];
    svg.push(`<line class="life ${isNode ? "node" : "client"}" x1="${x}" y1="0" x2="${x}" y2="${height - 20}"/>`);
    head.push(`<g><title>${esc(cid ? `${c}: client_id ${cid}` : isNode ? `node ${c}` : c)}</title><text class="head ${isNode ? "node" : "client"}" x="${x}" y="${HEAD_H - 12}">${esc(c)}</text></g>`);
  }
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    if (r.draw.kind === "send" && i % 10 === 0) svg.push(`<text class="time" x="4" y="${y + 4}">${r.t.toFixed(1)}ms</text>`);
    if (r.draw.kind === "fault") {
      const f = entries[r.draw.ref] as Extract<TraceEntry, { kind: "fault" }>;
      svg.push(`<line class="fault" x1="${LEFT - 20}" y1="${y}" x2="${width - 20}" y2="${y}"/>`);
      svg.push(`<text class="fault-label" x="${LEFT - 16}" y="${y - 5}">⚡ ${esc(f.label)} @${f.atMs.toFixed(0)}ms</text>`);
    }
    if (r.draw.kind === "violation" && input.violation) {
      svg.push(`<line class="violation" x1="${LEFT - 20}" y1="${y}" x2="${width - 20}" y2="${y}"/>`);
      svg.push(`<text class="violation-label" x="${LEFT - 16}" y="${y - 5}">✖ first violation: ${esc(input.violation.label)} @${input.violation.atMs.toFixed(0)}ms</text>`);
    }
  });
  // The one tab stop: the focused message's first drawing, else the message sent first.
  const drawn = entries.map((e, i) => ({ e, i })).filter(({ e, i }) => e.kind === "message" && sendY.has(i));
  const stop = (drawn.find(({ e }) => e === marks.focusMessage) ?? [...drawn].sort((a, b) => sendY.get(a.i)! - sendY.get(b.i)!)[0])?.i;
  let focusX: [number, number] | undefined;
  let focusY: number | undefined = violationY;
  let clientMessages = 0;
  let messages = 0;
  entries.forEach((e, i) => {
    if (e.kind !== "message") return;
    messages++;
    if (!(input.nodeIds.includes(e.src) && input.nodeIds.includes(e.dest))) clientMessages++;
    const x1 = colX.get(e.src);
    const x2 = colX.get(e.dest);
    const y1 = sendY.get(i);
    if (x1 === undefined || x2 === undefined || y1 === undefined) return;
    const delivered = recvY.get(i);
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
    const classes = [
      "msg",
      dropped ? "dropped" : "",
      e.fate === "duplicate" ? "dup" : "",
      e.fate === "replayed" ? "replayed" : "",
      e.fromSession ? "session" : "",
      e.type === "error" ? "err" : "",
      retry ? "retry" : "",
      e.clientId !== undefined && marks.involved.has(`${e.clientId}/${e.seq}`) ? "involved" : "",
      focused ? "focus" : "",
    ]
      .filter(Boolean)
      .join(" ");
    const ident = e.clientId !== undefined ? ` ${short(e.clientId)}/${e.seq ?? "-"}` : "";
    const name = e.type === "error" ? `error ${String(e.body.code)}${typeof e.body.leader === "string" ? `→${e.body.leader}` : ""}` : e.type;
    const tags = [retry ? `retry #${retry}` : "", e.fate === "duplicate" ? "dup" : "", e.fate === "replayed" ? "late replay" : "", e.fromSession ? "from session" : "", dropped ? e.fate.replace("dropped-", "✖ ") : ""]
      .filter(Boolean)
      .join(", ");
    const tip = [
      `message: ${e.src} → ${e.dest} ${e.type}`,
      `sent: ${e.sentAtMs.toFixed(2)} ms`,
      e.deliveredAtMs !== undefined ? `delivered: ${e.deliveredAtMs.toFixed(2)} ms` : "",
      `fate: ${e.fate}`,
      e.msgId !== undefined ? `msg_id: ${e.msgId}` : "",
      e.inReplyTo !== undefined ? `in_reply_to: ${e.inReplyTo}` : "",
      e.clientId !== undefined ? `client_id: ${e.clientId}` : "",
      e.clientId !== undefined ? `seq: ${e.seq ?? "-"}` : "",
      tags ? `marks: ${tags}` : "",
      `body: ${summarizeBody(e.body)}`,
    ]
      .filter(Boolean)
      .join("\n");
    const fate = {
      delivered: "delivered",
      duplicate: "network duplicate, delivered",
      replayed: "late replay, delivered",
      "dropped-loss": "dropped (loss)",
      "dropped-partition": "dropped (partition)",
      "dropped-lost-reply": "dropped (lost reply)",
      "dropped-node-down": "dropped (node down)",
    }[e.fate];
    const spoken = [
      `${e.src} to ${e.dest}: ${name}${e.msgId !== undefined ? ` msg ${e.msgId}` : ""}`,
      e.inReplyTo !== undefined ? `reply to ${e.inReplyTo}` : "",
      e.clientId !== undefined ? `client_id ${e.clientId} seq ${e.seq ?? "-"}` : "",
      e.deliveredAtMs !== undefined ? `${fate} at ${e.deliveredAtMs.toFixed(1)} ms` : `sent at ${e.sentAtMs.toFixed(1)} ms, ${fate}`,
      retry ? `retry #${retry}` : "",
      e.fromSession ? "from session" : "",
      classes.split(" ").includes("involved") ? "in the first violation" : "",
    ]
      .filter(Boolean)
      .join(", ");
    svg.push(
      `<g class="${classes}"${focused && withIds ? ' id="focus"' : ""}${i === stop ? ' tabindex="0"' : ""} role="button" aria-label="${esc(spoken)}"><title>${esc(tip)}</title>` +
        (focused ? `<line class="glow" x1="${x1}" y1="${y1}" x2="${xEnd}" y2="${yEnd}"/><circle class="halo" cx="${x1}" cy="${y1}" r="9"/>` : "") +
        `<line x1="${x1}" y1="${y1}" x2="${xEnd}" y2="${yEnd}" marker-end="url(#${dropped ? "x" : "arrow"})"/>` +
        `<text x="${(x1 + xEnd) / 2}" y="${(y1 + yEnd) / 2 - 3}">${esc(name + ident)}${tags ? ` [${esc(tags)}]` : ""}</text></g>`,
    );
  });
  const html =
    `<div class="heads"><svg xmlns="http://www.w3.org/2000/svg" class="head-svg" width="${width}" height="${HEAD_H}" viewBox="0 0 ${width} ${HEAD_H}">${head.join("")}</svg></div>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" class="body-svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${svg.join("\n")}\n</svg>`;
  return { html, ...(focusX !== undefined ? { focusX } : {}), ...(focusY !== undefined ? { focusY } : {}), clientMessages, messages };
}

export function oracleRenderMessageDiagram(input: DiagramInput): string {
  const max = input.maxMessages ?? 300;
  const wholeMax = input.wholeRunMaxMessages ?? 5_000;
  const marks = markRun(input);
  const windowView = drawView(input, marks, selectWindow(input.entries, max, marks.focusMs, input.nodeIds, true), true);
  const clientTotal = input.entries.filter((e) => e.kind === "message" && !(input.nodeIds.includes(e.src) && input.nodeIds.includes(e.dest))).length;
  const total = input.entries.filter((e) => e.kind === "message").length;
  // The whole run: every client message and fault (node traffic only in the window).
  const whole = clientTotal > windowView.clientMessages ? drawView(input, marks, selectWindow(input.entries, wholeMax, marks.focusMs, input.nodeIds, false), false) : undefined;
  return diagramPage(input, marks.focusMessage, windowView, whole, clientTotal, total);
}

function short(id: string): string {
  return id.length > 8 ? `${id.slice(0, 4)}…${id.slice(-3)}` : id;
}

export function oracleRenderTraceText(entries: readonly TraceEntry[], nodeIds: readonly string[]): string {
  const seen = new Map<string, number>();
  const lines: string[] = [];
  for (const e of entries) {
    if (e.kind === "fault") {
      lines.push(`${e.atMs.toFixed(3)} FAULT ${e.label}`);
      continue;
    }
    if (nodeIds.includes(e.src) && nodeIds.includes(e.dest)) continue;
    lines.push(messageLine(e, nodeIds, seen));
  }
  return lines.join("\n") + "\n";
}

function messageLine(e: TracedMessage, nodeIds: readonly string[], seen: Map<string, number>): string {
  const { type, msg_id, in_reply_to, client_id, seq, ...rest } = e.body;
  void msg_id;
  void in_reply_to;
  void client_id;
  void seq;
  const tags: string[] = [];
  if (e.clientId !== undefined && !nodeIds.includes(e.src) && e.fate !== "duplicate" && e.fate !== "replayed") {
    const key = `${e.src}|${e.clientId}|${e.seq}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n > 1) tags.push(`retry #${n - 1}`);
  }
  if (e.fromSession) tags.push("from session");
  if (e.fate === "duplicate") tags.push("network duplicate");
  if (e.fate === "replayed") tags.push("late replay");
  const fate = e.deliveredAtMs !== undefined ? `delivered@${e.deliveredAtMs.toFixed(3)}` : e.fate;
  const id = e.clientId !== undefined ? ` id=${e.clientId}/${e.seq ?? "-"}` : "";
  const body = JSON.stringify(rest);
  return `${e.sentAtMs.toFixed(3)} ${e.src} -> ${e.dest} ${type} ${body.length > 200 ? `${body.slice(0, 200)}...` : body}${id}${tags.length ? ` [${tags.join(", ")}]` : ""} ${fate}`;
}
