/**
 * Client sessions: per `client_id`, the last applied `seq`, the response it
 * produced and the time of the client's last request; plus tombstones for
 * sessions that expired or were evicted, so a late retry is refused (1001)
 * rather than mistaken for a new client and applied a second time.
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

export interface Session {
  lastSeq: number;
  /** The reply to `lastSeq`, returned again for a duplicate. Never mutated. */
  response: Body;
  lastActivityMs: number;
}

export interface Tombstone {
  /** When the session ended, refreshed by every refused request. */
  lastSeenMs: number;
  reason: "expired" | "evicted";
}

export type SessionVerdict =
  | { kind: "new" }
  | { kind: "duplicate"; response: Body }
  | { kind: "stale"; lastSeq: number }
  | { kind: "expired"; reason: Tombstone["reason"] };

export interface SessionTableOptions {
  /** A session ends when `now - lastActivityMs > sessionTimeoutMs`. */
  sessionTimeoutMs: number;
  /** Bound on live sessions; the least recently active is evicted beyond it. */
  maxSessions: number;
  /** Tombstones live this long after their last refused request. Default: sessionTimeoutMs. */
  tombstoneTtlMs?: number;
  /** Bound on tombstones; the oldest is dropped beyond it. Default: maxSessions. */
  maxTombstones?: number;
  /** Known-bad variant: a retry of the last seq counts as new (`<` where `<=` is needed). */
  seqLessThan?: boolean;
  log?: (line: string) => void;
}

export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly tombstoneTtlMs: number;
  private readonly maxTombstones: number;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: SessionTableOptions) {
    assertPositive("sessionTimeoutMs", opts.sessionTimeoutMs);
    assertPositive("maxSessions", opts.maxSessions);
    this.tombstoneTtlMs = opts.tombstoneTtlMs ?? opts.sessionTimeoutMs;
    this.maxTombstones = opts.maxTombstones ?? opts.maxSessions;
    assertPositive("tombstoneTtlMs", this.tombstoneTtlMs);
    assertPositive("maxTombstones", this.maxTombstones);
    this.log = opts.log ?? (() => {});
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
   * Ends every session idle for longer than the timeout at `nowMs`, and
   * forgets tombstones past their TTL at `clockMs`. Both are the state
   * machine's clock; `nowMs` differs only under the localClockExpiry bug,
   * where the decision to end a session reads the replica's own clock.
   */
  expire(nowMs: number, clockMs: number = nowMs): void {
    for (const [id, s] of this.sessions) {
      const idleMs = nowMs - s.lastActivityMs;
      if (idleMs <= this.opts.sessionTimeoutMs) break;
      this.sessions.delete(id);
      this.log(`[session] client ${id} expired after ${idleMs} ms idle (timeout ${this.opts.sessionTimeoutMs} ms), last seq ${s.lastSeq}`);
      this.bury(id, clockMs, "expired");
    }
    for (const [id, t] of this.tombstones) {
      if (clockMs - t.lastSeenMs <= this.tombstoneTtlMs) break;
      this.tombstones.delete(id);
    }
  }

  /**
   * What to do with a mutating request from `clientId` with `seq`. Refusing
   * an ended session refreshes its tombstone (`nowMs`), so a client that
   * keeps retrying keeps being refused. Call `expire` first.
   */
  check(clientId: string, seq: number, nowMs: number): SessionVerdict {
    const s = this.sessions.get(clientId);
    if (s === undefined) {
      const t = this.tombstones.get(clientId);
      if (t === undefined) return { kind: "new" };
      this.tombstones.delete(clientId);
      this.tombstones.set(clientId, { lastSeenMs: nowMs, reason: t.reason });
      return { kind: "expired", reason: t.reason };
    }
    if (seq < s.lastSeq) return { kind: "stale", lastSeq: s.lastSeq };
    if (seq === s.lastSeq && !this.opts.seqLessThan) {
      // A retry shows the client is alive: it keeps its session.
      this.touch(clientId, s, nowMs);
      return { kind: "duplicate", response: s.response };
    }
    return { kind: "new" };
  }

  /** Stores the response to a newly applied `seq`, creating the session if needed (not for a tombstoned client). */
  record(clientId: string, seq: number, response: Body, nowMs: number): void {
    const s = this.sessions.get(clientId);
    if (s !== undefined) {
      s.lastSeq = seq;
      s.response = response;
      this.touch(clientId, s, nowMs);
      return;
    }
    // Ended between check() and record() (possible only for a table used
    // outside apply, e.g. leader-side dedup with requests in flight): the
    // session stays ended, so its retries keep being refused.
    if (this.tombstones.has(clientId)) return;
    this.sessions.set(clientId, { lastSeq: seq, response, lastActivityMs: nowMs });
    while (this.sessions.size > this.opts.maxSessions) {
      const [oldest, old] = this.sessions.entries().next().value as [string, Session];
      this.sessions.delete(oldest);
      this.log(
        `[session] client ${oldest} evicted: the bound of ${this.opts.maxSessions} live sessions was reached and it was the least recently active (last seq ${old.lastSeq})`,
      );
      this.bury(oldest, nowMs, "evicted");
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

  private bury(clientId: string, nowMs: number, reason: Tombstone["reason"]): void {
    this.tombstones.set(clientId, { lastSeenMs: nowMs, reason });
    while (this.tombstones.size > this.maxTombstones) {
      const oldest = this.tombstones.keys().next().value as string;
      this.tombstones.delete(oldest);
      this.log(`[session] tombstone of client ${oldest} dropped: the bound of ${this.maxTombstones} tombstones was reached`);
    }
  }
}

/** Positive integers, or Infinity for "no bound". */
function assertPositive(name: string, v: number): void {
  if (typeof v !== "number" || !(v > 0) || (Number.isFinite(v) && !Number.isSafeInteger(v))) {
    throw new RangeError(`SessionTable: ${name} must be a positive integer (or Infinity), got ${String(v)}`);
  }
}
