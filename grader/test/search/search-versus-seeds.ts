/**
 * What the search checks add to random testing: a mutant the search finds
 * (a shortest trace, through the same check `npm run check` runs) that
 * 1,000 seeds of the simulator's fault runs do not. The seeds run the
 * fault-run configuration of the dedup-store lesson's criterion #1 (3
 * reference nodes with the workbook's ClientTracker as their session store,
 * the exactly-once workload under kill, partition, lose-reply and
 * duplicate), one after the other in this process.
 */
import path from "node:path";
import { DEFAULT_CONFIG, runInProcess, searchScenario, type RunConfig } from "@dslab/sim";
import { openWorkbook, type CheckContext } from "../../../week-12/checks/index.js";
import { workbookStore } from "../../../week-12/checks/search.js";
import { coreFactoryFor, CORE_MODULE } from "../../../week-12/plug/core-factory.js";

export const MUTANTS_DIR = path.join(import.meta.dirname, "..", "mutants");

export function mutantWorkbook(name: string) {
  return openWorkbook({ source: "solution", overrides: { "src/client-tracker.ts": path.join(MUTANTS_DIR, `${name}.ts`) }, label: name });
}

/** The search of the check's shape that finds it: the report. */
export async function searchMutant(name: string, shape: { clients: number; appends: number }) {
  const workbook = mutantWorkbook(name);
  const ctx = { workbook } as CheckContext;
  return searchScenario({ scenario: "dedup-single", store: await workbookStore(ctx), ...shape, maxRetries: 1, maxDrops: 1, maxDuplicates: 1 });
}

/** Seeds 1..`seeds` of the fault run; the seeds whose exactly-once check failed. */
export async function faultRunSeeds(name: string, seeds: number): Promise<number[]> {
  const createCore = await coreFactoryFor(mutantWorkbook(name));
  const failing: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const config: RunConfig = {
      ...DEFAULT_CONFIG,
      nodes: 3,
      timeLimitS: 8,
      workload: "exactly-once",
      nemesis: ["kill", "partition", "lose-reply", "duplicate"],
      core: CORE_MODULE,
      seed: String(seed),
    };
    const artifacts = await runInProcess(config, { createCore });
    if (artifacts.results!.checks["exactly-once"]?.valid !== true) failing.push(seed);
  }
  return failing;
}
