/**
 * The log's clock: the timestamps a leader puts on the entries it appends,
 * the only time the state machine reads (session expiry, idempotency-key
 * TTLs). It belongs to the node, not to Raft: Raft carries commands without
 * looking inside them.
 *
 * Log time never runs backwards: a stamp is never earlier than any
 * timestamp already in the log (or the restored state machine's clock).
 * And it does not jump: a new leader whose own clock is ahead of the log's
 * last timestamp continues the timeline from there, at its own clock's
 * rate, instead of making log time leap forward, which would expire every
 * session at once. A leader whose clock is behind stamps the last
 * timestamp until its clock catches up: log time stands still, which only
 * keeps sessions longer (the safe direction).
 */
export interface LogClockState {
  lastTs: number;
  offsetMs: number;
}

export class LogClock {
  /** The largest timestamp seen in the log or the state machine. */
  private lastTs = 0;
  /** While leading: added to this node's clock when stamping (zero or negative). */
  private offsetMs = 0;

  /** The clock as plain data. */
  exportState(): LogClockState {
    return { lastTs: this.lastTs, offsetMs: this.offsetMs };
  }

  importState(state: LogClockState): void {
    this.lastTs = state.lastTs;
    this.offsetMs = state.offsetMs;
  }

  /** A timestamp known to be in the timeline: an entry appended, or a restored state machine's clock. */
  observe(ts: number): void {
    if (ts > this.lastTs) this.lastTs = ts;
  }

  /** This node starts leading at `nowMs` (its own clock): continue the log's timeline from here. */
  startLeading(nowMs: number): void {
    this.offsetMs = this.lastTs > 0 ? Math.min(0, this.lastTs - nowMs) : 0;
  }

  /** The timestamp for a new entry appended at `nowMs`. */
  stamp(nowMs: number): number {
    return Math.max(nowMs + this.offsetMs, this.lastTs);
  }
}
