/**
 * The client tracker: per client, the last seq applied and the reply it got,
 * so a retry is answered from the table instead of being applied again.
 *
 * Lessons: w11-l04 (idempotent writes), criteria 1 and 2;
 * w12-leader-election-client-idempotency-d04-quest-dedup-store-2h, criteria
 * 2, 3 and 4.
 *
 * Rules:
 * - A request (client, seq) whose seq is the client's last seq is a
 *   duplicate: answer the cached reply, apply nothing.
 * - A seq below the last one is stale: refuse it, apply nothing.
 * - Anything else (a new client, a higher seq) is new: the caller applies it
 *   and then records its reply with `recordResponse`, which replaces the
 *   client's last seq and reply.
 * - A session idle for longer than `sessionTimeoutMs` ends when
 *   `garbageCollectExpiredSessions` runs.
 *
 * Time is always the `nowMs` argument: in a cluster it is the time the
 * leader wrote into the log entry being applied, the same on every replica.
 * Never read a clock here (no `Date.now()`): replicas whose clocks differ
 * would end different sessions and answer the same retry differently.
 *
 * All the tracker keeps is in `state`, plain JSON data (objects, arrays,
 * numbers, strings): the cluster copies it into snapshots and restores a
 * tracker from it after a restart. Change `state` in place; keep nothing
 * outside it. Client ids are any strings: look a session up with
 * `Object.hasOwn(this.state.sessions, clientId)`, so an id like
 * "constructor" is not mistaken for one.
 */
import type { Json } from "@dslab/protocol";
import { todo } from "./todo.js";

/** What the tracker remembers about one client. */
export interface ClientSession {
  /** The last seq applied for this client. */
  lastSeq: number;
  /** The reply body given to `lastSeq` (plain JSON, e.g. `{ type: "write_ok" }`). */
  response: Json;
  /** When the client last sent a request (the time passed in, in ms). */
  lastActivityMs: number;
}

export interface TrackerState {
  /** By client id. */
  sessions: Record<string, ClientSession>;
}

export interface TrackerOptions {
  /** A session ends once it has been idle for longer than this (ms). */
  sessionTimeoutMs: number;
}

/** What to do with a request. */
export type Registration =
  /** Apply it, then call `recordResponse`. */
  | { kind: "new" }
  /** Already applied: answer `response` again. */
  | { kind: "duplicate"; response: Json }
  /** Below the client's last seq: refuse it (error 1000). */
  | { kind: "stale"; lastSeq: number };

export class ClientTracker {
  readonly options: TrackerOptions;
  state: TrackerState;

  constructor(options: TrackerOptions, state: TrackerState = { sessions: {} }) {
    this.options = options;
    this.state = state;
  }

  /**
   * What to do with request `seq` from `clientId`, at `nowMs`. A duplicate
   * counts as activity (the client is alive): set its `lastActivityMs`.
   */
  registerRequest(clientId: string, seq: number, nowMs: number): Registration {
    return todo("registerRequest");
  }

  /** Stores the reply to a newly applied `seq`: the client's last seq and reply are now these. */
  recordResponse(clientId: string, seq: number, response: Json, nowMs: number): void {
    return todo("recordResponse");
  }

  /**
   * Ends every session idle for longer than `sessionTimeoutMs` at `nowMs`
   * (`nowMs - lastActivityMs > sessionTimeoutMs`) and returns the ids of
   * the clients whose sessions ended.
   */
  garbageCollectExpiredSessions(nowMs: number): string[] {
    return todo("garbageCollectExpiredSessions");
  }
}
