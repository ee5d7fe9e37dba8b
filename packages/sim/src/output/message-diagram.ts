/**
 * The message-sequence (Lamport) diagram: one vertical line per client and
 * node, one arrow per message, time running down in event order (each send
 * and each receipt gets its own row, so concurrent traffic stays readable).
 * It marks retries (same client_id/seq sent again), client_id/seq on every
 * client message, duplicates answered from the session table, packets the
 * network dropped, duplicated or replayed late, faults, and the first
 * violation. Self-contained: inline SVG and CSS, native tooltips, no script.
 */
import { summarizeBody, type TraceEntry, type TracedMessage } from "../network/trace.js";

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
}

interface Row {
  t: number;
  /** Tie-break: sends before receipts at the same instant, then trace order. */
  k: number;
  draw: { kind: "send" | "recv" | "fault" | "violation"; ref: number };
}

const COL_W = 120;
const ROW_H = 16;
const TOP = 70;
const LEFT = 70;

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/**
 * The window drawn: up to `max` client messages around the focus, plus the
 * node-to-node messages and faults of the same time span (node-to-node
 * traffic capped at twice `max`, so heartbeats never crowd out clients).
 */
function selectWindow(entries: readonly TraceEntry[], max: number, aroundMs: number | undefined, nodeIds: readonly string[]): TraceEntry[] {
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
    if (!isPeer(e) || e.sentAtMs < from || e.sentAtMs > to || peers >= 2 * max) return false;
    peers++;
    return true;
  });
}

