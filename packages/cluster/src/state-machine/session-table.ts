/**
 * Client sessions: per `client_id`, the last applied `seq`, a fingerprint of
 * the request it applied, the response it produced and the time of the
 * client's last request; plus tombstones for sessions that expired or were
 * evicted, each keeping the session's last applied seq, so a late copy of a
 * request is never mistaken for a new one and applied a second time.
 *
 * What a request (client, seq) gets:
 * - live session, seq = last, same request: the cached response (duplicate);
 * - live session, seq = last, a different request: refused (seq reused);
 * - live session, seq < last: refused as stale;
 * - tombstone, seq = its last seq: applied once, reply no longer kept;
 * - tombstone, seq < its last seq: refused as stale;
 * - tombstone, seq > its last seq: refused, definitely not applied (the
 *   tombstone refuses every copy of it for as long as it is kept);
 * - no record, seq 1: a new session;
 * - no record, seq > 1: the client's session ended and its tombstone is gone
 *   too (memory is bounded), or it never began at seq 1. Either way the
 *   request may be a late copy of one already applied, and the table cannot
 *   tell: refused as "unknown" (indefinite) and tombstoned with no last seq,
 *   never applied as new. Only a late copy of seq 1 itself, after its
 *   tombstone is gone, is indistinguishable from a new client: the bounds
 *   (tombstone TTL and count) must outlast the longest a copy can be delayed.
 *
 * Both tables are JavaScript `Map`s kept in order of last activity: a touch
 * deletes and re-inserts the entry, so the front is always the least recently
 * active. That holds because every stamp comes from a clock that never goes
 * backwards (the state machine's clock: the largest entry `ts` seen so far).
 * Expiry pops from the front and eviction drops the front, so each request
 * costs O(1) amortised, never a scan of all sessions. Ties (same stamp) are
 * broken by apply order, which every replica shares.
 */
import type { Body } from "@dslab/protocol";
import type { NodeEvent, SessionEndReason } from "../events.js";
import type { SessionStore } from "./session-store.js";

export interface Session {
  lastSeq: number;
  /** Fingerprint of the request applied at `lastSeq` (see request-fingerprint.ts). */
  fingerprint: string;
  /** The reply to `lastSeq`, returned again for a duplicate. Never mutated. */
  response: Body;
  lastActivityMs: number;
}

export interface Tombstone {
  /** When the session ended, refreshed by every refused request. */
  lastSeenMs: number;
  /** "unknown": refused because it arrived with seq > 1 and no session (see the header). */
  reason: "expired" | "evicted" | "unknown";
  /** The ended session's last applied seq; null when unknown (reason "unknown"). */
  lastSeq: number | null;
}

export type SessionVerdict =
  | { kind: "new" }
  | { kind: "duplicate"; response: Body }
  /** Same seq as the last applied one, but a different request. */
  | { kind: "reused"; lastSeq: number }
  /** Below the last applied seq of a live or ended session. */
  | { kind: "stale"; lastSeq: number; ended: boolean }
  /** The ended session's last applied seq itself: applied once, reply gone. */
  | { kind: "applied-reply-gone"; reason: SessionEndReason }
  /** Above the ended session's last applied seq: never applied, refused for as long as the tombstone lives. */
  | { kind: "ended"; reason: SessionEndReason; lastSeq: number }
  /**
   * No record of the client and seq > 1, or (`refusedBefore`) a tombstone
   * left by such a refusal, which refuses every later seq of the id, seq 1
   * included: cannot tell.
   */
  | { kind: "unknown"; refusedBefore: boolean };

export interface SessionTableOptions {
  /** A session ends when `now - lastActivityMs > sessionTimeoutMs`. */
  sessionTimeoutMs: number;
  /** Bound on live sessions; the least recently active is evicted beyond it. */
  maxSessions: number;
  /** Tombstones live this long after their last refused request. Default: sessionTimeoutMs. */
  tombstoneTtlMs?: number;
  /** Bound on tombstones; the oldest is dropped beyond it. Default: maxSessions. */
  maxTombstones?: number;
  /** Receives what the table does on its own (expiry, eviction, dropped tombstones). */
  emit?: (event: NodeEvent) => void;
}

