/**
 * The snapshot of the state machine as JSON (what goes into
 * `Snapshot.data`), and its validation. A snapshot comes back from disk or
 * from a peer (InstallSnapshot), so it is input from outside: a bad one gets
 * an error naming the field, never a half-restored machine.
 *
 * Ordering is deterministic: `kv` is sorted by key (integers, then strings);
 * `sessions`, `tombstones` and `idempotency_keys` are in their eviction order
 * (least recently active / oldest first), which replicas share because they
 * applied the same entries. Equal states give byte-identical JSON.
 *
 * A machine whose session store keeps its own state shape (session-store.ts:
 * `exportState`/`importState`) writes format `dslab-kv/2+store` instead:
 * the same fields, except that `session_store` (that store's state, opaque
 * here) replaces `sessions` and `tombstones`. It is checked for being plain
 * JSON (null, booleans, finite numbers, strings, arrays, plain objects)
 * within MAX_SESSION_STORE_DEPTH levels and MAX_SESSION_STORE_BYTES; its
 * shape is the store's to check. A reader of `dslab-kv/2` alone refuses it
 * by its format rather than restoring a machine without its sessions.
 */
import { jsonDepthExceeds, MAX_MESSAGE_DEPTH, tooDeepText, type Body, type Json, type Key } from "@dslab/protocol";
import type { IdempotencyRecord } from "./idempotency-store.js";
import { compareKeys, isKey, jsonByteLength, MAX_STORED_DEPTH } from "./json-value.js";
import type { Session, Tombstone } from "./session-table.js";

export const SNAPSHOT_FORMAT = "dslab-kv/2";
/** The format of a snapshot whose sessions are a store's own state (see the header). */
export const STORE_SNAPSHOT_FORMAT = "dslab-kv/2+store";

/**
 * Deepest a store's own state may nest: room for a cached reply holding the
 * deepest stored value, inside a few levels of the store's own records.
 */
export const MAX_SESSION_STORE_DEPTH = MAX_STORED_DEPTH + 8;
/** Largest a store's own state may be, in bytes of JSON. */
export const MAX_SESSION_STORE_BYTES = 64 * 1024 * 1024;

export interface KvSnapshotData {
  format: typeof SNAPSHOT_FORMAT;
  /** The index of the last entry applied. */
  applied_index: number;
  /** The state machine's clock: the largest entry `ts` applied so far. */
  clock_ms: number;
  kv: Array<[Key, Json]>;
  sessions: Array<{ client_id: string; last_seq: number; fingerprint: string; last_activity_ms: number; response: Body }>;
  tombstones: Array<{ client_id: string; last_seen_ms: number; reason: Tombstone["reason"]; last_seq: number | null }>;
  idempotency_keys: Array<{ key: string; fingerprint: string; created_ms: number; response: Body }>;
}

/** A snapshot of a machine whose session store exports its own state. */
export type KvStoreSnapshotData = Omit<KvSnapshotData, "format" | "sessions" | "tombstones"> & {
  format: typeof STORE_SNAPSHOT_FORMAT;
  session_store: Json;
};

/** Thrown by `restore` for a snapshot of the wrong shape. */
export class SnapshotFormatError extends Error {
  override readonly name = "SnapshotFormatError";
  /** Stable code for callers. */
  readonly code = "E_SNAPSHOT_FORMAT";
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`state machine snapshot: ${path}: ${detail}`);
  }
}

/** The restored contents, in snapshot order. */
export interface ParsedSnapshot {
  appliedIndex: number;
  clockMs: number;
  kv: Array<[Key, Json]>;
  sessions: Array<[string, Session]>;
  tombstones: Array<[string, Tombstone]>;
  idempotencyKeys: Array<[string, IdempotencyRecord]>;
  /** A `dslab-kv/2+store` snapshot's session store state (then `sessions` and `tombstones` are empty); null otherwise. */
  sessionStore: Json | null;
}

type Obj = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}...` : v)}`;
  if (typeof v === "number") return `the number ${v}`;
  return typeof v;
}

function fail(path: string, expected: string, got: unknown): never {
  throw new SnapshotFormatError(path, `expected ${expected}, got ${describe(got)}`);
}

