/**
 * The bound on session memory: no node ever holds more live sessions than
 * NodeConfig.maxSessions (sampled through NodeStatus.sessions).
 */
import type { Anomaly, CheckResult } from "../run/results.js";

export function checkSessionBound(f: { bound: number | undefined; maxSeen: number }): { result: CheckResult; anomalies: Anomaly[] } {
  if (f.bound === undefined) return { result: { valid: true, detail: { bound: "default", maxSeen: f.maxSeen } }, anomalies: [] };
  const ok = f.maxSeen <= f.bound;
  return {
    result: { valid: ok, detail: { bound: f.bound, maxSeen: f.maxSeen } },
    anomalies: ok
      ? []
      : [{ check: "sessions", kind: "session-table-over-bound", message: `a node held ${f.maxSeen} sessions; maxSessions is ${f.bound}` }],
  };
}
