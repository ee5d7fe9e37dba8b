// What the `grader check` tests share: the registry of checks as the
// command sees it, the course's plan, and throw-away workbook copies.
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { CHECKS, CheckFailure, LESSON, openWorkbook } from "../../../week-12/checks/index.js";
import type { CheckContext, CriterionCheck } from "../../../week-12/checks/index.js";
import { planWorkbook, type Plan } from "../../src/check/plan.js";
import { loadCourse } from "../../src/lesson/load.js";
import { REPO } from "../helpers/cli.js";

export { CHECKS };

export async function coursePlan(): Promise<Plan> {
  const course = await loadCourse(path.join(REPO, "lessons"));
  return planWorkbook(course.lessons, CHECKS, Object.values(LESSON));
}

/** Workbook copies live inside the repository, so their imports (@dslab/protocol) resolve as week-12's do. */
const COPIES = fileURLToPath(new URL("./.workbooks/", import.meta.url));

/** A copy of week-12's src/ and node/ in a fresh directory; `remove()` deletes it. */
export async function copyWorkbook(name: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = path.join(COPIES, `${name}-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const sub of ["src", "node"]) await cp(path.join(REPO, "week-12", sub), path.join(dir, sub), { recursive: true });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A copy of the reference solutions' src/ in which `file` re-exports `module` (a mutant); `remove()` deletes it. */
export async function solutionsWith(name: string, file: string, module: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = path.join(COPIES, `${name}-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await cp(path.join(REPO, "grader", "solutions", "week-12", "src"), path.join(dir, "src"), { recursive: true });
  await writeFile(path.join(dir, file), `export * from ${JSON.stringify(module)};\n`);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A copy of week-12 (copyWorkbook) holding the reference solutions, with
 * `line` as the first statement of the vote rules' `decide`; returns the copy
 * and the line number of `line` in src/vote-rules.ts.
 */
export async function solutionsWithDecideFirst(name: string, solutions: string, line: string): Promise<{ dir: string; remove: () => Promise<void>; lineNumber: number }> {
  const copy = await copyWorkbook(name);
  await cp(solutions, path.join(copy.dir, "src"), { recursive: true });
  const file = path.join(copy.dir, "src", "vote-rules.ts");
  const text = await readFile(file, "utf8");
  const head = "export function decide(voter: VoterState, request: VoteRequest): VoteDecision {";
  const at = text.split("\n").indexOf(head);
  if (at === -1) throw new Error(`src/vote-rules.ts of the solutions has no line ${JSON.stringify(head)}`);
  await writeFile(file, text.replace(head, `${head}\n${line}`));
  return { ...copy, lineNumber: at + 2 };
}

/**
 * The reference solutions' src/ in `dir` (emptied first: a module imported
 * once is cached by its path, so each edit wants a directory of its own),
 * with `file`'s text `from` (which must be there) replaced by `to`.
 */
export async function solutionsEdited(dir: string, file: string, from: string, to: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await cp(path.join(REPO, "grader", "solutions", "week-12", "src"), path.join(dir, "src"), { recursive: true });
  const text = await readFile(path.join(dir, file), "utf8");
  expect(text).toContain(from);
  await writeFile(path.join(dir, file), text.replace(from, to));
  return dir;
}

/** The `CheckFailure` check `criterion` of `checks` ends with on the workbook in `dir`, or undefined when it passes. */
export async function checkFailureOf(checks: readonly CriterionCheck[], criterion: string, dir: string): Promise<CheckFailure | undefined> {
  const check = checks.find((c) => c.criterion === criterion)!;
  const ctx: CheckContext = { workbook: openWorkbook({ source: dir }), seeds: undefined, outDir: path.join(dir, "out"), progress: () => {} };
  try {
    await check.run(ctx);
    return undefined;
  } catch (e) {
    if (e instanceof CheckFailure) return e;
    throw e;
  }
}

export const THROWN = "went wrong in the student's code";

/**
 * Rewrites a stub in `dir` so that each function still to write throws the
 * student's own RangeError (instead of "not implemented yet"); returns the
 * line of the throw, where the report must point.
 */
export async function makeStubThrow(dir: string, file: string): Promise<number> {
  const p = path.join(dir, file);
  const text = await readFile(p, "utf8");
  const lines = text.split("\n");
  const i = lines.findIndex((l) => /^import \{ todo \} from "\.\/todo\.js";$/.test(l));
  if (i === -1) throw new Error(`${file} does not import todo from ./todo.js`);
  lines[i] = `function todo(fn: string): never {\n  throw new RangeError(\`\${fn} ${THROWN}\`);\n}`;
  await writeFile(p, lines.join("\n"));
  return i + 2;
}

/** The first check that runs no simulator (fast), if the registry has one. */
export function firstUnitCheck(): CriterionCheck | undefined {
  return CHECKS.find((c) => c.faultRun !== true && c.files.some((f) => f.startsWith("src/")));
}
