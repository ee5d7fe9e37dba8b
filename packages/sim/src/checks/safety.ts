/**
 * Safety: hands the history to the checker package (linearizability of a
 * register with cas for lin-kv; exactly-once for the append/incr workloads).
 * No checking logic lives here, only the translation of verdicts into
 * results.json anomalies.
 */
import { checkExactlyOnce, checkLinearizability, type ExactlyOnceResult, type History, type LinearizabilityResult } from "@dslab/checker";
import type { Anomaly, CheckResult } from "../run/results.js";

/** Budget for one history's search; beyond it the verdict is "unknown", never "valid". */
export const CHECK_TIME_LIMIT_MS = 20_000;

export interface SafetyOutcome {
  result: CheckResult;
  anomalies: Anomaly[];
  /** The checker's own result, for its timeline renderer. */
  raw: LinearizabilityResult | ExactlyOnceResult;
}

export async function checkSafety(history: History, model: "register" | "exactly-once"): Promise<SafetyOutcome> {
  if (model === "register") return checkRegister(history);
  return checkOnce(history);
}

function checkOnce(history: History): SafetyOutcome {
  const r = checkExactlyOnce(history);
  const anomalies: Anomaly[] = r.anomalies.map((a) => {
    const ops = [...new Set(a.ops.flatMap((c) => [c.callIndex, ...(c.completion ? [c.completion.index] : [])]))].sort((x, y) => x - y);
    const first = ops.length ? history[ops[0]!]?.time : undefined;
    return { check: "exactly-once", kind: a.kind, message: a.message, ops, ...(typeof first === "number" ? { atMs: first / 1e6 } : {}) };
  });
  return {
    result: {
      valid: r.valid,
      detail: {
        model: "exactly-once",
        ops: r.ops,
        requests: r.requests,
        anomalies: r.anomalies.length,
        elapsedMs: Math.round(r.elapsedMs),
        ...(r.unknownReason ? { unknownReason: r.unknownReason } : {}),
      },
    },
    anomalies,
    raw: r,
  };
}

function checkRegister(history: History): SafetyOutcome {
  const r = checkLinearizability(history, { model: "register", timeLimitMs: CHECK_TIME_LIMIT_MS });
  const anomalies: Anomaly[] = [];
  if (r.failure) {
    const f = r.failure;
    const ops = [...new Set([f.op.callIndex, ...(f.op.completion ? [f.op.completion.index] : []), ...f.involved.map((c) => c.callIndex)])].sort((a, b) => a - b);
    const end = history[f.prefixEnd]?.time;
    anomalies.push({
      check: "linearizability",
      kind: "not-linearizable",
      message: f.message,
      ops,
      ...(typeof end === "number" ? { atMs: end / 1e6 } : {}),
    });
  }
  return {
    result: {
      valid: r.valid,
      detail: {
        model: r.model,
        ops: r.ops,
        keys: r.keys.length,
        elapsedMs: Math.round(r.elapsedMs),
        ...(r.unknownReason ? { unknownReason: r.unknownReason } : {}),
        ...(r.failure ? { failingKey: r.failure.key, prefixEnd: r.failure.prefixEnd } : {}),
      },
    },
    anomalies,
    raw: r,
  };
}
