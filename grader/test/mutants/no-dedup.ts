/**
 * Mutant: the store applies every request, retries included; the tracker
 * is never asked.
 */
import * as solution from "../../solutions/week-12/src/dedup-kv-store.js";
import type { KvReply, KvRequest } from "../../solutions/week-12/src/dedup-kv-store.js";
import type { Mutant } from "./mutant.js";

export * from "../../solutions/week-12/src/dedup-kv-store.js";

export class DedupKVStore extends solution.DedupKVStore {
  override handleRequest(request: KvRequest, _nowMs: number): KvReply {
    return solution.applyOperation(this.state.data, request);
  }
}

export const MUTANT: Mutant = {
  replaces: "src/dedup-kv-store.ts",
  mistake: "every request is applied: a retried write (same client_id and seq) is applied again",
  caughtBy: { criterion: "w11-l04#1", message: /retried append \(client c1, seq 1\) was applied again/ },
};
