/**
 * The violation a person looks at first: the first anomaly that names
 * requests (client_id/seq), else the first one, placed at the time of its
 * earliest operation. results.json reports it; the pictures centre on it.
 */
import type { History } from "@dslab/checker";
import type { Anomaly } from "./results.js";

function primaryAnomaly(anomalies: readonly Anomaly[], history: History): { anomaly: Anomaly; requests: Array<{ clientId: string; seq: number }> } | undefined {
  for (const anomaly of anomalies) {
    const requests: Array<{ clientId: string; seq: number }> = [];
    for (const i of anomaly.ops ?? []) {
      const op = history[i];
      if (op?.client_id !== undefined && op.seq !== undefined) requests.push({ clientId: op.client_id, seq: op.seq });
    }
    if (requests.length > 0) return { anomaly, requests };
  }
  return anomalies[0] ? { anomaly: anomalies[0], requests: [] } : undefined;
}

export function firstViolation(anomalies: readonly Anomaly[], history: History): { atMs: number; label: string } | null {
  const p = primaryAnomaly(anomalies, history);
  if (!p) return null;
  let atMs = p.anomaly.atMs;
  for (const i of p.anomaly.ops ?? []) {
    const t = history[i]?.time;
    if (typeof t === "number" && (atMs === undefined || t / 1e6 < atMs)) atMs = t / 1e6;
  }
  return atMs === undefined ? null : { atMs: Math.round(atMs * 1000) / 1000, label: `${p.anomaly.check}: ${p.anomaly.kind}` };
}

/** The (client_id, seq) pairs of that violation. */
export function involvedRequests(anomalies: readonly Anomaly[], history: History): Array<{ clientId: string; seq: number }> {
  return primaryAnomaly(anomalies, history)?.requests ?? [];
}
