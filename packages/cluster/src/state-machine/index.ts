/**
 * The key-value state machine with client sessions and idempotency keys.
 *
 * `new KvStateMachine(opts)`; `apply(command, index, localNowMs)` for each
 * committed entry in index order (throws if an index repeats or goes back:
 * applying an entry twice is the bug this unit is about); `snapshot()` /
 * `restore(data)` (the snapshot holds the map AND the sessions, tombstones
 * and idempotency keys); `sessionCount()`, `tombstoneCount()`,
 * `idempotencyKeyCount()`, `appliedIndex()`, `clockMs()`, `read(key)`.
 *
 * ## Time
 * The only clock is `command.ts`, stamped by the leader that appended the
 * entry. The machine keeps `clock = max(clock, ts)` (in the snapshot), so
 * time never runs backwards when a new leader's clock is behind the old
 * one's. `localNowMs` is ignored (except by the `localClockExpiry` bug).
 * Expiry runs at the start of every applied entry, noops included.
 *
 * ## Operations (the protocol table, as in Maelstrom lin-kv)
 * - `read`: `read_ok {value}`; 20 if the key is missing. Reads need no
 *   session: any client_id/seq/idempotency_key on a read is ignored.
 * - `write`: `write_ok`.
 * - `cas {from,to}`: `cas_ok`; 22 if the value is not structurally equal to
 *   `from` (key order in objects does not matter); 20 if missing, unless
 *   `create_if_not_exists`, which creates the key with `to`.
 * - `append {value}`: `append_ok {value: the list after}`; a missing key
 *   starts as `[]`; 12 if the key holds something other than a list.
 * - `incr {delta}`: `incr_ok {value: the counter after}`; a missing key
 *   starts at 0; 12 if it holds a non-integer or the sum leaves the safe
 *   integer range.
 * - `delete`: `delete_ok`; **20 if the key is missing** (so a retried delete
 *   that was applied twice would show up as an error, not pass silently).
 * - A bad command (missing field, unknown op: 12 / 10) or a value above
 *   `maxValueBytes` (1002) is refused before any session is touched.
 * - noop entries return `{type: "noop_ok"}`.
 * Integer key 1 and string key "1" are different keys.
 *
 * ## Client sessions (mutating requests with `client_id` + `seq`)
 * Per client_id: the last applied seq, a fingerprint of the request applied
 * at it (request-fingerprint.ts), its response, the last activity time.
 * - Unknown client_id (no session, no tombstone) with seq 1: a new session;
 *   the request is applied. A session begins only at seq 1.
 * - seq > last: applied; the response is stored.
 * - seq == last, the same request: the stored response is returned, not
 *   applied again; the log says `[dedup] client <id> seq <n> is duplicate,
 *   returning cached result`. The retry counts as activity.
 * - seq == last, a different request (another op, key or argument): definite
 *   error 1007 (seq-reused), never applied, never answered with the other
 *   request's reply.
 * - seq < last: error 1000 (stale-request): this copy is never applied (an
 *   earlier copy may have been; the session does not record which seqs it
 *   skipped). Not activity.
 * - Error replies (20, 22, ...) are responses like any other: stored, and
 *   returned again for a duplicate.
 * - Expiry: a session ends when `clock - lastActivity > sessionTimeoutMs`.
 *   Bound: creating session maxSessions+1 evicts the least recently active
 *   (ties broken by apply order). An ended session becomes a **tombstone**
 *   that keeps its last applied seq, and answers every later request under
 *   its client_id without applying it:
 *   - seq == its last seq: error 1005 (reply-unavailable, indefinite): the
 *     request was applied once, and its reply is no longer kept. Never a
 *     "not applied": a duplicate that arrives after expiry must not turn an
 *     applied operation into a reported failure.
 *   - seq < its last seq: error 1000, as for a live session.
 *   - seq > its last seq: error 1001 (session-expired, definite and
 *     durable): no copy of it was applied (a session applies seqs in
 *     order and stopped at its last), and the tombstone refuses every copy.
 *   A tombstone lives `sessionTimeoutMs` after the last request it refused
 *   (each refusal renews it), and at most `maxSessions` are kept (oldest
 *   dropped).
 * - Unknown client_id with seq > 1: error 1006 (session-unknown,
 *   indefinite), never applied, and the id is tombstoned with no last seq
 *   (every later request under it gets 1006 too). Its session may have
 *   ended and its tombstone been dropped, so this may be a late copy of a
 *   request already applied; applying it as new would apply it twice, and
 *   whether it was applied cannot be told. A client whose first request
 *   never reached the log and that moved on to seq 2 is refused too: it
 *   must start a new client_id. Only a late copy of a seq 1, after its
 *   tombstone is dropped, would be taken for a new client: a copy must not
 *   outlive the tombstone bounds.
 * - Requests without client_id and seq (plain Maelstrom clients) are applied
 *   with no dedup. Only one of the two, or a bad type: 12.
 *
 * ## Idempotency keys (the HTTP front: `idempotency_key` + `fingerprint`)
 * Such requests are deduplicated by key instead of by session.
 * - First use: applied; response stored with the fingerprint and the time.
 * - Same key, same fingerprint: the stored response with `replayed: true`.
 * - Same key, other fingerprint: definite error 1003, nothing applied.
 * - A key is forgotten `idempotencyTtlMs` after its first use (then the key
 *   is new again); at most `maxIdempotencyKeys` are kept (oldest dropped).
 * - A key without a fingerprint: 12. "Still in flight" (409 / 1004) is for
 *   the proposing node to decide; nothing uncommitted reaches this machine.
 *
 * Expiry and eviction pop from the front of insertion-ordered maps kept in
 * time order, so `apply` is O(1) amortised (plus the op itself), never a
 * scan of all sessions.
 *
 * ## The session table is a seam
 * `sessionStore` (and `NodeConfig.sessionStore`) replaces the reference
 * `SessionTable` with any `SessionStore` (session-store.ts): the workbook's
 * tracker runs inside the replicated state machine this way, and so do the
 * known-bad tables the tests use to prove the harness catches them. A store
 * with `exportState`/`importState` travels in snapshots as its own opaque
 * plain-JSON value (format `dslab-kv/2+store`); the reference table's
 * snapshots stay `dslab-kv/2`.
 */
export { KvStateMachine, type KvStateMachineOptions } from "./kv-state-machine.js";
export { SessionTable, type Session, type SessionTableOptions, type SessionVerdict, type Tombstone } from "./session-table.js";
export type { SessionStore, SessionStoreFactory } from "./session-store.js";
export { IdempotencyStore, type IdempotencyRecord, type IdempotencyStoreOptions, type IdempotencyVerdict } from "./idempotency-store.js";
export {
  SnapshotFormatError,
  SNAPSHOT_FORMAT,
  STORE_SNAPSHOT_FORMAT,
  MAX_SESSION_STORE_DEPTH,
  MAX_SESSION_STORE_BYTES,
  parseSnapshot,
  sessionStoreState,
  type KvSnapshotData,
  type KvStoreSnapshotData,
} from "./snapshot-format.js";
export { jsonEqual, compareKeys } from "./json-value.js";
export { validateOp, applyOp, type KvMap } from "./kv-ops.js";
export { requestFingerprint } from "./request-fingerprint.js";
