/**
 * A mutant: a plausible wrong solution, written against a stub's interface.
 * Each file beside this one is the replacement for one workbook file (it
 * exports what the stub exports) and describes itself in `MUTANT`. The
 * catalogue test runs every one through `npm run check`'s machinery (the
 * reference solutions, with this one file replaced) and requires the named
 * criterion to fail with a message matching `caughtBy.message`.
 */
import type { CriterionId, WorkbookFile } from "../../../week-12/checks/types.js";

export interface Mutant {
  /** The workbook file this module replaces. */
  replaces: WorkbookFile;
  /** The mistake, in one line (the README's catalogue prints it). */
  mistake: string;
  caughtBy: {
    criterion: CriterionId;
    /** The failure message must name the mistake, not only differ in a value. */
    message: RegExp;
  };
}
