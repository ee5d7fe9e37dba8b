/**
 * timeline.html: the checker's timeline renderer on the run's history, with
 * the verdict. The renderer is the checker package's; nothing is drawn here.
 */
import type { RunArtifacts } from "../run/evaluate.js";

export async function renderTimeline(a: RunArtifacts): Promise<string> {
  void a;
  return "<!doctype html><html><body>timeline renderer not available yet</body></html>";
}