export function renderMessageDiagram(input: DiagramInput): string {
  const max = input.maxMessages ?? 300;
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

  // Centre on the first violation; else on a retry answered from the
  // session (the point of the unit); else the first retry; else the first fault.
  const retried = new Set<string>();
  for (const m of retryOf.keys()) retried.add(`${m.clientId}/${m.seq}`);
  const messages = input.entries.filter((e): e is TracedMessage => e.kind === "message");
  const focus =
    input.violation?.atMs ??
    messages.find((m) => m.fromSession === true && retried.has(`${m.clientId}/${m.seq}`))?.sentAtMs ??
    [...retryOf.keys()][0]?.sentAtMs ??
    messages.find((m) => m.fromSession === true)?.sentAtMs ??
    input.entries.find((e) => e.kind === "fault")?.atMs;
  const entries = selectWindow(input.entries, max, focus, input.nodeIds);
  const clientCols = new Set<string>();
  for (const e of entries) {
    if (e.kind !== "message") continue;
    for (const p of [e.src, e.dest]) if (!input.nodeIds.includes(p)) clientCols.add(p);
  }
  const clients = [...clientCols].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const columns = [...clients, ...input.nodeIds];
  const colX = new Map(columns.map((c, i) => [c, LEFT + i * COL_W]));

  const involved = new Set((input.involved ?? []).map((r) => `${r.clientId}/${r.seq}`));
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
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    if (r.draw.kind === "send") sendY.set(r.draw.ref, y);
    if (r.draw.kind === "recv") recvY.set(r.draw.ref, y);
  });
  const height = TOP + rows.length * ROW_H + 40;
  const width = LEFT + columns.length * COL_W + 260;

  const svg: string[] = [];
  for (const c of columns) {
    const x = colX.get(c)!;
    const isNode = input.nodeIds.includes(c);
    const cid = input.clients?.[c];
    svg.push(`<line class="life ${isNode ? "node" : "client"}" x1="${x}" y1="${TOP - 10}" x2="${x}" y2="${height - 20}"/>`);
    svg.push(`<text class="head" x="${x}" y="${TOP - 40}">${esc(c)}<title>${esc(cid ? `${c}: client_id ${cid}` : c)}</title></text>`);
  }
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    if (r.draw.kind === "send" && i % 10 === 0) svg.push(`<text class="time" x="4" y="${y + 4}">${r.t.toFixed(1)}ms</text>`);
    if (r.draw.kind === "fault") {
      const f = entries[r.draw.ref] as Extract<TraceEntry, { kind: "fault" }>;
      svg.push(`<line class="fault" x1="${LEFT - 20}" y1="${y}" x2="${width - 250}" y2="${y}"/>`);
      svg.push(`<text class="fault-label" x="${width - 245}" y="${y + 4}">⚡ ${esc(f.label)} @${f.atMs.toFixed(0)}ms</text>`);
    }
    if (r.draw.kind === "violation" && input.violation) {
      svg.push(`<line class="violation" x1="${LEFT - 20}" y1="${y}" x2="${width - 250}" y2="${y}"/>`);
      svg.push(`<text class="violation-label" x="${width - 245}" y="${y + 4}">✖ first violation: ${esc(input.violation.label)}</text>`);
    }
  });
  entries.forEach((e, i) => {
    if (e.kind !== "message") return;
    const x1 = colX.get(e.src);
    const x2 = colX.get(e.dest);
    const y1 = sendY.get(i);
    if (x1 === undefined || x2 === undefined || y1 === undefined) return;
    const delivered = recvY.get(i);
    const dropped = e.fate.startsWith("dropped");
    const y2 = delivered ?? y1 + ROW_H * 2;
    const xEnd = dropped ? x1 + (x2 - x1) * 0.55 : x2;
    const yEnd = dropped ? y1 + (y2 - y1) * 0.55 : y2;
    const retry = retryOf.get(e);
    const classes = ["msg", dropped ? "dropped" : "", e.fate === "duplicate" ? "dup" : "", e.fate === "replayed" ? "replayed" : "", e.fromSession ? "session" : "", e.type === "error" ? "err" : "", retry ? "retry" : "", e.clientId !== undefined && involved.has(`${e.clientId}/${e.seq}`) ? "involved" : ""]
      .filter(Boolean)
      .join(" ");
    const ident = e.clientId !== undefined ? ` ${short(e.clientId)}/${e.seq ?? "-"}` : "";
    const name = e.type === "error" ? `error ${String(e.body.code)}${typeof e.body.leader === "string" ? `→${e.body.leader}` : ""}` : e.type;
    const tags = [retry ? `retry #${retry}` : "", e.fate === "duplicate" ? "dup" : "", e.fate === "replayed" ? "late replay" : "", e.fromSession ? "from session" : "", dropped ? e.fate.replace("dropped-", "✖ ") : ""]
      .filter(Boolean)
      .join(", ");
    const tip = `${e.src} → ${e.dest} @${e.sentAtMs.toFixed(2)}ms${e.deliveredAtMs !== undefined ? ` → ${e.deliveredAtMs.toFixed(2)}ms` : ""}\n${summarizeBody(e.body)}\nmsg_id ${e.msgId ?? "-"} in_reply_to ${e.inReplyTo ?? "-"}${e.clientId !== undefined ? `\nclient_id ${e.clientId} seq ${e.seq ?? "-"}` : ""}\nfate: ${e.fate}${tags ? `\n${tags}` : ""}`;
    svg.push(
      `<g class="${classes}"><title>${esc(tip)}</title><line x1="${x1}" y1="${y1}" x2="${xEnd}" y2="${yEnd}" marker-end="url(#${dropped ? "x" : "arrow"})"/>` +
        `<text x="${(x1 + xEnd) / 2}" y="${(y1 + yEnd) / 2 - 3}">${esc(name + ident)}${tags ? ` [${esc(tags)}]` : ""}</text></g>`,
    );
  });

  const counts = { messages: entries.filter((e) => e.kind === "message").length, total: input.entries.filter((e) => e.kind === "message").length };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body{font:13px system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px} .sub{color:#555;margin-bottom:8px}
.legend span{display:inline-block;margin-right:14px}
.legend i{display:inline-block;width:22px;height:3px;vertical-align:middle;margin-right:4px}
svg text{font:11px ui-monospace,monospace}
.head{font-weight:bold;text-anchor:middle;font-size:13px}
.time{fill:#888;font-size:10px}
.life{stroke:#bbb;stroke-width:1}.life.node{stroke:#333;stroke-width:2}
.msg line{stroke:#2563eb;stroke-width:1.2}.msg text{fill:#1e3a8a;text-anchor:middle}
.msg.err line{stroke:#b45309}.msg.err text{fill:#92400e}
.msg.retry line{stroke:#7c3aed;stroke-width:2}.msg.retry text{fill:#5b21b6;font-weight:bold}
.msg.dup line{stroke-dasharray:5 3;stroke:#0891b2}.msg.replayed line{stroke:#ea580c;stroke-dasharray:2 2;stroke-width:2}.msg.replayed text{fill:#c2410c}
.msg.session line{stroke:#16a34a;stroke-width:2.2}.msg.session text{fill:#15803d;font-weight:bold}
.msg.dropped line{stroke:#dc2626;stroke-dasharray:3 3}.msg.dropped text{fill:#b91c1c}
.fault{stroke:#f59e0b;stroke-width:6;opacity:.35}.fault-label{fill:#b45309;font-weight:bold}
.msg.involved line{stroke:#dc2626;stroke-width:3.5}.msg.involved text{fill:#dc2626;font-weight:bold;text-decoration:underline}
.violation{stroke:#dc2626;stroke-width:3}.violation-label{fill:#dc2626;font-weight:bold}
</style></head><body>
<h1>${esc(input.title)}</h1>
<div class="sub">${esc(input.subtitle)} — ${counts.messages} of ${counts.total} traced messages shown; hover an arrow for the full message.</div>
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
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker>
<marker id="x" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="9" markerHeight="9"><path d="M1,1 L9,9 M9,1 L1,9" stroke="#dc2626" stroke-width="2"/></marker>
</defs>
${svg.join("\n")}
</svg>
</body></html>
`;
}

function short(id: string): string {
  return id.length > 8 ? `${id.slice(0, 4)}…${id.slice(-3)}` : id;
}
