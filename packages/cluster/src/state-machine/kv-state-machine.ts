/**
 * The replicated key-value state machine: the map, the client sessions and
 * the idempotency keys, changed only by `apply` of committed log entries, in
 * index order. Deterministic: the same entries give the same replies and the
 * same snapshot on every replica. The rules are in `index.ts`.
 */
import { ErrorCode, errorBody, type Body, type ClientRequestBody, type Json, type Key } from "@dslab/protocol";
import type { Command } from "../contract.js";
import { endedBy, type NodeEvent } from "../events.js";
import { IdempotencyStore } from "./idempotency-store.js";
import { cloneJson, compareKeys } from "./json-value.js";
import { applyOp, validateOp, type KvMap } from "./kv-ops.js";
import { requestFingerprint } from "./request-fingerprint.js";
import type { SessionStore, SessionStoreFactory } from "./session-store.js";
import { SessionTable } from "./session-table.js";
import {
  MAX_SESSION_STORE_DEPTH,
  parseSnapshot,
  sessionStoreState,
  SNAPSHOT_FORMAT,
  SnapshotFormatError,
  STORE_SNAPSHOT_FORMAT,
  type KvSnapshotData,
  type KvStoreSnapshotData,
} from "./snapshot-format.js";

export interface KvStateMachineOptions {
  /** A session ends when an entry's ts is more than this past the client's last request. */
  sessionTimeoutMs: number;
  /** Bound on live sessions; beyond it the least recently active is evicted (into a tombstone). */
  maxSessions: number;
  /** An idempotency key is forgotten this long after its first use. */
  idempotencyTtlMs: number;
  /** Bound on stored idempotency keys; beyond it the oldest is dropped. */
  maxIdempotencyKeys: number;
  /** Largest stored value (write value, cas to, append element) in bytes of JSON; unbounded if absent. */
  maxValueBytes?: number;
  /** Makes the client-session table (default: the reference `SessionTable`). */
  sessionStore?: SessionStoreFactory;
  /** Receives what the machine does with sessions and keys (events.ts); the caller renders or counts them. */
  emit?: (event: NodeEvent) => void;
}

export class KvStateMachine {
  private readonly map: KvMap = new Map();
  private readonly sessions: SessionStore;
  private readonly idempotency: IdempotencyStore;
  private readonly emit: (event: NodeEvent) => void;
  private lastAppliedIndex = 0;
  /** The largest entry ts applied so far: time never runs backwards here, even across leaders. */
  private clock = 0;

  constructor(private readonly opts: KvStateMachineOptions) {
    this.emit = opts.emit ?? (() => {});
    const makeSessions = opts.sessionStore ?? ((o) => new SessionTable(o));
    this.sessions = makeSessions({ sessionTimeoutMs: opts.sessionTimeoutMs, maxSessions: opts.maxSessions, emit: this.emit });
    this.idempotency = new IdempotencyStore({ ttlMs: opts.idempotencyTtlMs, maxKeys: opts.maxIdempotencyKeys, emit: this.emit });
    if (opts.maxValueBytes !== undefined && !(Number.isSafeInteger(opts.maxValueBytes) && opts.maxValueBytes > 0)) {
      throw new RangeError(`KvStateMachine: maxValueBytes must be a positive integer, got ${String(opts.maxValueBytes)}`);
    }
  }

  /**
   * Applies the committed entry at `index` and returns the reply body
   * (without msg_id/in_reply_to; the caller may add them: the body is a
   * fresh object). Time is the entry's `ts` alone: a replica's own clock
   * never enters, so every replica applies alike.
   */
  apply(command: Command, index: number): Body {
    if (!Number.isSafeInteger(index) || index <= this.lastAppliedIndex) {
      throw new Error(
        `KvStateMachine.apply: entry ${index} after entry ${this.lastAppliedIndex}; entries must be applied once each, in increasing index order`,
      );
    }
    if (typeof command.ts !== "number" || !Number.isFinite(command.ts)) {
      throw new Error(`KvStateMachine.apply: entry ${index} has no leader timestamp (ts ${String(command.ts)})`);
    }
    this.lastAppliedIndex = index;
    this.clock = Math.max(this.clock, command.ts);
    this.sessions.expire(this.clock);
    this.idempotency.expire(this.clock);

    if (command.kind === "noop") return { type: "noop_ok" };
    const request = command.request as ClientRequestBody | null | undefined;
    if (typeof request !== "object" || request === null || Array.isArray(request)) {
      return errorBody(ErrorCode.MalformedRequest, `entry ${index}: the client request is not an object`);
    }
    const invalid = validateOp(request, this.opts.maxValueBytes);
    if (invalid !== null) return invalid;
    if (request.type === "read") return applyOp(this.map, request);
    if (request.idempotency_key !== undefined) return this.applyWithIdempotencyKey(request);
    return this.applyWithSession(request);
  }

