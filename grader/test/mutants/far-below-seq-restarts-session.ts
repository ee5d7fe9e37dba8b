/**
 * Mutant: a seq three or more below the client's last one is taken for a
 * client that restarted its numbering, so the request is registered as new
 * and applied. A seq one below is still refused as stale, which is all a
 * hand-made case tries; a copy that arrives three operations late takes one
 * precise order (a copy of seq 1 left in flight while seqs 2, 3 and 4 are
 * applied), which random runs seldom make and the search always does.
 */
import * as solution from "../../solutions/week-12/src/client-tracker.js";
import type { Registration } from "../../solutions/week-12/src/client-tracker.js";
import type { Mutant } from "./mutant.js";

export * from "../../solutions/week-12/src/client-tracker.js";

export class ClientTracker extends solution.ClientTracker {
  override registerRequest(clientId: string, seq: number, nowMs: number): Registration {
    const session = Object.hasOwn(this.state.sessions, clientId) ? this.state.sessions[clientId] : undefined;
    // The mistake: far below the last seq looks like a client that started counting again.
    if (session !== undefined && seq <= session.lastSeq - 3) return { kind: "new" };
    return super.registerRequest(clientId, seq, nowMs);
  }
}

export const MUTANT: Mutant = {
  replaces: "src/client-tracker.ts",
  mistake: "a seq three or more below the last one is taken for a client that restarted its numbering and applied again",
  caughtBy: { criterion: "w11-l04#1", message: /applied twice.*found by searching every order/s },
};
