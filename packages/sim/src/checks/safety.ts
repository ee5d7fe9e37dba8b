/**
 * Safety: hands the history to the checker package (linearizability for
 * lin-kv, exactly-once for append/incr workloads). No checking logic here.
 */
import type { History } from "@dslab/checker";
import type { Anomaly, CheckResult } from "../run/results.js";

export async function checkSafety(history: History, model: "register" | "exactly-once"): Promise<{ result: CheckResult; anomalies: Anomaly[] }> {
  void history;
  return { result: { valid: "unknown", detail: { model, note: "checker not wired yet" } }, anomalies: [] };
}
