/**
 * Runs the planned criteria, one at a time, through `run` (the workbook's
 * own `runCheck`, on the check thread of isolate.ts for the command), and
 * keeps each result beside the criterion's text. A criterion no check
 * decides is a result too (status "error", no stack), so it is reported and
 * counted as not passed, unless running the command is how the criterion is
 * checked (`byRun`): then this run meets it.
 */
import { join } from "node:path";
import type { CheckContext, CriterionCheck, CriterionResult, Workbook } from "../../../week-12/checks/index.js";
import type { CheckOutput, Running } from "./isolate.js";
import type { PlannedCriterion, PlannedLesson } from "./plan.js";

export interface CriterionOutcome extends CriterionResult {
  /** What the code the check ran printed (console.log, console.error), if anything. */
  output?: CheckOutput;
  /** For a check stopped by the limit: where in the student's code it was running, when that could be told. */
  running?: Running;
  /** The row's number in the lesson's pass-criteria table. */
  number: number;
  /** The row's text. */
  text: string;
}

export interface LessonOutcome {
  planned: PlannedLesson;
  criteria: CriterionOutcome[];
}

export const NO_CHECK = "no check decides this criterion";

export interface RunSettings {
  run: (check: CriterionCheck, ctx: CheckContext) => Promise<CriterionResult & { output?: CheckOutput; running?: Running }>;
  workbook: Workbook;
  /** --seeds, else each check's default. */
  seeds: number | undefined;
  /** Fault runs of criterion n of lesson `short` write under `<outDir>/<short>-<n>/`. */
  outDir: string;
  /** Called as a check starts, with its progress callback's target. */
  onStart?: (lesson: PlannedLesson, planned: PlannedCriterion) => (done: number, total: number) => void;
}

export async function runCriterion(lesson: PlannedLesson, planned: PlannedCriterion, settings: RunSettings): Promise<CriterionOutcome> {
  const { criterion, check } = planned;
  const row = { number: criterion.number, text: criterion.text };
  if (check === undefined && planned.byRun) {
    return { criterion: criterion.id, title: "", status: "pass", message: "", elapsedMs: 0, ...row };
  }
  if (check === undefined) {
    return { criterion: criterion.id, title: "", status: "error", message: NO_CHECK, elapsedMs: 0, ...row };
  }
  const progress = settings.onStart?.(lesson, planned) ?? (() => {});
  const ctx: CheckContext = {
    workbook: settings.workbook,
    seeds: settings.seeds,
    outDir: join(settings.outDir, `${lesson.short}-${criterion.number}`),
    progress,
  };
  const result = await settings.run(check, ctx);
  return { ...result, ...row };
}

/** True when the result is a bug in a check (it carries the check's stack), not a verdict on the student's code. */
export function isCheckBug(r: CriterionResult): boolean {
  return r.status === "error" && r.stack !== undefined;
}
