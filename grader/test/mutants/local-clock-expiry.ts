/**
 * Mutant: sessions expire by the machine's own clock (`Date.now()`), not by
 * the time passed in (the time in the log entry), so replicas with
 * different clocks end different sessions.
 */
import * as solution from "../../solutions/week-12/src/client-tracker.js";
import type { Mutant } from "./mutant.js";

export * from "../../solutions/week-12/src/client-tracker.js";

export class ClientTracker extends solution.ClientTracker {
  override garbageCollectExpiredSessions(_nowMs: number): string[] {
    return super.garbageCollectExpiredSessions(Date.now());
  }
}

export const MUTANT: Mutant = {
  replaces: "src/client-tracker.ts",
  mistake: "sessions expire by the local clock (Date.now()), not the time passed in from the log",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#4",
    message: /never the local clock|not the local clock|replica's own clock/,
  },
};
