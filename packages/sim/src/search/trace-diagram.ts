/**
 * A search trace as a message diagram (self-contained HTML): the trace is
 * replayed state by state, each message gets an arrow from the step that
 * put it in flight to the step that delivered it (a duplicate's copy its
 * own arrow, marked; a message taken out of flight undelivered ends in a
 * cross; one still in flight at the end is listed under it), timers
 * and the broken invariant are lines across the picture, and every step's
 * line is listed under it. Time is the step number: one row per event.
 *
 * It reads the scenario's states generically: `inFlight`, a list of
 * messages with `from`, `to` and `kind`, as every scenario here keeps.
 */
import { renderSequenceSvg, type SequenceColumn } from "../output/svg.js";
import { esc } from "../output/message-diagram.js";
import type { TraceEntry, TracedMessage } from "../network/trace.js";
import { stableStringify } from "./engine.js";
import type { ReplayResult, TraceFile } from "./index.js";

interface AnyMessage {
  from: string;
  to: string;
  kind: string;
  seq?: number;
  term?: number;
  body?: { type?: string; seq?: number; client_id?: string; [k: string]: unknown };
  [k: string]: unknown;
}

const inFlight = (state: unknown): AnyMessage[] => ((state as { inFlight?: AnyMessage[] }).inFlight ?? []).filter((m) => typeof m?.from === "string" && typeof m?.to === "string");

function label(m: AnyMessage): string {
  if (m.kind === "request" && m.body) return `${String(m.body.type)} ${JSON.stringify(m.body["value"])} seq ${String(m.body.seq)}`;
  if (m.kind === "reply" && m.body) return `${String(m.body.type)}${m.body.type === "error" ? ` ${String(m.body["code"])}` : ` ${JSON.stringify(m.body["value"])}`} (seq ${String(m.seq)})`;
  if (m.kind === "vote-reply") return `vote ${m["granted"] ? "granted" : "refused"} term ${String(m.term)}`;
  if (m.kind.startsWith("raft_") && m.body) return raftLabel(m.kind, m.body as Record<string, unknown>);
  return `${m.kind} term ${String(m.term ?? "")}`;
}

/** A real core's peer message (raft-core-3), in a few words. */
function raftLabel(kind: string, b: Record<string, unknown>): string {
  const vote = b["pre_vote"] ? "pre-vote" : "vote";
  switch (kind) {
    case "raft_request_vote":
      return `${vote} request term ${String(b["term"])}`;
    case "raft_request_vote_ok":
      return `${vote} ${b["granted"] ? "granted" : "refused"} term ${String(b["term"])}`;
    case "raft_append": {
      const entries = Array.isArray(b["entries"]) ? (b["entries"] as Array<{ index: number; term: number }>).map((e) => `${e.index}:${e.term}`).join(" ") : "";
      return `append term ${String(b["term"])} [${entries}] commit ${String(b["leader_commit"])}`;
    }
    case "raft_append_ok":
      return b["success"] ? `append ok match ${String(b["match_index"])}` : `append refused term ${String(b["term"])}`;
    default:
      return `${kind} term ${String(b["term"])}`;
  }
}