export class SessionTable implements SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly tombstoneTtlMs: number;
  private readonly maxTombstones: number;
  private readonly emit: (event: NodeEvent) => void;

  constructor(private readonly opts: SessionTableOptions) {
    assertPositive("sessionTimeoutMs", opts.sessionTimeoutMs);
    assertPositive("maxSessions", opts.maxSessions);
    this.tombstoneTtlMs = opts.tombstoneTtlMs ?? opts.sessionTimeoutMs;
    this.maxTombstones = opts.maxTombstones ?? opts.maxSessions;
    assertPositive("tombstoneTtlMs", this.tombstoneTtlMs);
    assertPositive("maxTombstones", this.maxTombstones);
    this.emit = opts.emit ?? (() => {});
  }

  get size(): number {
    return this.sessions.size;
  }

  get tombstoneCount(): number {
    return this.tombstones.size;
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  /**
   * Ends every session idle for longer than the timeout at `nowMs` (the
   * state machine's clock), and forgets tombstones past their TTL.
   */
  expire(nowMs: number): void {
    for (const [id, s] of this.sessions) {
      const idleMs = nowMs - s.lastActivityMs;
      if (idleMs <= this.opts.sessionTimeoutMs) break;
      this.sessions.delete(id);
      this.emit({ type: "session-expired", clientId: id, idleMs, timeoutMs: this.opts.sessionTimeoutMs, lastSeq: s.lastSeq });
      this.bury(id, nowMs, "expired", s.lastSeq);
    }
    for (const [id, t] of this.tombstones) {
      if (nowMs - t.lastSeenMs <= this.tombstoneTtlMs) break;
      this.tombstones.delete(id);
    }
  }

  /**
   * What to do with a mutating request from `clientId` with `seq` whose
   * request fingerprint is `fingerprint`. Refusing an ended session
   * refreshes its tombstone (`nowMs`), so a client that keeps retrying keeps
   * being refused. Call `expire` first.
   */
  check(clientId: string, seq: number, fingerprint: string, nowMs: number): SessionVerdict {
    const s = this.sessions.get(clientId);
    if (s === undefined) return this.checkEnded(clientId, seq, nowMs);
    if (seq < s.lastSeq) return { kind: "stale", lastSeq: s.lastSeq, ended: false };
    if (seq === s.lastSeq) {
      // A retry shows the client is alive: it keeps its session.
      this.touch(clientId, s, nowMs);
      if (fingerprint !== s.fingerprint) return { kind: "reused", lastSeq: s.lastSeq };
      return { kind: "duplicate", response: s.response };
    }
    return { kind: "new" };
  }

  private checkEnded(clientId: string, seq: number, nowMs: number): SessionVerdict {
    const t = this.tombstones.get(clientId);
    if (t === undefined) {
      if (seq === 1) return { kind: "new" };
      // Maybe a late copy of an applied request whose session is forgotten.
      // Tombstoned, so a later seq 1 from this id is refused as well.
      this.bury(clientId, nowMs, "unknown", null);
      return { kind: "unknown", refusedBefore: false };
    }
    this.tombstones.delete(clientId);
    this.tombstones.set(clientId, { ...t, lastSeenMs: nowMs });
    if (t.reason === "unknown" || t.lastSeq === null) return { kind: "unknown", refusedBefore: true };
    if (seq < t.lastSeq) return { kind: "stale", lastSeq: t.lastSeq, ended: true };
    if (seq === t.lastSeq) return { kind: "applied-reply-gone", reason: t.reason };
    return { kind: "ended", reason: t.reason, lastSeq: t.lastSeq };
  }

  /** Stores the response to a newly applied `seq`, creating the session if needed (not for a tombstoned client). */
  record(clientId: string, seq: number, fingerprint: string, response: Body, nowMs: number): void {
    const s = this.sessions.get(clientId);
    if (s !== undefined) {
      s.lastSeq = seq;
      s.fingerprint = fingerprint;
      s.response = response;
      this.touch(clientId, s, nowMs);
      return;
    }
    // Ended between check() and record() (possible only for a table used
    // outside apply, e.g. leader-side dedup with requests in flight): the
    // session stays ended, so its retries keep being refused.
    if (this.tombstones.has(clientId)) return;
    this.sessions.set(clientId, { lastSeq: seq, fingerprint, response, lastActivityMs: nowMs });
    while (this.sessions.size > this.opts.maxSessions) {
      const [oldest, old] = this.sessions.entries().next().value as [string, Session];
      this.sessions.delete(oldest);
      this.emit({ type: "session-evicted", clientId: oldest, bound: this.opts.maxSessions, lastSeq: old.lastSeq });
      this.bury(oldest, nowMs, "evicted", old.lastSeq);
    }
  }

  /** Sessions then tombstones, each least recently active first. */
  entries(): { sessions: Array<[string, Session]>; tombstones: Array<[string, Tombstone]> } {
    return { sessions: [...this.sessions], tombstones: [...this.tombstones] };
  }

  /** Replaces the contents; `load` trusts the caller to have validated order and disjointness. */
  load(sessions: Array<[string, Session]>, tombstones: Array<[string, Tombstone]>): void {
    this.sessions.clear();
    this.tombstones.clear();
    for (const [id, s] of sessions) this.sessions.set(id, { ...s });
    for (const [id, t] of tombstones) this.tombstones.set(id, { ...t });
  }

  clear(): void {
    this.sessions.clear();
    this.tombstones.clear();
  }

  private touch(clientId: string, s: Session, nowMs: number): void {
    s.lastActivityMs = nowMs;
    this.sessions.delete(clientId);
    this.sessions.set(clientId, s);
  }

  private bury(clientId: string, nowMs: number, reason: Tombstone["reason"], lastSeq: number | null): void {
    this.tombstones.set(clientId, { lastSeenMs: nowMs, reason, lastSeq });
    while (this.tombstones.size > this.maxTombstones) {
      const oldest = this.tombstones.keys().next().value as string;
      this.tombstones.delete(oldest);
      this.emit({ type: "tombstone-dropped", clientId: oldest, bound: this.maxTombstones });
    }
  }
}

/** Positive integers, or Infinity for "no bound". */
function assertPositive(name: string, v: number): void {
  if (typeof v !== "number" || !(v > 0) || (Number.isFinite(v) && !Number.isSafeInteger(v))) {
    throw new RangeError(`SessionTable: ${name} must be a positive integer (or Infinity), got ${String(v)}`);
  }
}
