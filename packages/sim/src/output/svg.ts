/**
 * Standalone SVG pictures of a run, for pages that show one moment of it (a
 * lesson's figure) rather than the whole run (`messages.html`,
 * `timeline.html`):
 *
 * - `renderSequenceSvg`: a message-sequence diagram of chosen trace entries
 *   (one vertical line per client and node, one arrow per message, each send
 *   and each receipt on its own row, as in `messages.html`), with notes
 *   beside a column (a node's `[dedup]` line) and faults as labelled bands.
 * - `renderTimelineSvg`: lanes on a time axis in ms, with spans (an attempt,
 *   a backoff, a node's role) and markers (a fault, an election).
 *
 * Invariants: the same input gives the same bytes (no clock, no random ids,
 * numbers rounded to fixed decimals); every text is escaped; fonts are the
 * generic families; the width is fixed by the columns or `widthPx`, so the
 * picture reads at a page's text width.
 */
import type { TraceEntry, TracedFault, TracedMessage } from "../network/trace.js";
import { esc } from "./message-diagram.js";

const FONT = "font-family=\"sans-serif\"";
const MONO = "font-family=\"monospace\"";
const COLORS = {
  ink: "#1f2933",
  faint: "#9aa5b1",
  request: "#1d4ed8",
  reply: "#047857",
  peer: "#6b7280",
  error: "#b45309",
  dropped: "#b91c1c",
  session: "#7c3aed",
  fault: "#b91c1c",
  note: "#f5f3ff",
};