/** The message entries and the event lines of a replayed trace. */
export function traceEntries(replay: ReplayResult): { entries: TraceEntry[]; columns: string[] } {
  const entries: TraceEntry[] = [];
  const open = new Map<string, TracedMessage[]>();
  const ends = new Set<string>();
  let packetId = 0;
  const add = (m: AnyMessage, at: number, fate: TracedMessage["fate"]): TracedMessage => {
    ends.add(m.from).add(m.to);
    const e: TracedMessage = {
      kind: "message",
      packetId: packetId++,
      src: m.from,
      dest: m.to,
      sentAtMs: at,
      fate,
      type: label(m),
      ...(m.body?.client_id !== undefined ? { clientId: String(m.body.client_id) } : {}),
      ...(typeof m.body?.seq === "number" ? { seq: m.body.seq } : {}),
      body: {} as TracedMessage["body"],
    };
    entries.push(e);
    return e;
  };
  const countTexts = (ms: AnyMessage[]) => {
    const c = new Map<string, { m: AnyMessage; n: number }>();
    for (const m of ms) {
      const k = stableStringify(m);
      const x = c.get(k);
      if (x) x.n++;
      else c.set(k, { m, n: 1 });
    }
    return c;
  };
  for (const m of inFlight(replay.states[0])) {
    const k = stableStringify(m);
    open.set(k, [...(open.get(k) ?? []), add(m, 0, "dropped-loss")]);
  }
  replay.events.forEach((event, i) => {
    const step = i + 1;
    const ev = event as { kind?: string; message?: AnyMessage };
    const before = countTexts(inFlight(replay.states[i]));
    const after = countTexts(inFlight(replay.states[step]));
    if ((ev.kind === "deliver" || ev.kind === "duplicate") && ev.message) {
      const k = stableStringify(ev.message);
      const queue = open.get(k) ?? [];
      if (ev.kind === "deliver") {
        const p = queue.shift();
        if (p) Object.assign(p, { deliveredAtMs: step, fate: "delivered" });
        const b = before.get(k);
        if (b) b.n--;
      } else {
        const first = queue[0];
        const copy = add(ev.message, first?.sentAtMs ?? step - 1, "duplicate");
        copy.deliveredAtMs = step;
      }
    }
    // Messages gone without delivery: dropped (or discarded: a reply nobody waits for).
    for (const [k, { n }] of before) {
      const gone = n - (after.get(k)?.n ?? 0);
      for (let g = 0; g < gone; g++) {
        const p = open.get(k)?.shift();
        if (p) Object.assign(p, { deliveredAtMs: step + 0.1, fate: ev.kind === "drop" ? "dropped-loss" : "dropped-lost-reply" });
      }
    }
    for (const [k, { m, n }] of after) {
      const fresh = n - Math.max(0, before.get(k)?.n ?? 0);
      for (let f = 0; f < fresh; f++) open.set(k, [...(open.get(k) ?? []), add(m, step + 0.2 + 0.01 * f, "dropped-loss")]);
    }
  });
  // Messages still in flight when the trace ends were not lost, only not delivered yet: the page lists them under the picture.
  const drawn = entries.filter((e) => e.kind !== "message" || e.deliveredAtMs !== undefined);
  const clients = [...ends].filter((x) => !/^n\d+$/.test(x) && x !== "server").sort();
  const nodes = [...ends].filter((x) => /^n\d+$/.test(x) || x === "server").sort();
  return { entries: drawn, columns: [...clients, ...nodes] };
}

/** The whole page: the diagram, then the numbered event lines, the violation in red. */
export function renderTraceHtml(trace: TraceFile, replay: ReplayResult): string {
  const { entries, columns } = traceEntries(replay);
  const faults: TraceEntry[] = [];
  replay.events.forEach((event, i) => {
    const ev = event as { kind?: string; client?: string; node?: string };
    if (ev.kind === "timer" || ev.kind === "restart") faults.push({ kind: "fault", atMs: i + 1, label: `step ${i + 1}: ${replay.lines[i] ?? "timer"}`, nodes: [] });
  });
  if (replay.violation) faults.push({ kind: "fault", atMs: replay.events.length + 0.5, label: `violated: ${replay.violation.invariant}`, nodes: [] });
  const svg = renderSequenceSvg({
    title: `kv-sim search: ${trace.scenario}${replay.violation ? ` — ${replay.violation.invariant} violated` : ""}`,
    caption: `shape ${Object.entries(trace.shape).map(([k, v]) => `${k} ${v}`).join(", ")}; one row per event of the trace (the time axis counts steps)`,
    columns: columns.map((id): SequenceColumn => ({ id })),
    entries: [...entries, ...faults].sort((a, b) => (a.kind === "fault" ? a.atMs : a.sentAtMs) - (b.kind === "fault" ? b.atMs : b.sentAtMs)),
  });
  const lines = replay.lines.map((l, i) => `<li>${esc(l)}</li>`).join("\n");
  const pending = inFlight(replay.states.at(-1));
  const pendingList = pending.length === 0 ? "" : `<h2>Still in flight at the end</h2>\n<ul>\n${pending.map((m) => `<li>${esc(`${m.from}->${m.to} ${label(m)}`)}</li>`).join("\n")}\n</ul>\n`;
  const violation = replay.violation ? `<p class="violation"><b>${esc(replay.violation.invariant)}</b>: ${esc(replay.violation.message)}</p>` : `<p>Every invariant holds at the end of the trace.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kv-sim search trace: ${esc(trace.scenario)}</title>
<style>body{font-family:system-ui,sans-serif;margin:16px;color:#1f2933}ol{font-family:ui-monospace,monospace;font-size:13px}.violation{color:#b91c1c;border-left:4px solid #b91c1c;padding-left:8px}.diagram{overflow-x:auto}</style>
</head><body>
${violation}
<div class="diagram">${svg}</div>
<h2>Events</h2>
<ol>
${lines}
</ol>
${pendingList}</body></html>
`;
}
