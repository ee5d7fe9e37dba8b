/**
 * Mutant: the tracker keeps its table in a Map on the instance, outside
 * `state`. It answers retries while the same object lives, but the table is
 * not in the replicated state or its snapshots: a node restarted from a
 * snapshot, or one that caught up by installing one, forgets it, and as
 * leader applies a retry again.
 */
import type { Json } from "@dslab/protocol";
import type { ClientSession, Registration, TrackerOptions, TrackerState } from "../../solutions/week-12/src/client-tracker.js";
import type { Mutant } from "./mutant.js";

export type { ClientSession, Registration, TrackerOptions, TrackerState };

export class ClientTracker {
  readonly options: TrackerOptions;
  state: TrackerState;
  private readonly table = new Map<string, ClientSession>();

  constructor(options: TrackerOptions, state: TrackerState = { sessions: {} }) {
    this.options = options;
    this.state = state;
  }

  registerRequest(clientId: string, seq: number, nowMs: number): Registration {
    const session = this.table.get(clientId);
    if (session === undefined || seq > session.lastSeq) return { kind: "new" };
    if (seq < session.lastSeq) return { kind: "stale", lastSeq: session.lastSeq };
    session.lastActivityMs = nowMs;
    return { kind: "duplicate", response: session.response };
  }

  recordResponse(clientId: string, seq: number, response: Json, nowMs: number): void {
    this.table.set(clientId, { lastSeq: seq, response, lastActivityMs: nowMs });
  }

  garbageCollectExpiredSessions(nowMs: number): string[] {
    const ended = [...this.table].filter(([, s]) => nowMs - s.lastActivityMs > this.options.sessionTimeoutMs).map(([id]) => id);
    for (const id of ended) this.table.delete(id);
    return ended;
  }
}

export const MUTANT: Mutant = {
  replaces: "src/client-tracker.ts",
  mistake: "dedup table kept outside the replicated state, as if only the leader needed it",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#3",
    message: /not kept outside it as if only the leader needed it/,
  },
};
