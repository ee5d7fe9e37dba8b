/**
 * timeline.html: the checker's timeline renderer on the run's history, with
 * the checker's result (the linearization found, or the failing operation).
 * The renderer is the checker package's; nothing is drawn here.
 */
import { renderTimelineHtml } from "@dslab/checker";
import type { RunArtifacts } from "../run/evaluate.js";

export async function renderTimeline(a: RunArtifacts): Promise<string> {
  const r = a.results;
  return renderTimelineHtml(a.history, {
    title: `kv-sim seed ${a.config.seed}: ${r?.verdict ?? "not checked"}`,
    subtitle: `${a.config.workload}, ${a.config.nodes} nodes, ${a.mode}; replay: ${a.command}`,
    ...(a.safety ? { result: a.safety } : {}),
  });
}
