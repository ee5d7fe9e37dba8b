/**
 * timeline.html: the checker's timeline renderer on the run's history, with
 * the checker's result (the linearization found, or the failing operation).
 * The renderer is the checker package's; nothing is drawn here.
 *
 * The banner beside the title is that one check of the history. A run can
 * pass it and still be invalid (liveness, the session bound, elections,
 * redirects), so the title names the checks that made the verdict, and the
 * line under it says why.
 */
import { renderTimelineHtml } from "@dslab/checker";
import type { RunArtifacts } from "../run/evaluate.js";
import { checksWhere, verdictTitle, type RunResults } from "../run/results.js";
import { plural } from "./plural.js";

export async function renderTimeline(a: RunArtifacts): Promise<string> {
  const r = a.results;
  const context = `${a.config.workload}, ${plural(a.config.nodes, "node")}, ${a.mode}; replay: ${a.command}`;
  return renderTimelineHtml(a.history, {
    title: `kv-sim seed ${a.config.seed}: ${r ? verdictTitle(r) : "not checked"}`,
    subtitle: r ? [beyondTheBanner(r), context].filter((s) => s !== "").join(" · ") : context,
    ...(a.safety ? { result: a.safety } : {}),
  });
}

/** The history's own check, the one the banner shows. */
const HISTORY_CHECKS = new Set(["linearizability", "exactly-once"]);

/**
 * When a check other than the history's decided the verdict, what it found
 * (its first anomaly), so a green banner under an invalid title reads right.
 */
function beyondTheBanner(r: RunResults): string {
  if (r.verdict === "valid") return "";
  const others = checksWhere(r, false).filter((name) => !HISTORY_CHECKS.has(name));
  if (others.length === 0) return "";
  const found = others.map((name) => {
    const anomaly = r.anomalies.find((x) => x.check === name);
    return anomaly ? `${name}: ${anomaly.message}` : `${name} failed`;
  });
  return `the banner is the check of the history alone; the run is ${r.verdict} because of ${found.join("; ")}`;
}
