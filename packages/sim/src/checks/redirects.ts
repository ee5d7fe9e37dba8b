/**
 * A redirect must be followed at once (the client goes straight to the named leader): an attempt-log
 * line whose outcome names a leader (error 11 with `leader`) followed by a
 * non-zero backoff is a latency bug, invisible to the safety checkers.
 */
import type { Anomaly, CheckResult } from "../run/results.js";

export function checkRedirects(f: { redirects: number; redirectBackoffs: Array<{ line: string; opIndex: number }> }): {
  result: CheckResult;
  anomalies: Anomaly[];
} {
  const n = f.redirectBackoffs.length;
  return {
    result: { valid: n === 0, detail: { redirects: f.redirects, redirectsWithBackoff: n, examples: f.redirectBackoffs.slice(0, 5).map((r) => r.line) } },
    anomalies:
      n === 0
        ? []
        : [
            {
              check: "redirect-backoff",
              kind: "backoff-on-redirect",
              message: `${n} redirect(s) were followed by a backoff instead of at once, e.g. ${f.redirectBackoffs[0]!.line}`,
              ops: f.redirectBackoffs.slice(0, 20).map((r) => r.opIndex),
            },
          ],
  };
}
