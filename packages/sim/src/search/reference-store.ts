/**
 * The reference store for the search scenarios: the reference cluster's own
 * key-value state machine with its client sessions (`KvStateMachine` and
 * `SessionTable` from `@dslab/cluster/core`), behind the `DedupStoreClass`
 * contract the scenarios run (`new ReferenceStore({ sessionTimeoutMs },
 * state?)`, `.state`, `.handleRequest(request, nowMs)`).
 *
 * It is what leader-change-3 runs in its replicas when the piece judged is
 * the retrying client (`kv-sim search --client FILE`, the client-retry
 * quest's hidden searches): the client is then judged against the store
 * every reference node runs, whatever state the workbook's own store is in.
 *
 * Each request is one committed entry: the machine is restored from `state`
 * (a snapshot), applies the request as an entry stamped `nowMs` (the
 * leader's time, as in the log), and its snapshot becomes the new `state`.
 * So the replies are the reference cluster's, rule for rule (index.ts of the
 * state machine): `append_ok` with the list after it; a duplicate answered
 * from the session and not applied again; error 1000 for a seq below the
 * session's last; 1007 for a seq reused by a different request; 1005, 1001
 * and 1006 for the identities of ended or unknown sessions.
 *
 * `state` is plain data in the shape the scenarios read (`data` the map,
 * `tracker.sessions` the live sessions by client id), and canonical: the
 * same sessions and map give the same value, with no applied-entry counter
 * in it (each entry is applied as entry 1 of a restored machine), so a
 * request answered from the session leaves the state as it was and the
 * search meets it as a state already seen.
 */
import type { Json, Key } from "@dslab/protocol";
import { compareKeys, KvStateMachine, NODE_DEFAULTS, SNAPSHOT_FORMAT, type KvSnapshotData, type Session, type Tombstone } from "@dslab/cluster/core";
import type { AppendRequest, DedupStoreLike, StoreReply } from "./dedup-single.js";

export interface ReferenceStoreState {
  /** The map's string keys (the list a search appends to is `data.l`). */
  data: Record<string, Json>;
  tracker: {
    /** Live sessions by client id, as the session table keeps them (lastSeq, fingerprint, response, lastActivityMs). */
    sessions: Record<string, Session>;
    /** Ended sessions by client id (lastSeenMs, reason, lastSeq): their identities get 1005, 1001 or 1006. */
    tombstones: Record<string, Tombstone>;
    /** Client ids of `sessions`, then of `tombstones`, each least recently active first (the table's eviction order). */
    order: string[];
  };
  /** The machine's clock: the largest entry time applied. */
  clockMs: number;
  /** Integer keys (1 and "1" are different keys), present only when there are some. */
  integerKeys?: Array<[number, Json]>;
  /** Idempotency keys (the HTTP front's), present only when there are some. */
  idempotencyKeys?: KvSnapshotData["idempotency_keys"];
}

export interface ReferenceStoreOptions {
  /** A session ends once its client has been idle longer than this (ms), by the entries' time. */
  sessionTimeoutMs: number;
}

const EMPTY: ReferenceStoreState = { data: {}, tracker: { sessions: {}, tombstones: {}, order: [] }, clockMs: 0 };

export class ReferenceStore implements DedupStoreLike {
  readonly options: ReferenceStoreOptions;
  state: ReferenceStoreState;

  constructor(options: ReferenceStoreOptions, state: ReferenceStoreState = structuredClone(EMPTY)) {
    this.options = options;
    this.state = state;
  }

  /** Applies `request` as the next committed entry, stamped `nowMs`, and returns the reference node's reply. */
  handleRequest(request: AppendRequest, nowMs: number): StoreReply {
    const machine = new KvStateMachine({
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      maxSessions: NODE_DEFAULTS.maxSessions,
      idempotencyTtlMs: NODE_DEFAULTS.idempotencyTtlMs,
      maxIdempotencyKeys: NODE_DEFAULTS.maxIdempotencyKeys,
      maxValueBytes: NODE_DEFAULTS.maxValueBytes,
    });
    machine.restore(snapshotOf(this.state) as unknown as Json);
    const reply = machine.apply({ kind: "client", ts: nowMs, request: request as never }, 1);
    this.state = stateOf(machine.snapshot() as unknown as KvSnapshotData);
    return reply as StoreReply;
  }
}

/** The machine's snapshot of `state`, as entry 0 applied. */
function snapshotOf(state: ReferenceStoreState): KvSnapshotData {
  const kv: Array<[Key, Json]> = [...(state.integerKeys ?? []), ...Object.entries(state.data)];
  kv.sort((a, b) => compareKeys(a[0], b[0]));
  const { sessions, tombstones, order } = state.tracker;
  return {
    format: SNAPSHOT_FORMAT,
    applied_index: 0,
    clock_ms: state.clockMs,
    kv,
    sessions: order
      .filter((id) => Object.hasOwn(sessions, id))
      .map((id) => {
        const s = sessions[id]!;
        return { client_id: id, last_seq: s.lastSeq, fingerprint: s.fingerprint, last_activity_ms: s.lastActivityMs, response: s.response };
      }),
    tombstones: order
      .filter((id) => Object.hasOwn(tombstones, id))
      .map((id) => {
        const t = tombstones[id]!;
        return { client_id: id, last_seen_ms: t.lastSeenMs, reason: t.reason, last_seq: t.lastSeq };
      }),
    idempotency_keys: state.idempotencyKeys ?? [],
  };
}

/** The plain-data state of a snapshot (see the header). */
function stateOf(snapshot: KvSnapshotData): ReferenceStoreState {
  const data: Record<string, Json> = {};
  const integerKeys: Array<[number, Json]> = [];
  for (const [key, value] of snapshot.kv) {
    if (typeof key === "number") integerKeys.push([key, value]);
    else Object.defineProperty(data, key, { value, enumerable: true, writable: true, configurable: true });
  }
  const sessions: Record<string, Session> = {};
  const tombstones: Record<string, Tombstone> = {};
  const order: string[] = [];
  for (const s of snapshot.sessions) {
    const session: Session = { lastSeq: s.last_seq, fingerprint: s.fingerprint, response: s.response, lastActivityMs: s.last_activity_ms };
    Object.defineProperty(sessions, s.client_id, { value: session, enumerable: true, writable: true, configurable: true });
    order.push(s.client_id);
  }
  for (const t of snapshot.tombstones) {
    const tombstone: Tombstone = { lastSeenMs: t.last_seen_ms, reason: t.reason, lastSeq: t.last_seq };
    Object.defineProperty(tombstones, t.client_id, { value: tombstone, enumerable: true, writable: true, configurable: true });
    order.push(t.client_id);
  }
  const state: ReferenceStoreState = { data, tracker: { sessions, tombstones, order }, clockMs: snapshot.clock_ms };
  if (integerKeys.length > 0) state.integerKeys = integerKeys;
  if (snapshot.idempotency_keys.length > 0) state.idempotencyKeys = snapshot.idempotency_keys;
  return state;
}
