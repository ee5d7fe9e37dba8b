/**
 * Election safety (Raft §5.2): at most one leader per term. The nodes say
 * when they become leader as a typed event (`leader-elected`); two different
 * nodes naming the same term is a violation, whatever the history shows.
 */
import type { Anomaly, CheckResult } from "../run/results.js";

export function checkElections(leaders: ReadonlyMap<number, ReadonlySet<string>> | undefined): { result: CheckResult; anomalies: Anomaly[] } {
  if (leaders === undefined) return { result: { valid: true, detail: { seen: "no events (process mode)" } }, anomalies: [] };
  const twice = [...leaders].filter(([, ids]) => ids.size > 1).sort((a, b) => a[0] - b[0]);
  return {
    result: { valid: twice.length === 0, detail: { terms: leaders.size, termsWithTwoLeaders: twice.length } },
    anomalies: twice.map(([term, ids]) => ({
      check: "elections",
      kind: "two-leaders",
      message: `term ${term} had ${ids.size} leaders (${[...ids].sort().join(", ")}): a node granted two votes in one term, or counted votes it did not get`,
    })),
  };
}