  private applyWithIdempotencyKey(request: ClientRequestBody): Body {
    const { idempotency_key: key, fingerprint } = request as { idempotency_key: unknown; fingerprint?: unknown };
    if (typeof key !== "string" || typeof fingerprint !== "string") {
      return errorBody(ErrorCode.MalformedRequest, `${request.type}: idempotency_key and fingerprint must both be strings`);
    }
    const verdict = this.idempotency.check(key, fingerprint);
    switch (verdict.kind) {
      case "replay":
        this.emit({ type: "idempotency-replayed", key });
        return { ...verdict.response, replayed: true };
      case "mismatch":
        this.emit({ type: "idempotency-mismatch", key });
        return errorBody(
          ErrorCode.IdempotencyKeyReused,
          `idempotency key ${JSON.stringify(key)} was first used for a different request (fingerprint ${verdict.fingerprint}, this one ${fingerprint}); nothing was applied`,
        );
      case "new": {
        const response = applyOp(this.map, request);
        this.idempotency.record(key, fingerprint, response, this.clock);
        return { ...response };
      }
    }
  }

  private applyWithSession(request: ClientRequestBody): Body {
    const { client_id: clientId, seq } = request as { client_id?: unknown; seq?: unknown };
    // No identity: a plain Maelstrom client. Applied, with nothing to dedup against.
    if (clientId === undefined && seq === undefined) return applyOp(this.map, request);
    if (typeof clientId !== "string" || !Number.isSafeInteger(seq) || (seq as number) <= 0) {
      return errorBody(
        ErrorCode.MalformedRequest,
        `${request.type}: client_id (a string) and seq (a positive integer) go together; got ${JSON.stringify({ client_id: clientId ?? null, seq: seq ?? null })}`,
      );
    }
    const n = seq as number;
    const fingerprint = requestFingerprint(request);
    const verdict = this.sessions.check(clientId, n, fingerprint, this.clock);
    switch (verdict.kind) {
      case "duplicate":
        this.emit({ type: "duplicate-answered", clientId, seq: n });
        return { ...verdict.response };
      case "reused":
        this.emit({ type: "seq-reused", clientId, seq: n });
        return errorBody(
          ErrorCode.SeqReused,
          `client ${clientId} seq ${n} was already used for a different request; this ${request.type} was not applied and never will be (give each operation its own seq)`,
        );
      case "stale":
        this.emit({ type: "stale-request", clientId, seq: n, lastSeq: verdict.lastSeq });
        return errorBody(
          ErrorCode.StaleRequest,
          `client ${clientId} seq ${n} is below the last applied seq ${verdict.lastSeq}${verdict.ended ? " of its ended session" : ""}; this copy was not applied and never will be`,
        );
      case "applied-reply-gone":
        this.emit({ type: "reply-unavailable", clientId, seq: n, reason: verdict.reason });
        return errorBody(
          ErrorCode.ReplyUnavailable,
          `client ${clientId} seq ${n} was applied once (the last seq of its session); ${endedBy(verdict.reason)}, so the reply is no longer kept. It is not applied again. Start a new client_id (at seq 1)`,
        );
      case "ended":
        this.emit({ type: "session-ended-refused", clientId, seq: n, reason: verdict.reason, lastSeq: verdict.lastSeq });
        return errorBody(
          ErrorCode.SessionExpired,
          `the session of client ${clientId} ended at seq ${verdict.lastSeq} (${endedBy(verdict.reason)}); seq ${n} was not applied and every copy of it is refused. Start a new client_id (at seq 1)`,
        );
      case "unknown":
        this.emit({ type: "session-unknown", clientId, seq: n });
        if (verdict.refusedBefore) {
          return errorBody(
            ErrorCode.SessionUnknown,
            `client ${clientId} was refused before for a seq above 1 with no session (its session ended and was forgotten, or it never began), so every seq of this client_id is refused now, seq 1 too: ` +
              `a seq 1 could be a late copy of its first session's. Whether seq ${n} was applied before cannot be told; it is not applied now, and a retry gets this same answer. Start a new client_id (at seq 1)`,
          );
        }
        return errorBody(
          ErrorCode.SessionUnknown,
          `client ${clientId} has no session, and a session begins at seq 1: its session ended and was forgotten, or it never began. Whether seq ${n} was applied before cannot be told; it is not applied now, and a retry gets this same answer. Start a new client_id (at seq 1)`,
        );
      case "new": {
        const response = applyOp(this.map, request);
        this.sessions.record(clientId, n, fingerprint, response, this.clock);
        return { ...response };
      }
    }
  }

