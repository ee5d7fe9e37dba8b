/**
 * Mutant: `<` where `<=` is needed when the seq is compared with the last
 * one, so a retry of the last seq falls through to "new" and is applied again.
 */
import * as solution from "../../solutions/week-12/src/client-tracker.js";
import type { Registration } from "../../solutions/week-12/src/client-tracker.js";
import type { Mutant } from "./mutant.js";

export * from "../../solutions/week-12/src/client-tracker.js";

export class ClientTracker extends solution.ClientTracker {
  override registerRequest(clientId: string, seq: number, nowMs: number): Registration {
    const session = Object.hasOwn(this.state.sessions, clientId) ? this.state.sessions[clientId] : undefined;
    if (session !== undefined && seq < session.lastSeq) {
      if (seq === session.lastSeq) {
        session.lastActivityMs = nowMs;
        return { kind: "duplicate", response: session.response };
      }
      return { kind: "stale", lastSeq: session.lastSeq };
    }
    return { kind: "new" };
  }
}

export const MUTANT: Mutant = {
  replaces: "src/client-tracker.ts",
  mistake: "`<` instead of `<=` when comparing seq: a retry of the last seq is applied again",
  caughtBy: { criterion: "w11-l04#1", message: /retry of the client's last seq .* would be applied again/ },
};
