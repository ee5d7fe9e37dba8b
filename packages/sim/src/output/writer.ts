/**
 * Writes one run's outputs into a directory: history.edn (Maelstrom's
 * format), history.json, results.json, timeline.html (the checker's
 * renderer), messages.html (the message-sequence diagram) and messages.txt
 * (the client messages and faults as diffable lines).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeHistoryEdn, writeHistoryJson } from "@dslab/checker";
import type { RunArtifacts } from "../run/evaluate.js";
import { renderMessageDiagram } from "./message-diagram.js";
import { renderTimeline } from "./timeline.js";
import { plural } from "./plural.js";
import { verdictTitle } from "../run/results.js";
import { renderTraceText } from "./trace-text.js";
import { indexTrace } from "./trace-index.js";
import { involvedRequests } from "../run/violation.js";

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
  const violation = r.firstViolation ?? undefined;
  // Both message files skip the same node traffic and mark the same retries: found once.
  const index = indexTrace(a.trace.entries, a.nodeIds);
  files.push([
    "messages.html",
    renderMessageDiagram({
      title: `kv-sim seed ${r.seed}: ${verdictTitle(r)}`,
      subtitle: `${a.config.workload}, ${plural(a.config.nodes, "node")}, ${a.mode}; replay: ${r.command}`,
      nodeIds: a.nodeIds,
      entries: a.trace.entries,
      violation,
      clients: r.clients,
      involved: involvedRequests(r.anomalies, a.history),
      verdict: r.verdict,
      index,
    }),
  ]);
  files.push(["timeline.html", await renderTimeline(a)]);
  files.push(["messages.txt", renderTraceText(a.trace.entries, a.nodeIds, index)]);
  for (const [id, lines] of Object.entries(a.nodeLogs ?? {})) files.push([`${id}.stderr.log`, lines.join("\n") + "\n"]);
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return { dir, files: files.map(([n]) => n) };
}

