/**
 * Mutant: reads go through the tracker like writes, so a read carrying a
 * (client_id, seq) seen before gets the answer cached for it, not the
 * latest value.
 */
import * as solution from "../../solutions/week-12/src/dedup-kv-store.js";
import type { KvReply, KvRequest } from "../../solutions/week-12/src/dedup-kv-store.js";
import type { Mutant } from "./mutant.js";

export * from "../../solutions/week-12/src/dedup-kv-store.js";

export class DedupKVStore extends solution.DedupKVStore {
  override handleRequest(request: KvRequest, nowMs: number): KvReply {
    if (request.type !== "read" || request.client_id === undefined || request.seq === undefined) return super.handleRequest(request, nowMs);
    const registration = this.tracker.registerRequest(request.client_id, request.seq, nowMs);
    if (registration.kind === "duplicate") return registration.response as KvReply;
    const reply = solution.applyOperation(this.state.data, request);
    this.tracker.recordResponse(request.client_id, request.seq, reply, nowMs);
    return reply;
  }
}

export const MUTANT: Mutant = {
  replaces: "src/dedup-kv-store.ts",
  mistake: "reads are deduplicated by (client_id, seq) like writes, so a repeated read returns a stale value",
  caughtBy: { criterion: "w11-l04#3", message: /reads must not be deduplicated/ },
};
