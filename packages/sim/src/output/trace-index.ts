/**
 * What messages.txt and messages.html both need to know of a run's trace,
 * found in one pass over it (a run has tens of thousands of entries, most of
 * them node to node): which messages are between two nodes, the client
 * messages in order, and which client messages are retries. The n-th
 * request a client sends for one request identity (client_id and seq) is
 * retry #(n - 1), counted over the whole trace, so a retry whose first
 * attempt lies outside a drawn window is still marked. Network duplicates
 * and late replays are the network's doing, not the client's: they are not
 * counted.
 */
import type { TraceEntry, TracedMessage } from "../network/trace.js";

export interface TraceIndex {
  /** 1 at the index of each message between two nodes. */
  peer: Uint8Array;
  /** By entry index: the retry number (1 for the first retry), 0 for anything but a retry. */
  retries: Uint32Array;
  /** The client messages (to or from a client), in trace order. */
  clientMessages: TracedMessage[];
  /** Messages of either kind. */
  messages: number;
}

export function indexTrace(entries: readonly TraceEntry[], nodeIds: readonly string[]): TraceIndex {
  const isNode = new Set(nodeIds);
  const peer = new Uint8Array(entries.length);
  const retries = new Uint32Array(entries.length);
  const clientMessages: TracedMessage[] = [];
  const seen = new Map<string, number>();
  let messages = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind !== "message") continue;
    messages++;
    const fromNode = isNode.has(e.src);
    if (fromNode && isNode.has(e.dest)) {
      peer[i] = 1;
      continue;
    }
    clientMessages.push(e);
    if (fromNode || e.clientId === undefined || e.fate === "duplicate" || e.fate === "replayed") continue;
    const key = `${e.src}|${e.clientId}|${e.seq}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    retries[i] = n - 1;
  }
  return { peer, retries, clientMessages, messages };
}
