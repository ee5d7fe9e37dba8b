/**
 * Liveness after the heal: a leader within the bound, and a final read of
 * every key completing within it. (That every acknowledged write is in those
 * reads is the exactly-once and linearizability checkers' job: the final
 * reads are ordinary operations in the history.)
 */
import type { Anomaly, CheckResult } from "../run/results.js";

export interface LivenessFacts {
  boundMs: number;
  /** ms from the heal until a leader was seen; null if none within the bound. */
  leaderAfterMs: number | null;
  /** ms the final reads took; null if they did not finish. */
  finalReadsMs: number | null;
  finalReadsDone: boolean;
  finalReads: Array<{ key: string | number; ok: boolean; value: unknown }>;
}

export function checkLiveness(f: LivenessFacts, healAtMs: number): { result: CheckResult; anomalies: Anomaly[] } {
  const anomalies: Anomaly[] = [];
  if (f.leaderAfterMs === null) {
    anomalies.push({ check: "liveness", kind: "no-leader", message: `no leader within ${f.boundMs} ms after the heal`, atMs: healAtMs });
  }
  const failed = f.finalReads.filter((r) => !r.ok).map((r) => String(r.key));
  if (!f.finalReadsDone || failed.length > 0) {
    anomalies.push({
      check: "liveness",
      kind: "final-reads-failed",
      message: f.finalReadsDone
        ? `final reads of ${failed.join(", ")} did not succeed within ${f.boundMs} ms of retrying`
        : `final reads did not finish within ${f.boundMs} ms`,
      atMs: healAtMs,
    });
  }
  return {
    result: {
      valid: anomalies.length === 0,
      detail: { boundMs: f.boundMs, leaderAfterHealMs: f.leaderAfterMs, finalReadsMs: f.finalReadsMs, finalReads: f.finalReads },
    },
    anomalies,
  };
}
