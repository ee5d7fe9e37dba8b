/**
 * Client sessions: per `client_id`, the last applied `seq`, the response it
 * produced and the time of the client's last request; plus tombstones for
 * sessions that expired or were evicted, so a late retry is refused (1001)
 * rather than mistaken for a new client and applied a second time.
 *
 * A session begins only at seq 1. A client_id the table does not know (no
 * session, no tombstone) with seq > 1 is a client whose session ended and
 * whose tombstone is gone too (memory is bounded), or one that never
 * started at seq 1: either way its request may be a late retry of one
 * already applied, so it is refused (1001, reason "unknown") and the id
 * tombstoned, never applied as if new. Only a late retry of seq 1 itself,
 * after its tombstone is gone, is indistinguishable from a new client.
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
  /** "unknown": refused because it arrived with seq > 1 and no session (see the header). */
  reason: "expired" | "evicted" | "unknown";
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
  /**
   * Any seq of an unknown client_id begins a session, instead of seq 1 only.
   * For the leader-side table of the `leaderOnlySessions` known-bad variant,
   * which must forget sessions on failover the way a naive one would.
   */
  anySeqBeginsSession?: boolean;
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
      if (t === undefined) {
        if (seq === 1 || this.opts.anySeqBeginsSession) return { kind: "new" };
        // Maybe a late retry of an applied request whose session is forgotten.
        // Tombstoned, so a later seq 1 from this id is refused as well.
        this.bury(clientId, nowMs, "unknown");
        return { kind: "expired", reason: "unknown" };
      }
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
