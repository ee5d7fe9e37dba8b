/**
 * Which client messages are retries, for messages.txt and messages.html
 * alike: the n-th request a client sends for one request identity
 * (client_id and seq) is retry #(n - 1). Counted over the whole trace, so a
 * retry whose first attempt lies outside a drawn window is still marked.
 * Network duplicates and late replays are the network's doing, not the
 * client's: they are not counted.
 */
import type { TraceEntry } from "../network/trace.js";

/** For each entry of `entries`, by its index: its retry number (1 for the first retry), or 0 for anything but a retry. */
export function retryNumbers(entries: readonly TraceEntry[], nodeIds: readonly string[]): Uint32Array {
  const seen = new Map<string, number>();
  const retries = new Uint32Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind !== "message" || e.clientId === undefined || nodeIds.includes(e.src)) continue;
    if (e.fate === "duplicate" || e.fate === "replayed") continue;
    const key = `${e.src}|${e.clientId}|${e.seq}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    retries[i] = n - 1;
  }
  return retries;
}