function object(v: unknown, path: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, "an object", v);
  return v as Obj;
}
function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, "an array", v);
  return v;
}
function string(v: unknown, path: string): string {
  if (typeof v !== "string") fail(path, "a string", v);
  return v;
}
function time(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(path, "a finite number of milliseconds", v);
  return v;
}
function int(v: unknown, path: string, min: number): number {
  if (!Number.isSafeInteger(v) || (v as number) < min) fail(path, min > 0 ? "a positive integer" : "a non-negative integer", v);
  return v as number;
}
function responseBody(v: unknown, path: string): Body {
  const o = object(v, path);
  string(o.type, `${path}.type`);
  return o as Body;
}
function notBefore(prev: number, now: number, path: string, what: string): void {
  if (now < prev) throw new SnapshotFormatError(path, `${what} ${now} is earlier than the previous entry's ${prev}; entries must be oldest first`);
}
function notAfterClock(t: number, clockMs: number, path: string): void {
  if (t > clockMs) throw new SnapshotFormatError(path, `${t} is later than clock_ms ${clockMs}`);
}

export function parseSnapshot(data: unknown): ParsedSnapshot {
  // Depth first, with an iterative walk: then nothing that walks the data
  // afterwards can run out of stack on what a peer or a disk handed in.
  if (jsonDepthExceeds(data, MAX_MESSAGE_DEPTH)) throw new SnapshotFormatError("snapshot", tooDeepText(MAX_MESSAGE_DEPTH, "snapshot"));
  const root = object(data, "snapshot");
  if (root.format !== SNAPSHOT_FORMAT && root.format !== STORE_SNAPSHOT_FORMAT) {
    fail("format", `${JSON.stringify(SNAPSHOT_FORMAT)} or ${JSON.stringify(STORE_SNAPSHOT_FORMAT)}`, root.format);
  }
  const withStore = root.format === STORE_SNAPSHOT_FORMAT;
  const appliedIndex = int(root.applied_index, "applied_index", 0);
  const clockMs = time(root.clock_ms, "clock_ms");

  const kv: Array<[Key, Json]> = [];
  array(root.kv, "kv").forEach((e, i) => {
    const path = `kv[${i}]`;
    const pair = array(e, path);
    if (pair.length !== 2) fail(path, "a [key, value] pair", e);
    const [key, value] = pair;
    if (!isKey(key)) fail(`${path}[0]`, "a string or an integer key", key);
    if (value === undefined) fail(`${path}[1]`, "a JSON value", value);
    if (jsonDepthExceeds(value, MAX_STORED_DEPTH)) throw new SnapshotFormatError(`${path}[1]`, tooDeepText(MAX_STORED_DEPTH));
    const prev = kv[kv.length - 1];
    if (prev !== undefined && compareKeys(prev[0], key) >= 0) {
      throw new SnapshotFormatError(path, `key ${JSON.stringify(key)} is out of order or repeated (keys are sorted: integers, then strings)`);
    }
    kv.push([key, value as Json]);
  });

  const sessions: Array<[string, Session]> = [];
  const seen = new Set<string>();
  let prevMs = -Infinity;
  let sessionStore: Json | null = null;
  if (withStore) {
    for (const field of ["sessions", "tombstones"]) {
      if (root[field] !== undefined) throw new SnapshotFormatError(field, `a ${STORE_SNAPSHOT_FORMAT} snapshot keeps its sessions in session_store only`);
    }
    if (!Object.hasOwn(root, "session_store")) fail("session_store", "the session store's state", undefined);
    sessionStore = sessionStoreState(root.session_store, "session_store");
  }
  (withStore ? [] : array(root.sessions, "sessions")).forEach((e, i) => {
    const path = `sessions[${i}]`;
    const o = object(e, path);
    const id = string(o.client_id, `${path}.client_id`);
    if (seen.has(id)) throw new SnapshotFormatError(`${path}.client_id`, `client ${id} appears twice`);
    seen.add(id);
    const lastActivityMs = time(o.last_activity_ms, `${path}.last_activity_ms`);
    notBefore(prevMs, lastActivityMs, `${path}.last_activity_ms`, "last activity");
    notAfterClock(lastActivityMs, clockMs, `${path}.last_activity_ms`);
    prevMs = lastActivityMs;
    sessions.push([
      id,
      {
        lastSeq: int(o.last_seq, `${path}.last_seq`, 1),
        fingerprint: string(o.fingerprint, `${path}.fingerprint`),
        response: responseBody(o.response, `${path}.response`),
        lastActivityMs,
      },
    ]);
  });

  const tombstones: Array<[string, Tombstone]> = [];
  prevMs = -Infinity;
  (withStore ? [] : array(root.tombstones, "tombstones")).forEach((e, i) => {
    const path = `tombstones[${i}]`;
    const o = object(e, path);
    const id = string(o.client_id, `${path}.client_id`);
    if (seen.has(id)) throw new SnapshotFormatError(`${path}.client_id`, `client ${id} appears twice (live sessions and tombstones are disjoint)`);
    seen.add(id);
    const lastSeenMs = time(o.last_seen_ms, `${path}.last_seen_ms`);
    notBefore(prevMs, lastSeenMs, `${path}.last_seen_ms`, "last seen");
    notAfterClock(lastSeenMs, clockMs, `${path}.last_seen_ms`);
    prevMs = lastSeenMs;
    if (o.reason !== "expired" && o.reason !== "evicted" && o.reason !== "unknown") {
      fail(`${path}.reason`, `"expired", "evicted" or "unknown"`, o.reason);
    }
    const lastSeq = o.last_seq === null ? null : int(o.last_seq, `${path}.last_seq`, 1);
    if ((lastSeq === null) !== (o.reason === "unknown")) {
      throw new SnapshotFormatError(`${path}.last_seq`, `an ${o.reason} session's tombstone must ${o.reason === "unknown" ? "have a null" : "keep its"} last seq`);
    }
    tombstones.push([id, { lastSeenMs, reason: o.reason, lastSeq }]);
  });

  const idempotencyKeys: Array<[string, IdempotencyRecord]> = [];
  const keys = new Set<string>();
  prevMs = -Infinity;
  array(root.idempotency_keys, "idempotency_keys").forEach((e, i) => {
    const path = `idempotency_keys[${i}]`;
    const o = object(e, path);
    const key = string(o.key, `${path}.key`);
    if (keys.has(key)) throw new SnapshotFormatError(`${path}.key`, `key ${JSON.stringify(key)} appears twice`);
    keys.add(key);
    const createdMs = time(o.created_ms, `${path}.created_ms`);
    notBefore(prevMs, createdMs, `${path}.created_ms`, "creation time");
    notAfterClock(createdMs, clockMs, `${path}.created_ms`);
    prevMs = createdMs;
    idempotencyKeys.push([
      key,
      { fingerprint: string(o.fingerprint, `${path}.fingerprint`), response: responseBody(o.response, `${path}.response`), createdMs },
    ]);
  });

  return { appliedIndex, clockMs, kv, sessions, tombstones, idempotencyKeys, sessionStore };
}

