/**
 * Mutant: a late copy of an older request is refused as stale, but the
 * refusal is then recorded as the client's last reply, moving the client's
 * last seq back to the old one. The next copy of the newer request (a retry
 * or a network duplicate) then looks new and is applied a second time. It
 * takes one precise order of deliveries: an old copy after the newer
 * request was applied, and another copy of the newer one after that.
 */
import * as solution from "../../solutions/week-12/src/dedup-kv-store.js";
import type { KvReply, KvRequest } from "../../solutions/week-12/src/dedup-kv-store.js";
import type { Mutant } from "./mutant.js";

export * from "../../solutions/week-12/src/dedup-kv-store.js";

export class DedupKVStore extends solution.DedupKVStore {
  override handleRequest(request: KvRequest, nowMs: number): KvReply {
    const reply = super.handleRequest(request, nowMs);
    if (request.type !== "read" && request.client_id !== undefined && request.seq !== undefined && reply.type === "error" && reply.code === 1000) {
      this.tracker.recordResponse(request.client_id, request.seq, reply, nowMs);
    }
    return reply;
  }
}

export const MUTANT: Mutant = {
  replaces: "src/dedup-kv-store.ts",
  mistake: "a refused stale request is recorded as the client's last reply, moving its last seq back, so the next copy of the newer seq is applied again",
  caughtBy: { criterion: "w11-l04#1", message: /applied twice.*in this order/s },
};
