/**
 * A hidden test: a `CriterionCheck` the student never sees the code of,
 * with its share of the lesson's points. Hidden tests are written with the
 * visible machinery (openWorkbook's workbook, faultRuns, the plug modules)
 * and fail the same way, with a `CheckFailure` whose message names the
 * criterion, the seed, what was expected and received, and for a fault run
 * the `npm run kv-sim` command that replays it in the student's repository.
 */
import type { CriterionCheck } from "../../week-12/checks/index.js";

export interface HiddenTest extends CriterionCheck {
  /** Unique: `hidden:<criterion>:<slug>`. */
  id: string;
  /** Points, beside the visible check's 1. */
  weight: number;
  visibility: "hidden";
}

let seedScale = 1;

/** Scales every hidden fault run's seeds (the grader's tests use less than 1). */
export function setSeedScale(scale: number): void {
  seedScale = Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** Seeds for a run whose full budget is `n`. */
export function seeds(n: number): number {
  return Math.max(1, Math.round(n * seedScale));
}

export function hidden(criterion: CriterionCheck["criterion"], slug: string, rest: Omit<HiddenTest, "id" | "criterion" | "visibility">): HiddenTest {
  return { id: `hidden:${criterion}:${slug}`, criterion, visibility: "hidden", ...rest };
}
