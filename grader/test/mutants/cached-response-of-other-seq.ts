/**
 * Mutant: any seq at or below the last one is answered from the cache, so a
 * late request with a lower seq gets the reply cached for the latest seq
 * instead of being refused.
 */
import * as solution from "../../solutions/week-12/src/client-tracker.js";
import type { Registration } from "../../solutions/week-12/src/client-tracker.js";
import type { Mutant } from "./mutant.js";

export * from "../../solutions/week-12/src/client-tracker.js";

export class ClientTracker extends solution.ClientTracker {
  override registerRequest(clientId: string, seq: number, nowMs: number): Registration {
    const session = Object.hasOwn(this.state.sessions, clientId) ? this.state.sessions[clientId] : undefined;
    if (session !== undefined && seq <= session.lastSeq) {
      session.lastActivityMs = nowMs;
      return { kind: "duplicate", response: session.response };
    }
    return { kind: "new" };
  }
}

export const MUTANT: Mutant = {
  replaces: "src/client-tracker.ts",
  mistake: "a stale seq is answered with the cached reply of the latest seq instead of being refused",
  caughtBy: { criterion: "w11-l04#2", message: /answered with a cached reply, the one of seq 2/ },
};