function n(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** `text` cut at spaces into lines of at most `max` characters (a longer word stays whole). */
export function wrapText(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > max) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** The title and the caption (wrapped to the width); returns the SVG and the height they take below 40. */
function heading(title: string, caption: string, width: number): { svg: string; extra: number } {
  const lines = wrapText(caption, Math.floor((width - 24) / 5.6));
  const svg = [
    `<text x="12" y="22" ${FONT} font-size="15" font-weight="bold" fill="${COLORS.ink}">${esc(title)}</text>`,
    ...lines.map((l, i) => `<text x="12" y="${40 + i * 14}" ${FONT} font-size="11" fill="${COLORS.faint}">${esc(l)}</text>`),
  ].join("\n");
  return { svg, extra: (lines.length - 1) * 14 };
}

function arrowDefs(): string {
  const head = (id: string, color: string): string =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`;
  return `<defs>${(["request", "reply", "peer", "error", "session"] as const).map((k) => head(`a-${k}`, COLORS[k])).join("")}</defs>`;
}

export interface SequenceColumn {
  /** The endpoint id in the trace (`c1`, `n2`). */
  id: string;
  /** The header text; default the id. */
  label?: string;
  /** A second header line (a client_id, a role). */
  sublabel?: string;
}

export interface SequenceNote {
  /** The column the note sits beside. */
  column: string;
  /** Placed on the row of this message's receipt (its send when never delivered, or when `at` is "send"). */
  after: TracedMessage;
  at?: "send" | "receipt";
  text: string;
}

export interface SequenceSvgInput {
  title: string;
  /** One line under the title: what the picture shows and how it was made. */
  caption: string;
  columns: readonly SequenceColumn[];
  /** Messages and faults, in trace order; messages between endpoints not in `columns` are skipped. */
  entries: readonly TraceEntry[];
  /** The text on an arrow; default the message type with its client seq or Raft term. */
  label?: (m: TracedMessage) => string;
  /** The colour of an arrow; default by role (request, reply, error, from the session, node to node). */
  tone?: (m: TracedMessage) => MessageTone;
  notes?: readonly SequenceNote[];
}

export function defaultMessageLabel(m: TracedMessage): string {
  const b = m.body;
  if (m.type === "error") return `error ${String(b.code)}${typeof b.leader === "string" ? ` (leader ${b.leader})` : ""}`;
  if (typeof b.term === "number") {
    if (m.type.endsWith("_ok") && typeof b.granted === "boolean") return `${m.type} term ${b.term} ${b.granted ? "granted" : "refused"}`;
    return `${m.type} term ${b.term}`;
  }
  return m.seq !== undefined ? `${m.type} seq ${m.seq}` : m.type;
}

export type MessageTone = "request" | "reply" | "peer" | "error" | "session";

function messageKind(m: TracedMessage, clientColumns: ReadonlySet<string>): MessageTone {
  if (m.fromSession) return "session";
  if (m.type === "error") return "error";
  if (clientColumns.has(m.src)) return "request";
  if (clientColumns.has(m.dest)) return "reply";
  return "peer";
}

const SEQ = { colW: 150, left: 64, top: 78, rowH: 22 };

export function renderSequenceSvg(input: SequenceSvgInput): string {
  const label = input.label ?? defaultMessageLabel;
  const ids = new Set(input.columns.map((c) => c.id));
  const colX = new Map(input.columns.map((c, i) => [c.id, SEQ.left + i * SEQ.colW]));
  const clientColumns = new Set(input.columns.filter((c) => !/^n\d+$/.test(c.id)).map((c) => c.id));
  const entries = input.entries.filter((e) => e.kind === "fault" || (ids.has(e.src) && ids.has(e.dest)));

  type Row = { t: number; k: number; kind: "send" | "recv" | "fault"; ref: number };
  const rows: Row[] = [];
  entries.forEach((e, i) => {
    if (e.kind === "fault") rows.push({ t: e.atMs, k: i * 2, kind: "fault", ref: i });
    else {
      rows.push({ t: e.sentAtMs, k: i * 2, kind: "send", ref: i });
      // A packet that never arrives still gets a row, for its cross.
      rows.push({ t: e.deliveredAtMs ?? e.sentAtMs + 1e-3, k: i * 2 + 1, kind: "recv", ref: i });
    }
  });
  rows.sort((a, b) => a.t - b.t || a.k - b.k);
  const noteW = (text: string): number => 10 + text.length * 6.1;
  // Wide enough for the columns, for every note beside its column, and for the title (15px bold, about 9px a character).
  const width = Math.ceil(
    Math.max(
      SEQ.left + (input.columns.length - 1) * SEQ.colW + 120,
      ...(input.notes ?? []).map((nt) => (colX.get(nt.column) ?? 0) + 8 + noteW(nt.text) + 12),
      12 + input.title.length * 9 + 12,
    ),
  );
  const head = heading(input.title, input.caption, width);
  const top = SEQ.top + head.extra;
  const rowY = (i: number): number => top + 24 + i * SEQ.rowH;
  const sendY = new Map<number, number>();
  const recvY = new Map<number, number>();
  rows.forEach((r, i) => {
    if (r.kind === "send") sendY.set(r.ref, rowY(i));
    if (r.kind === "recv") recvY.set(r.ref, rowY(i));
  });
  const height = rowY(rows.length) + 16;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(input.title)}">`);
  out.push(`<title>${esc(input.title)}</title>`);
  out.push(arrowDefs());
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(head.svg);
  for (const c of input.columns) {
    const x = colX.get(c.id)!;
    out.push(`<text x="${x}" y="${top - 12}" ${FONT} font-size="13" font-weight="bold" text-anchor="middle" fill="${COLORS.ink}">${esc(c.label ?? c.id)}</text>`);
    if (c.sublabel) out.push(`<text x="${x}" y="${top + 2}" ${FONT} font-size="10" text-anchor="middle" fill="${COLORS.faint}">${esc(c.sublabel)}</text>`);
    out.push(`<line x1="${x}" y1="${top + 8}" x2="${x}" y2="${height - 8}" stroke="${COLORS.faint}" stroke-width="1" stroke-dasharray="${clientColumns.has(c.id) ? "none" : "4 3"}"/>`);
  }
  rows.forEach((r, i) => {
    const y = rowY(i);
    if (r.kind === "send") out.push(`<text x="6" y="${y + 4}" ${MONO} font-size="9" fill="${COLORS.faint}">${n(r.t)}ms</text>`);
    if (r.kind !== "fault") return;
    const f = entries[r.ref] as TracedFault;
    out.push(`<line x1="${SEQ.left - 20}" y1="${y}" x2="${width - 12}" y2="${y}" stroke="${COLORS.fault}" stroke-width="1.5" stroke-dasharray="6 3"/>`);
    out.push(`<text x="${SEQ.left - 16}" y="${y - 5}" ${FONT} font-size="11" font-weight="bold" fill="${COLORS.fault}">⚡ ${esc(f.label)} at ${n(f.atMs)} ms</text>`);
  });
  entries.forEach((e, i) => {
    if (e.kind !== "message") return;
    const x1 = colX.get(e.src)!;
    const x2 = colX.get(e.dest)!;
    const y1 = sendY.get(i)!;
    const y2 = recvY.get(i)!;
    const dropped = e.fate.startsWith("dropped");
    const kind = input.tone?.(e) ?? messageKind(e, clientColumns);
    const color = dropped ? COLORS.dropped : COLORS[kind];
    const xe = dropped ? x1 + (x2 - x1) * 0.6 : x2;
    const ye = dropped ? y1 + (y2 - y1) * 0.6 + SEQ.rowH * 0.6 : y2;
    const dash = dropped ? ` stroke-dasharray="5 3"` : "";
    out.push(`<line x1="${x1}" y1="${y1}" x2="${n(xe)}" y2="${n(ye)}" stroke="${color}" stroke-width="${kind === "peer" && !input.tone ? 1 : 1.6}"${dash}${dropped ? "" : ` marker-end="url(#a-${kind})"`}/>`);
    if (dropped) {
      const s = 5;
      out.push(`<path d="M${n(xe - s)},${n(ye - s)} L${n(xe + s)},${n(ye + s)} M${n(xe - s)},${n(ye + s)} L${n(xe + s)},${n(ye - s)}" stroke="${COLORS.dropped}" stroke-width="2.2"/>`);
    }
    const tags = [dropped ? `${e.fate.replace("dropped-", "dropped: ")}` : "", e.fromSession ? "from the session" : ""].filter(Boolean).join(", ");
    const text = `${label(e)}${tags ? ` [${tags}]` : ""}`;
    const tx = (x1 + xe) / 2;
    out.push(`<text x="${n(tx)}" y="${n((y1 + ye) / 2 - 4)}" ${FONT} font-size="10.5" text-anchor="middle" fill="${color}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${esc(text)}</text>`);
  });
  for (const note of input.notes ?? []) {
    const i = entries.indexOf(note.after);
    const x = colX.get(note.column);
    if (i === -1 || x === undefined) continue;
    const y = note.at === "send" ? sendY.get(i)! : (recvY.get(i) ?? sendY.get(i)!);
    const w = noteW(note.text);
    out.push(`<rect x="${x + 8}" y="${y - 9}" width="${n(w)}" height="17" rx="3" fill="${COLORS.note}" stroke="${COLORS.session}"/>`);
    out.push(`<text x="${x + 12}" y="${y + 3}" ${MONO} font-size="10" fill="${COLORS.session}">${esc(note.text)}</text>`);
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

export interface TimelineLane {
  id: string;
  label: string;
}

export type SpanKind = "attempt-ok" | "attempt-failed" | "backoff" | "operation" | "leader" | "candidate" | "down";

export interface TimelineSpan {
  lane: string;
  fromMs: number;
  toMs: number;
  kind: SpanKind;
  label: string;
}

export interface TimelineMarker {
  atMs: number;
  /** The lane it hits; undefined: a line across every lane. */
  lane?: string;
  kind: "fault" | "event";
  label: string;
}

export interface TimelineSvgInput {
  title: string;
  caption: string;
  lanes: readonly TimelineLane[];
  fromMs: number;
  toMs: number;
  spans: readonly TimelineSpan[];
  markers: readonly TimelineMarker[];
  /** Width of the picture. Default 760. */
  widthPx?: number;
}

const SPAN_COLOURS: Record<SpanKind, { fill: string; stroke: string; text: string }> = {
  operation: { fill: "#e0e7ff", stroke: "#4338ca", text: "#312e81" },
  "attempt-ok": { fill: "#d1fae5", stroke: "#047857", text: "#064e3b" },
  "attempt-failed": { fill: "#fee2e2", stroke: "#b91c1c", text: "#7f1d1d" },
  backoff: { fill: "#f3f4f6", stroke: "#6b7280", text: "#374151" },
  leader: { fill: "#fef3c7", stroke: "#b45309", text: "#78350f" },
  candidate: { fill: "#ede9fe", stroke: "#7c3aed", text: "#4c1d95" },
  down: { fill: "#e5e7eb", stroke: "#374151", text: "#111827" },
};

const TL = { left: 110, right: 24, top: 70, laneH: 58, barH: 20 };

function tickStep(spanMs: number): number {
  for (const s of [10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000]) if (spanMs / s <= 10) return s;
  return 10_000;
}

const LABEL_H = 13;

export function renderTimelineSvg(input: TimelineSvgInput): string {
  const width = input.widthPx ?? 760;
  const x = (t: number): number => TL.left + ((t - input.fromMs) / (input.toMs - input.fromMs)) * (width - TL.left - TL.right);
  const fits = (s: TimelineSpan): boolean => s.label.length * 6 + 8 <= x(Math.min(s.toMs, input.toMs)) - x(Math.max(s.fromMs, input.fromMs));
  // A label that does not fit inside its bar gets its own line under the lane, so short spans side by side stay readable.
  const below = new Map<TimelineSpan, number>();
  for (const l of input.lanes) {
    let k = 0;
    for (const s of input.spans) if (s.lane === l.id && !fits(s)) below.set(s, k++);
  }
  const head = heading(input.title, input.caption, width);
  const laneY = new Map<string, number>();
  let y0 = TL.top + head.extra;
  for (const l of input.lanes) {
    laneY.set(l.id, y0);
    y0 += TL.laneH + [...below.entries()].filter(([s]) => s.lane === l.id).length * LABEL_H;
  }
  const axisY = y0 + 6;
  const markerRows = input.markers.length;
  const height = axisY + 30 + markerRows * 16 + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(input.title)}">`);
  out.push(`<title>${esc(input.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(head.svg);
  for (const l of input.lanes) {
    const y = laneY.get(l.id)!;
    out.push(`<line x1="${TL.left}" y1="${y + TL.laneH / 2}" x2="${width - TL.right}" y2="${y + TL.laneH / 2}" stroke="#eef0f3" stroke-width="1"/>`);
    out.push(`<text x="12" y="${y + TL.laneH / 2 + 4}" ${FONT} font-size="12" font-weight="bold" fill="${COLORS.ink}">${esc(l.label)}</text>`);
  }
  const step = tickStep(input.toMs - input.fromMs);
  out.push(`<line x1="${TL.left}" y1="${axisY}" x2="${width - TL.right}" y2="${axisY}" stroke="${COLORS.ink}" stroke-width="1"/>`);
  for (let t = Math.ceil(input.fromMs / step) * step; t <= input.toMs; t += step) {
    out.push(`<line x1="${n(x(t))}" y1="${axisY}" x2="${n(x(t))}" y2="${axisY + 4}" stroke="${COLORS.ink}"/>`);
    out.push(`<text x="${n(x(t))}" y="${axisY + 16}" ${MONO} font-size="9" text-anchor="middle" fill="${COLORS.faint}">${t} ms</text>`);
  }
  for (const s of input.spans) {
    const y = laneY.get(s.lane);
    if (y === undefined) continue;
    const st = SPAN_COLOURS[s.kind];
    const x1 = x(Math.max(s.fromMs, input.fromMs));
    const x2 = x(Math.min(s.toMs, input.toMs));
    const top = y + (TL.laneH - TL.barH) / 2;
    const dash = s.kind === "backoff" ? ` stroke-dasharray="3 2"` : "";
    out.push(`<rect x="${n(x1)}" y="${n(top)}" width="${n(Math.max(2, x2 - x1))}" height="${TL.barH}" rx="3" fill="${st.fill}" stroke="${st.stroke}"${dash}/>`);
    const k = below.get(s);
    if (k === undefined) {
      out.push(`<text x="${n((x1 + x2) / 2)}" y="${n(top + TL.barH / 2 + 4)}" ${FONT} font-size="10.5" text-anchor="middle" fill="${st.text}">${esc(s.label)}</text>`);
      continue;
    }
    const ly = top + TL.barH + 12 + k * LABEL_H;
    const rightSide = x1 + s.label.length * 6 > width - 8;
    out.push(`<line x1="${n(x1 + 1)}" y1="${n(top + TL.barH)}" x2="${n(x1 + 1)}" y2="${n(ly - 3)}" stroke="${st.stroke}" stroke-width="0.8"/>`);
    out.push(`<text x="${n(rightSide ? x1 - 2 : x1 + 4)}" y="${n(ly)}" ${FONT} font-size="10.5" text-anchor="${rightSide ? "end" : "start"}" fill="${st.text}">${esc(s.label)}</text>`);
  }
  input.markers.forEach((m, i) => {
    const mx = x(m.atMs);
    const color = m.kind === "fault" ? COLORS.fault : COLORS.session;
    const y = m.lane === undefined ? undefined : laneY.get(m.lane);
    const y1 = y === undefined ? TL.top + head.extra : y + 4;
    const y2 = y === undefined ? axisY : y + TL.laneH - 8;
    out.push(`<line x1="${n(mx)}" y1="${y1}" x2="${n(mx)}" y2="${y2}" stroke="${color}" stroke-width="${m.kind === "fault" ? 2 : 1.4}"${m.kind === "fault" ? "" : ` stroke-dasharray="4 2"`}/>`);
    if (m.kind === "fault") out.push(`<path d="M${n(mx - 5)},${y1 - 5} L${n(mx + 5)},${y1 + 5} M${n(mx - 5)},${y1 + 5} L${n(mx + 5)},${y1 - 5}" stroke="${color}" stroke-width="2.2"/>`);
    // Marker labels go under the axis, one row each, tied to their line by a number.
    const ly = axisY + 32 + i * 16;
    out.push(`<text x="${n(mx)}" y="${axisY - 3}" ${FONT} font-size="9" font-weight="bold" text-anchor="middle" fill="${color}">${i + 1}</text>`);
    out.push(`<text x="${TL.left}" y="${ly}" ${FONT} font-size="11" fill="${color}">${i + 1}. ${esc(m.label)} at ${n(m.atMs)} ms</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
