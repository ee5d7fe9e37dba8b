/**
 * Mutant: the reply of a seq more than two ahead of the last one is not
 * recorded (the author took a wide gap in the seqs for requests still on
 * their way, to be recorded once they arrive). A client that gave up on two
 * operations in a row moves on to the next seq, leaving such a gap; that seq
 * is then applied without a session entry, and a retry or a duplicate of it
 * is applied again. Hand-made cases use consecutive seqs; random runs seldom
 * give up twice in a row and then duplicate the next request.
 */
import * as solution from "../../solutions/week-12/src/client-tracker.js";
import type { Json } from "@dslab/protocol";
import type { Mutant } from "./mutant.js";

export * from "../../solutions/week-12/src/client-tracker.js";

export class ClientTracker extends solution.ClientTracker {
  override recordResponse(clientId: string, seq: number, response: Json, nowMs: number): void {
    const session = Object.hasOwn(this.state.sessions, clientId) ? this.state.sessions[clientId] : undefined;
    // The mistake: a wide gap in the seqs is taken for requests still to come, and nothing is recorded.
    if (session !== undefined && seq > session.lastSeq + 2) return;
    super.recordResponse(clientId, seq, response, nowMs);
  }
}

export const MUTANT: Mutant = {
  replaces: "src/client-tracker.ts",
  mistake: "the reply of a seq more than two ahead of the last (after a client gave up twice) is not recorded, so its retry is applied again",
  caughtBy: { criterion: "w11-l04#1", message: /applied twice.*found by searching every order/s },
};