/**
 * A session store's own state, checked for what the machine can promise
 * about an opaque value: plain JSON (so it survives a disk and a peer
 * unchanged), no deeper than MAX_SESSION_STORE_DEPTH, no larger than
 * MAX_SESSION_STORE_BYTES. Used on what a store exports and on what a
 * snapshot brings in. Iterative: no nesting overflows the call stack.
 */
export function sessionStoreState(value: unknown, path: string): Json {
  if (jsonDepthExceeds(value, MAX_SESSION_STORE_DEPTH)) throw new SnapshotFormatError(path, tooDeepText(MAX_SESSION_STORE_DEPTH, "session store state"));
  const pending: Array<[unknown, string]> = [[value, path]];
  while (pending.length > 0) {
    const [v, at] = pending.pop() as [unknown, string];
    if (v === null || typeof v === "string" || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new SnapshotFormatError(at, `expected plain JSON, got the number ${v} (JSON has no NaN or Infinity)`);
      continue;
    }
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) throw new SnapshotFormatError(at, "expected plain JSON, got an array subclass");
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) throw new SnapshotFormatError(`${at}[${i}]`, "expected plain JSON, got a hole in an array");
        pending.push([v[i], `${at}[${i}]`]);
      }
      continue;
    }
    if (typeof v === "object") {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
        throw new SnapshotFormatError(at, `expected plain JSON, got ${typeof name === "string" && name !== "" ? `a ${name}` : "an object with a prototype"} (keep the state in plain objects and arrays)`);
      }
      // entries, not v[k]: an own "__proto__" key (as JSON.parse makes it) is read as itself.
      for (const [k, x] of Object.entries(v)) pending.push([x, `${at}.${k}`]);
      continue;
    }
    throw new SnapshotFormatError(at, `expected plain JSON, got ${v === undefined ? "undefined" : `a ${typeof v}`}`);
  }
  const bytes = jsonByteLength(value as Json);
  if (bytes > MAX_SESSION_STORE_BYTES) throw new SnapshotFormatError(path, `session store state is ${bytes} bytes of JSON, more than the bound of ${MAX_SESSION_STORE_BYTES}`);
  return value as Json;
}
