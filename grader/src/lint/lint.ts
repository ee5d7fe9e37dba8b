// Course-wide rules over parsed lessons. Pure: takes the course (and what
// was read of the repository its criteria name), returns findings.
import path from "node:path";
import { loadCourse, type Course } from "../lesson/load.js";
import type { Diagnostic, Lesson } from "../lesson/model.js";
import { instructorMarkerProblem } from "../lesson/instructor-only.js";
import { compilePattern } from "../proof/regex.js";
import { classifyRef, isRunnable, readRepository, referenceRules, type Repository } from "./references.js";

export interface LintReport {
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
  files: number;
  lessons: number;
}

/**
 * Reads the course in `lessons` and the repository at `root` (default: the
 * lessons directory's parent) and lints them.
 */
export async function lintDirectory(lessons: string, root: string = path.dirname(path.resolve(lessons))): Promise<LintReport> {
  const course = await loadCourse(lessons);
  return lintCourse(course, await readRepository(root, course.lessons));
}

/** Without `repo`, the "How to check" references are not held to any repository. */
export function lintCourse(course: Course, repo?: Repository): LintReport {
  const diagnostics = [...course.diagnostics];
  const lessons = course.lessons;
  // A lesson with errors still has an id other lessons may name, and fields
  // worth checking now rather than after the first fix.
  const partial = course.partial ?? [];
  const all = [...lessons, ...partial].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  diagnostics.push(...uniqueIds(all), ...prereqRules(lessons, all), ...uniqueOrder(lessons));
  for (const l of all) diagnostics.push(...regexRules(l), ...reviewDayRules(l), ...instructorMarkerRules(l));
  for (const l of lessons) diagnostics.push(...criterionRefRules(l));
  if (repo) diagnostics.push(...referenceRules(lessons, repo, all));
  diagnostics.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  return {
    diagnostics,
    errors: diagnostics.filter((d) => d.severity === "error").length,
    warnings: diagnostics.filter((d) => d.severity === "warning").length,
    files: course.files,
    lessons: lessons.length,
  };
}

/** A misplaced instructor-only marker, in the words `grader site` and `grader release` stop on. */
export function instructorMarkerRules(l: Lesson): Diagnostic[] {
  const problem = instructorMarkerProblem(l.body, l.bodyLine);
  if (problem === undefined) return [];
  return [{ severity: "error", code: "instructor-marker", file: l.file, line: problem.line, field: "body", message: problem.message }];
}

function line(l: Lesson, field: string): number {
  return l.fieldLines[field] ?? 1;
}

export function uniqueIds(lessons: Lesson[]): Diagnostic[] {
  const first = new Map<string, Lesson>();
  const out: Diagnostic[] = [];
  for (const l of lessons) {
    const prev = first.get(l.id);
    if (prev) {
      out.push({
        severity: "error", code: "duplicate-id", file: l.file, line: line(l, "id"), field: "id",
        message: `id ${JSON.stringify(l.id)} is already used by ${prev.file}:${line(prev, "id")}`,
      });
    } else first.set(l.id, l);
  }
  return out;
}

/** `known`: every lesson whose id can be named (with those that have errors); defaults to `lessons`. */
export function prereqRules(lessons: Lesson[], known: Lesson[] = lessons): Diagnostic[] {
  const byId = new Map<string, Lesson>();
  for (const l of lessons) if (!byId.has(l.id)) byId.set(l.id, l);
  const knownIds = new Set(known.map((l) => l.id));
  const out: Diagnostic[] = [];
  for (const l of known) {
    for (const p of l.prereqs) {
      if (p === l.id) {
        out.push({ severity: "error", code: "prereq-self", file: l.file, line: line(l, "prereqs"), field: "prereqs", message: `lesson ${l.id} lists itself as a prerequisite` });
      } else if (!knownIds.has(p)) {
        out.push({ severity: "error", code: "prereq-missing", file: l.file, line: line(l, "prereqs"), field: "prereqs", message: `prerequisite ${JSON.stringify(p)} is not a lesson id in this course` });
      }
    }
  }
  for (const cycle of findCycles(lessons)) {
    const l = byId.get(cycle[0]!)!;
    out.push({
      severity: "error", code: "prereq-cycle", file: l.file, line: line(l, "prereqs"), field: "prereqs",
      message: `prerequisites form a cycle: ${cycle.join(" -> ")} -> ${cycle[0]}`,
    });
  }
  return out;
}

