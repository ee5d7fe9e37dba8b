/**
 * The contract of the client-session table inside the replicated state
 * machine. The reference `SessionTable` implements it; so can another table
 * (the workbook's tracker), plugged in through `NodeConfig.sessionStore`, and
 * it then travels in the log and in snapshots exactly as the reference does.
 *
 * Every method is called while applying a committed entry, in log order, on
 * every replica, with the state machine's clock (the largest entry `ts`
 * applied so far), never a replica's own clock: a store must be a
 * deterministic function of the calls it gets, so that replicas agree.
 * Its whole state is plain data (`entries`/`load`), so a snapshot carries it
 * and a model checker can copy and compare it.
 *
 * A store whose state has another shape (the workbook's tracker keeps its
 * own plain object) implements `exportState`/`importState` as well: a
 * snapshot then carries that value as it is, opaque to the state machine,
 * in place of the reference table's sessions and tombstones (format
 * `dslab-kv/2+store`, snapshot-format.ts), checked only for being plain
 * JSON within the depth and size bounds before `importState` sees it.
 */
import type { Body, Json } from "@dslab/protocol";
import type { Session, SessionTableOptions, SessionVerdict, Tombstone } from "./session-table.js";

export interface SessionStore {
  /** Live sessions. */
  readonly size: number;
  /** Records of ended sessions. */
  readonly tombstoneCount: number;
  /** Ends what has expired at `nowMs`. Called before every applied entry. */
  expire(nowMs: number): void;
  /** What to do with a mutating request (client, seq) whose request fingerprint is `fingerprint`. */
  check(clientId: string, seq: number, fingerprint: string, nowMs: number): SessionVerdict;
  /** Stores the response to a newly applied seq. */
  record(clientId: string, seq: number, fingerprint: string, response: Body, nowMs: number): void;
  /** The whole state as plain data: sessions, then tombstones, each in eviction order. */
  entries(): { sessions: Array<[string, Session]>; tombstones: Array<[string, Tombstone]> };
  /** Replaces the whole state with what `entries` returned (validated by the caller). */
  load(sessions: Array<[string, Session]>, tombstones: Array<[string, Tombstone]>): void;
  /**
   * Optional, with `importState`: the whole state as one plain JSON value
   * of the store's own shape. When present, snapshots carry this instead of
   * `entries()`. The machine copies it; the store may keep changing its own.
   */
  exportState?(): Json;
  /**
   * Replaces the whole state with a value `exportState` returned (from a
   * snapshot on disk or from a peer: plain JSON within the bounds, its shape
   * unchecked). Throw for a shape the store does not understand; the
   * machine then keeps its state and reports the snapshot as bad.
   */
  importState?(state: Json): void;
}

/** Makes a node's session store; the options come from the node's configuration. */
export type SessionStoreFactory = (options: SessionTableOptions) => SessionStore;
