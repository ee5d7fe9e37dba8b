/**
 * The workbook's `ClientTracker` as the reference cluster's session store
 * (`SessionStore`, packages/cluster/src/state-machine/session-store.ts):
 * the state machine calls it while applying each committed entry, with the
 * time written in that entry, on every replica.
 *
 * - `expire(now)` -> `garbageCollectExpiredSessions(now)`
 * - `check(client, seq, _, now)` -> `registerRequest(client, seq, now)`:
 *   new, duplicate (the cached reply), stale (error 1000)
 * - `record(client, seq, _, reply, now)` -> `recordResponse(client, seq, reply, now)`
 * - snapshots carry the tracker's `state` as it is (`exportState`), and a
 *   restarted node or one that installs a snapshot gets a new tracker built
 *   from it (`importState`), so whatever the tracker keeps outside `state`
 *   is gone there, as it would be on a real restart.
 *
 * The tracker keeps no tombstones and checks no request fingerprints (the
 * reference table's seq-reuse and ended-session answers): a retry of the
 * last seq is a duplicate whatever its body.
 */
import type { Session, SessionStore, SessionStoreFactory, SessionTableOptions, SessionVerdict, Tombstone } from "@dslab/cluster";
import type { Body, Json } from "@dslab/protocol";
import { CheckFailure, type Workbook } from "../checks/types.js";
import type { ClientSession, ClientTracker, TrackerState } from "../src/client-tracker.js";

type TrackerClass = typeof ClientTracker;

export async function sessionStoreFor(workbook: Workbook): Promise<SessionStoreFactory | undefined> {
  const { ClientTracker: Tracker } = await workbook.import<{ ClientTracker: TrackerClass }>("src/client-tracker.ts");
  if (typeof Tracker !== "function") throw new CheckFailure(`${workbook.path("src/client-tracker.ts")} does not export a class ClientTracker`);
  return (options) => new TrackerSessionStore(Tracker, options);
}

class TrackerSessionStore implements SessionStore {
  private tracker: ClientTracker;
  readonly tombstoneCount = 0;

  constructor(
    private readonly Tracker: TrackerClass,
    private readonly options: SessionTableOptions,
  ) {
    this.tracker = new Tracker({ sessionTimeoutMs: options.sessionTimeoutMs });
  }

  get size(): number {
    const sessions = (this.tracker.state as Partial<TrackerState> | undefined)?.sessions;
    return typeof sessions === "object" && sessions !== null ? Object.keys(sessions).length : 0;
  }

  expire(nowMs: number): void {
    this.tracker.garbageCollectExpiredSessions(nowMs);
  }

  check(clientId: string, seq: number, _fingerprint: string, nowMs: number): SessionVerdict {
    const registration = this.tracker.registerRequest(clientId, seq, nowMs);
    switch (registration?.kind) {
      case "new":
        return { kind: "new" };
      case "duplicate":
        return { kind: "duplicate", response: registration.response as Body };
      case "stale":
        return { kind: "stale", lastSeq: registration.lastSeq, ended: false };
      default:
        // The student's mistake, not the cluster's: reported as a failed check wherever it surfaces.
        throw new CheckFailure(
          `ClientTracker.registerRequest("${clientId}", ${seq}, ${nowMs}) returned ${JSON.stringify(registration) ?? "nothing"}; it must return { kind: "new" }, { kind: "duplicate", response } or { kind: "stale", lastSeq }`,
        );
    }
  }

  record(clientId: string, seq: number, _fingerprint: string, response: Body, nowMs: number): void {
    this.tracker.recordResponse(clientId, seq, response as Json, nowMs);
  }

  /** The tracker's sessions in the reference table's shape (least recently active first), for inspection. */
  entries(): { sessions: Array<[string, Session]>; tombstones: Array<[string, Tombstone]> } {
    const sessions = Object.entries(this.tracker.state.sessions ?? {}).map(
      ([id, s]): [string, Session] => [id, { lastSeq: s.lastSeq, fingerprint: "", response: s.response as Body, lastActivityMs: s.lastActivityMs }],
    );
    sessions.sort((a, b) => a[1].lastActivityMs - b[1].lastActivityMs);
    return { sessions, tombstones: [] };
  }

  /** A reference-table snapshot's sessions (its tombstones have no place in the tracker). */
  load(sessions: Array<[string, Session]>, _tombstones: Array<[string, Tombstone]>): void {
    const state: TrackerState = { sessions: {} };
    for (const [id, s] of sessions) {
      const session: ClientSession = { lastSeq: s.lastSeq, response: s.response as Json, lastActivityMs: s.lastActivityMs };
      Object.defineProperty(state.sessions, id, { value: session, enumerable: true, writable: true, configurable: true });
    }
    this.tracker = new this.Tracker({ sessionTimeoutMs: this.options.sessionTimeoutMs }, state);
  }

  exportState(): Json {
    return this.tracker.state as unknown as Json;
  }

  importState(state: Json): void {
    if (typeof state !== "object" || state === null || Array.isArray(state)) {
      throw new Error(`a ClientTracker's state is an object, got ${state === null ? "null" : Array.isArray(state) ? "an array" : typeof state}`);
    }
    this.tracker = new this.Tracker({ sessionTimeoutMs: this.options.sessionTimeoutMs }, state as unknown as TrackerState);
  }
}
