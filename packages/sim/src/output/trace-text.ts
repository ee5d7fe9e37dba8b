/**
 * messages.txt: the client messages and faults of a run as plain lines, one
 * event per line, so two runs (a seed before and after a change) can be
 * compared with `diff` (a behaviour change reads as a diff of a trace). Node-to-node traffic is left out.
 *
 *   1503.214 c3 -> n1 append {"key":"a0.1","value":"c3:7"} id=2903…/7 [retry #1] delivered@1505.870
 *   1700.000 FAULT SIGKILL n1 (leader)
 *
 * A run has tens of thousands of lines: each is flattened as it is made
 * (`flatString`), so the pieces it is built of do not outlive it.
 */
import { flatString } from "@dslab/checker";
import type { TraceEntry, TracedMessage } from "../network/trace.js";
import { indexTrace, type TraceIndex } from "./trace-index.js";

/** `index`: the trace's index (`indexTrace`), when the caller has it already. */
export function renderTraceText(entries: readonly TraceEntry[], nodeIds: readonly string[], index: TraceIndex = indexTrace(entries, nodeIds)): string {
  let out = "";
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind === "fault") {
      out += flatString(`${e.atMs.toFixed(3)} FAULT ${e.label}\n`);
      continue;
    }
    if (index.peer[i] === 1) continue;
    out += flatString(messageLine(e, index.retries[i]!) + "\n");
  }
  // No event at all is one empty line.
  return out === "" ? "\n" : out;
}

function messageLine(e: TracedMessage, retry: number): string {
  const { type, msg_id, in_reply_to, client_id, seq, ...rest } = e.body;
  void msg_id;
  void in_reply_to;
  void client_id;
  void seq;
  let tags = retry > 0 ? `retry #${retry}` : "";
  if (e.fromSession) tags += (tags === "" ? "" : ", ") + "from session";
  if (e.fate === "duplicate") tags += (tags === "" ? "" : ", ") + "network duplicate";
  if (e.fate === "replayed") tags += (tags === "" ? "" : ", ") + "late replay";
  const fate = e.deliveredAtMs !== undefined ? `delivered@${e.deliveredAtMs.toFixed(3)}` : e.fate;
  const id = e.clientId !== undefined ? ` id=${e.clientId}/${e.seq ?? "-"}` : "";
  const body = JSON.stringify(rest);
  return `${e.sentAtMs.toFixed(3)} ${e.src} -> ${e.dest} ${type} ${body.length > 200 ? `${body.slice(0, 200)}...` : body}${id}${tags === "" ? "" : ` [${tags}]`} ${fate}`;
}