/** Each elementary cycle found by a DFS, reported once, rotated to start at its smallest id. */
export function findCycles(lessons: Lesson[]): string[][] {
  const edges = new Map<string, string[]>();
  // A duplicated id keeps the prerequisites of every lesson that uses it.
  for (const l of lessons) edges.set(l.id, [...(edges.get(l.id) ?? []), ...l.prereqs.filter((p) => p !== l.id)]);
  const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const stack: string[] = [];
  const seen = new Set<string>();
  const cycles: string[][] = [];
  const record = (next: string) => {
    const cycle = stack.slice(stack.indexOf(next));
    const min = cycle.indexOf([...cycle].sort()[0]!);
    const rotated = [...cycle.slice(min), ...cycle.slice(0, min)];
    const key = rotated.join("\u0000");
    if (!seen.has(key)) {
      seen.add(key);
      cycles.push(rotated);
    }
  };
  // The DFS keeps its own stack of frames (a lesson and the index of its next prerequisite), so a
  // chain of tens of thousands of prerequisites costs no call stack.
  const visit = (root: string) => {
    const frames: { id: string; next: number }[] = [];
    const enter = (id: string) => {
      state.set(id, 1);
      stack.push(id);
      frames.push({ id, next: 0 });
    };
    enter(root);
    while (frames.length > 0) {
      const frame = frames.at(-1)!;
      const outs = edges.get(frame.id) ?? [];
      if (frame.next === outs.length) {
        frames.pop();
        stack.pop();
        state.set(frame.id, 2);
        continue;
      }
      const next = outs[frame.next++]!;
      if (!edges.has(next)) continue;
      const s = state.get(next);
      if (s === 1) record(next);
      else if (s === undefined) enter(next);
    }
  };
  for (const id of [...edges.keys()].sort()) if (!state.has(id)) visit(id);
  return cycles;
}

export function uniqueOrder(lessons: Lesson[]): Diagnostic[] {
  const seen = new Map<string, Lesson>();
  const out: Diagnostic[] = [];
  for (const l of lessons) {
    const key = `${l.part}\u0000${l.order}`;
    const prev = seen.get(key);
    if (prev && prev.id !== l.id) {
      out.push({
        severity: "error", code: "duplicate-order", file: l.file, line: line(l, "order"), field: "order",
        message: `order ${l.order} in part ${JSON.stringify(l.part)} is already used by ${prev.id} (${prev.file}:${line(prev, "order")})`,
      });
    } else if (!prev) seen.set(key, l);
  }
  return out;
}

export function regexRules(l: Lesson): Diagnostic[] {
  const out: Diagnostic[] = [];
  l.proof?.regexPatterns.forEach((p, i) => {
    const c = compilePattern(p.source);
    if (!c.ok) {
      out.push({
        severity: "error", code: "regex-unsupported", file: l.file, line: p.line, field: `proof.regex_patterns[${i}]`,
        message: `${JSON.stringify(p.source)}: ${c.reason}`,
      });
    }
  });
  if (l.proof && l.proof.status === "regex" && l.proof.regexPatterns.length === 0) {
    out.push({
      severity: "warning", code: "regex-none", file: l.file, line: line(l, "proof"), field: "proof.status",
      message: "status is regex but there are no regex_patterns; every proof will go to review",
    });
  }
  return out;
}

export function reviewDayRules(l: Lesson): Diagnostic[] {
  const out: Diagnostic[] = [];
  const days = l.reviewScheduleDays;
  days.forEach((d, i) => {
    if (d <= 0) {
      out.push({ severity: "error", code: "review-days", file: l.file, line: line(l, "review_schedule_days"), field: `review_schedule_days[${i}]`, message: `must be a positive number of days, found ${d}` });
    } else if (i > 0 && d <= days[i - 1]!) {
      out.push({ severity: "error", code: "review-days", file: l.file, line: line(l, "review_schedule_days"), field: `review_schedule_days[${i}]`, message: `must be greater than the previous entry (${days[i - 1]}), found ${d}; the days count from the completion date and increase` });
    }
  });
  return out;
}

/**
 * Every criterion maps to at least one check a student can run: the code
 * spans of its "How to check" cell name a test file or the check command
 * (`npm run check -- --lesson ID`). Where they point is `referenceRules`'s.
 */
export function criterionRefRules(l: Lesson): Diagnostic[] {
  return l.criteria
    .filter((c) => c.howToCheck !== "" && !c.checkRefs.some((r) => isRunnable(classifyRef(r))))
    .map((c) => ({
      severity: "warning" as const, code: "criterion-no-ref", file: l.file, line: c.line, field: "body.criteria",
      message: `criterion ${c.id} names no test file or check command a student can run (\`week-12/test/x.test.ts\`, \`npm run check -- --lesson ID\`) under "How to check"`,
    }));
}
