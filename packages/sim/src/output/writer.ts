/**
 * Writes one run's outputs into a directory: history.edn (Maelstrom's
 * format), history.json, results.json, timeline.html (the checker's
 * renderer) and messages.html (the message-sequence diagram).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeHistoryEdn, writeHistoryJson } from "@dslab/checker";
import type { RunArtifacts } from "../run/evaluate.js";
import type { Anomaly } from "../run/results.js";
import { renderMessageDiagram } from "./message-diagram.js";
import { renderTimeline } from "./timeline.js";

export interface WrittenOutputs {
  dir: string;
  files: string[];
}

export async function writeOutputs(dir: string, a: RunArtifacts): Promise<WrittenOutputs> {
  const r = a.results;
  if (!r) throw new Error("writeOutputs: the run has not been evaluated");
  await mkdir(dir, { recursive: true });
  const files: Array<[string, string]> = [
    ["history.edn", writeHistoryEdn(a.history)],
    ["history.json", writeHistoryJson(a.history)],
    ["results.json", JSON.stringify(r, null, 2) + "\n"],
  ];
  const violation = firstViolation(a);
  files.push([
    "messages.html",
    renderMessageDiagram({
      title: `kv-sim seed ${r.seed}: ${r.verdict}`,
      subtitle: `${a.config.workload}, ${a.config.nodes} nodes, ${a.mode}; replay: ${r.command}`,
      nodeIds: a.nodeIds,
      entries: a.trace.entries,
      violation,
      clients: r.clients,
      involved: involvedRequests(a),
    }),
  ]);
  files.push(["timeline.html", await renderTimeline(a)]);
  for (const [id, lines] of Object.entries(a.nodeLogs ?? {})) files.push([`${id}.stderr.log`, lines.join("\n") + "\n"]);
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return { dir, files: files.map(([n]) => n) };
}

/**
 * The violation the pictures point at: the first anomaly that names requests
 * (client_id/seq), else the first one; placed at its earliest operation.
 */
function primaryAnomaly(a: RunArtifacts): { anomaly: Anomaly; requests: Array<{ clientId: string; seq: number }> } | undefined {
  const anomalies = a.results?.anomalies ?? [];
  for (const anomaly of anomalies) {
    const requests: Array<{ clientId: string; seq: number }> = [];
    for (const i of anomaly.ops ?? []) {
      const op = a.history[i];
      if (op?.client_id !== undefined && op.seq !== undefined) requests.push({ clientId: op.client_id, seq: op.seq });
    }
    if (requests.length > 0) return { anomaly, requests };
  }
  return anomalies[0] ? { anomaly: anomalies[0], requests: [] } : undefined;
}

export function firstViolation(a: RunArtifacts): { atMs: number; label: string } | undefined {
  const p = primaryAnomaly(a);
  if (!p) return undefined;
  let atMs = p.anomaly.atMs;
  for (const i of p.anomaly.ops ?? []) {
    const t = a.history[i]?.time;
    if (typeof t === "number" && (atMs === undefined || t / 1e6 < atMs)) atMs = t / 1e6;
  }
  return atMs === undefined ? undefined : { atMs, label: `${p.anomaly.check}: ${p.anomaly.kind}` };
}

/** The (client_id, seq) pairs of the violation the pictures point at. */
export function involvedRequests(a: RunArtifacts): Array<{ clientId: string; seq: number }> {
  return primaryAnomaly(a)?.requests ?? [];
}
