/**
 * Submissions made for the grader's own tests and bench: a copy of the
 * workbook (week-12/) with the reference solutions in src/, optionally one
 * file replaced by a mutant or by a hostile module. The solutions and the
 * mutants import each other by instructor-side paths; in a submission they
 * sit under src/reference/ and the imports are rewritten to it, so the copy
 * stands alone like a student's.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPOSITORY_ROOT = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");
export const WORKBOOK = join(REPOSITORY_ROOT, "week-12");
export const SOLUTIONS = join(REPOSITORY_ROOT, "grader", "solutions", "week-12", "src");
export const MUTANTS = join(REPOSITORY_ROOT, "grader", "test", "mutants");

const MUTANT_TYPE = `export interface Mutant {
  replaces: string;
  mistake: string;
  caughtBy: { criterion: string; message: RegExp };
}
`;

const SOLUTION_FILES = () => readdirSync(SOLUTIONS).filter((f) => f.endsWith(".ts"));

/** A solution file as it reads inside src/ (its type imports of the stub become imports of itself). */
function solutionText(file: string, stubDir: string): string {
  return readFileSync(join(SOLUTIONS, file), "utf8").split("@dslab/week-12/src/").join(stubDir);
}

export interface SubmissionOptions {
  /** `src/<file>.ts` -> a module replacing it (a mutant, or a hostile module written the same way). */
  overrides?: Record<string, string>;
  /** Whole files written into the copy (relative to week-12/), after the rest. */
  files?: Record<string, string>;
  /** Lay out as a repository (DIR/week-12/...) rather than a week-12 directory. */
  repository?: boolean;
  /** Leave the stubs (an untouched workbook) instead of the solutions. */
  stubs?: boolean;
  /** Put the solutions under src/reference/ too (for modules written over them, like the hostile ones). */
  reference?: boolean;
  /** Files to delete from the copy (relative to week-12/). */
  remove?: string[];
}

/** Writes a submission into `dir`; returns the directory to pass to --submission. */
export function makeSubmission(dir: string, o: SubmissionOptions = {}): string {
  const wb = o.repository ? join(dir, "week-12") : dir;
  mkdirSync(wb, { recursive: true });
  for (const name of readdirSync(WORKBOOK)) {
    if (name === "node_modules") continue;
    cpSync(join(WORKBOOK, name), join(wb, name), { recursive: true });
  }
  if (!o.stubs) {
    // The solutions import their types from the stubs: a copy of the stubs goes beside them.
    mkdirSync(join(wb, "src", "stubs"), { recursive: true });
    for (const f of readdirSync(join(WORKBOOK, "src")).filter((f) => f.endsWith(".ts"))) cpSync(join(WORKBOOK, "src", f), join(wb, "src", "stubs", f));
    for (const f of SOLUTION_FILES()) writeFileSync(join(wb, "src", f), solutionText(f, "./stubs/"));
  }
  const overrides = Object.entries(o.overrides ?? {});
  if (overrides.length > 0 || o.reference) {
    mkdirSync(join(wb, "src", "reference"), { recursive: true });
    for (const f of SOLUTION_FILES()) writeFileSync(join(wb, "src", "reference", f), solutionText(f, "../stubs/"));
    writeFileSync(join(wb, "src", "reference", "mutant.ts"), MUTANT_TYPE);
  }
  for (const [file, module] of overrides) {
    const text = readFileSync(module, "utf8")
      .split("../../solutions/week-12/src/")
      .join("./reference/")
      .split("../../../week-12/src/")
      .join("./stubs/")
      .split('"./mutant.js"')
      .join('"./reference/mutant.js"');
    writeFileSync(join(wb, file), text);
  }
  for (const file of o.remove ?? []) rmSync(join(wb, file), { force: true });
  for (const [file, text] of Object.entries(o.files ?? {})) {
    mkdirSync(join(wb, file, ".."), { recursive: true });
    writeFileSync(join(wb, file), text);
  }
  return dir;
}

/** The mutants: file name, the module path, and what it replaces and is caught by. */
export async function listMutants(): Promise<{ name: string; path: string; replaces: string; criterion: string; message: RegExp; mistake: string }[]> {
  const out = [];
  for (const f of readdirSync(MUTANTS).filter((f) => f.endsWith(".ts") && f !== "mutant.ts").sort()) {
    const path = join(MUTANTS, f);
    const m = (await import(path)) as { MUTANT: { replaces: string; mistake: string; caughtBy: { criterion: string; message: RegExp } } };
    out.push({ name: basename(f, ".ts"), path, replaces: m.MUTANT.replaces, criterion: m.MUTANT.caughtBy.criterion, message: m.MUTANT.caughtBy.message, mistake: m.MUTANT.mistake });
  }
  return out;
}