  /** The whole state as JSON, deterministically ordered (see snapshot-format.ts). Treat it as read-only. */
  snapshot(): Json {
    const kv = [...this.map].sort((a, b) => compareKeys(a[0], b[0]));
    const idempotencyKeys = this.idempotency
      .entries()
      .map(([key, r]) => ({ key, fingerprint: r.fingerprint, created_ms: r.createdMs, response: r.response }));
    if (this.sessions.exportState) {
      const data: KvStoreSnapshotData = {
        format: STORE_SNAPSHOT_FORMAT,
        applied_index: this.lastAppliedIndex,
        clock_ms: this.clock,
        kv,
        session_store: this.exportedSessionState(this.sessions.exportState()),
        idempotency_keys: idempotencyKeys,
      };
      return data as unknown as Json;
    }
    const { sessions, tombstones } = this.sessions.entries();
    const data: KvSnapshotData = {
      format: SNAPSHOT_FORMAT,
      applied_index: this.lastAppliedIndex,
      clock_ms: this.clock,
      kv,
      sessions: sessions.map(([id, s]) => ({
        client_id: id,
        last_seq: s.lastSeq,
        fingerprint: s.fingerprint,
        last_activity_ms: s.lastActivityMs,
        response: s.response,
      })),
      tombstones: tombstones.map(([id, t]) => ({ client_id: id, last_seen_ms: t.lastSeenMs, reason: t.reason, last_seq: t.lastSeq })),
      idempotency_keys: idempotencyKeys,
    };
    return data as unknown as Json;
  }

  /** A copy of what the session store exported, refused (a bug in the store) unless a snapshot can carry it. */
  private exportedSessionState(state: Json): Json {
    try {
      sessionStoreState(state, "session_store");
    } catch (e) {
      if (!(e instanceof SnapshotFormatError)) throw e;
      throw new Error(`the session store's exportState() returned state a snapshot cannot carry: ${e.message.replace(/^state machine snapshot: /, "")}`);
    }
    return cloneJson(state, MAX_SESSION_STORE_DEPTH) as Json;
  }

  /**
   * Replaces the whole state with a snapshot. Throws SnapshotFormatError
   * (naming the field) for a bad one, leaving the current state untouched.
   */
  restore(data: Json): void {
    // Validated (depth first) before it is copied: a copy of a snapshot
    // nested too deep would run out of stack before the check could refuse it.
    const validated = parseSnapshot(data);
    const parsed = Object.isFrozen(data) ? validated : structuredClone(validated);
    if (parsed.sessionStore !== null) {
      if (!this.sessions.importState) {
        throw new SnapshotFormatError("format", `a ${STORE_SNAPSHOT_FORMAT} snapshot carries a session store's own state, and this node's session store cannot import one`);
      }
      // The store owns what it imports and may change it in place: never the caller's (possibly frozen) objects.
      const state = Object.isFrozen(data) ? (cloneJson(parsed.sessionStore, MAX_SESSION_STORE_DEPTH) as Json) : parsed.sessionStore;
      try {
        this.sessions.importState(state);
      } catch (e) {
        throw new SnapshotFormatError("session_store", `the session store refused it: ${(e as Error).message}`);
      }
    } else {
      this.sessions.load(parsed.sessions, parsed.tombstones);
    }
    this.map.clear();
    for (const [k, v] of parsed.kv) this.map.set(k, v);
    this.idempotency.load(parsed.idempotencyKeys);
    this.lastAppliedIndex = parsed.appliedIndex;
    this.clock = parsed.clockMs;
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  tombstoneCount(): number {
    return this.sessions.tombstoneCount;
  }

  idempotencyKeyCount(): number {
    return this.idempotency.size;
  }

  appliedIndex(): number {
    return this.lastAppliedIndex;
  }

  /** The state machine's clock: the largest entry ts applied. */
  clockMs(): number {
    return this.clock;
  }

  /** The current value, or undefined if the key does not exist. No side effects (not a log entry). */
  read(key: Key): Json | undefined {
    return this.map.get(key);
  }
}
