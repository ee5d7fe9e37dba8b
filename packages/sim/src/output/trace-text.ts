/**
 * messages.txt: the client messages and faults of a run as plain lines, one
 * event per line, so two runs (a seed before and after a change) can be
 * compared with `diff` (a behaviour change reads as a diff of a trace). Node-to-node traffic is left out.
 *
 *   1503.214 c3 -> n1 append {"key":"a0.1","value":"c3:7"} id=2903…/7 [retry #1] delivered@1505.870
 *   1700.000 FAULT SIGKILL n1 (leader)
 */
import type { TraceEntry, TracedMessage } from "../network/trace.js";

export function renderTraceText(entries: readonly TraceEntry[], nodeIds: readonly string[]): string {
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
