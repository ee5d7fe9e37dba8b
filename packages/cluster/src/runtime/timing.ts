/**
 * The timing of a node on a wall clock, in milliseconds: the one source of
 * these defaults for startNode, KvNodeRuntime and the help of kv-node and
 * kv-cluster. The runtime ticks the core every `tickMs`; the election timeout
 * and the heartbeat are converted to ticks of that period, so they keep their
 * length in milliseconds when --tick-ms changes. (The core's own defaults,
 * in ticks, are RAFT_DEFAULTS in raft/raft.ts; the shells always pass ticks
 * computed from these.)
 */
export const TIMING_DEFAULTS = {
  /** Period of the election/heartbeat clock. */
  tickMs: 10,
  /** Election timeout range, drawn per election (Raft §5.2 suggests 150-300 ms). */
  electionTimeoutMsMin: 150,
  electionTimeoutMsMax: 300,
  /** Leader heartbeat period: well under the shortest election timeout. */
  heartbeatMs: 30,
} as const;

/** "election timeout 150-300 ms, heartbeat 30 ms": the timing as help text says it. */
export function timingText(): string {
  const t = TIMING_DEFAULTS;
  return `election timeout ${t.electionTimeoutMsMin}-${t.electionTimeoutMsMax} ms, heartbeat ${t.heartbeatMs} ms`;
}

/** A length in milliseconds as whole ticks of `tickMs` (at least one), as a node's timing is given to its core. */
export function msToTicks(ms: number, tickMs: number): number {
  return Math.max(1, Math.round(ms / tickMs));
}
