/**
 * The result of grading one submission, the one shape every report format is
 * written from (gradescope.ts, exercism.ts, junit.ts, markdown.ts, and JSON
 * as it is).
 *
 * A test is one check of one lesson criterion (`criterion` is
 * `<lesson id>#<n>`, the row of the lesson's pass-criteria table). `weight`
 * is its share of the lesson's points; `score` is in [0, maxScore]. A test
 * is `error` when it could not judge the submission (a limit, a crash before
 * the check, a harness that could not start), `failed` when it judged it
 * wrong. Visibility follows Gradescope's words: `visible`, `hidden` (the
 * instructor's only), `after_due_date`, `after_published`.
 *
 * `buildSubmissionResult` is the boundary: it cleans every text (text.ts),
 * bounds messages and outputs, and computes the lesson and total scores, so
 * a writer can trust what it is given.
 */
import type { SandboxLimit } from "../sandbox/run.js";
import { safeText } from "./text.js";

export type TestStatus = "passed" | "failed" | "error";
export type Visibility = "visible" | "hidden" | "after_due_date" | "after_published";
export const VISIBILITIES: readonly Visibility[] = ["visible", "hidden", "after_due_date", "after_published"];

export interface TestResult {
  name: string;
  /** `<lesson id>#<n>`. */
  criterion: string;
  lesson: string;
  weight: number;
  maxScore: number;
  score: number;
  status: TestStatus;
  /** Why it failed or errored, in a sentence; empty when passed. */
  message: string;
  /** What the submission printed (trimmed from the start: the end is where it went wrong). */
  output: string;
  visibility: Visibility;
  /** The sandbox limit that stopped the run, when one did. */
  limit?: SandboxLimit;
  /** How the criterion is checked (shown as Exercism's test_code). */
  testCode?: string;
  durationMs?: number;
}

export interface LessonResult {
  id: string;
  title: string;
  score: number;
  maxScore: number;
  /** XP earned: the lesson's XP in proportion to its score, rounded down (not the lesson's XP: that is `lessonXp`). */
  xp: number;
  /** The lesson's full XP, from its front-matter: what `xp` is a part of. */
  lessonXp: number;
}

export interface SubmissionResult {
  /** Who or what was graded (a student id, a directory name). */
  submission: string;
  /** ISO 8601. */
  startedAt: string;
  elapsedMs: number;
  tests: TestResult[];
  lessons: LessonResult[];
  total: { score: number; maxScore: number };
  /** Set when no test could run at all (the submission does not build, the harness could not start). */
  error?: string;
  /** What the grader says about the submission as a whole (files it ignored, files missing), one sentence each. */
  notes?: string[];
}

/** Bounds on what a report carries. */
export const MAX_NAME_CHARS = 500;
export const MAX_MESSAGE_CHARS = 8_000;
export const MAX_OUTPUT_CHARS = 64_000;

export interface TestInput extends Omit<TestResult, "message" | "output" | "visibility" | "lesson"> {
  message?: string;
  output?: string;
  visibility?: Visibility;
  lesson?: string;
}

export interface BuildInput {
  submission: string;
  startedAt: Date | string;
  elapsedMs: number;
  tests: readonly TestInput[];
  /** Every lesson graded, in order, with its title and XP (a lesson with no test scores 0 of 0). */
  lessons: readonly { id: string; title: string; xp: number }[];
  error?: string;
  notes?: readonly string[];
}

export class ResultModelError extends Error {
  override readonly name = "ResultModelError";
  readonly code = "RESULT_MODEL";
}

/** The result, with its texts cleaned and bounded and its sums computed; a test that breaks the model's rules throws, naming it. */
export function buildSubmissionResult(input: BuildInput): SubmissionResult {
  const lessonIds = new Set(input.lessons.map((l) => l.id));
  const tests = input.tests.map((t, i): TestResult => {
    const where = `tests[${i}] (${JSON.stringify(String(t.name).slice(0, 80))})`;
    const lesson = t.lesson ?? String(t.criterion).split("#")[0]!;
    if (!/^[^#\s]+#\d+$/.test(t.criterion)) throw new ResultModelError(`${where}: criterion: expected "<lesson id>#<n>", got ${JSON.stringify(t.criterion)}`);
    if (!lessonIds.has(lesson)) throw new ResultModelError(`${where}: lesson ${JSON.stringify(lesson)} is not among the lessons graded`);
    for (const key of ["weight", "maxScore", "score"] as const) {
      if (!Number.isFinite(t[key]) || t[key] < 0) throw new ResultModelError(`${where}: ${key}: expected a finite number >= 0, got ${String(t[key])}`);
    }
    if (t.score > t.maxScore) throw new ResultModelError(`${where}: score ${t.score} is above maxScore ${t.maxScore}`);
    if (!["passed", "failed", "error"].includes(t.status)) throw new ResultModelError(`${where}: status: expected passed, failed or error, got ${JSON.stringify(t.status)}`);
    const visibility = t.visibility ?? "visible";
    if (!VISIBILITIES.includes(visibility)) throw new ResultModelError(`${where}: visibility: expected one of ${VISIBILITIES.join(", ")}, got ${JSON.stringify(visibility)}`);
    return {
      name: safeText(t.name, MAX_NAME_CHARS),
      criterion: safeText(t.criterion, MAX_NAME_CHARS),
      lesson: safeText(lesson, MAX_NAME_CHARS),
      weight: t.weight,
      maxScore: t.maxScore,
      score: t.score,
      status: t.status,
      message: safeText(t.message, MAX_MESSAGE_CHARS),
      output: safeText(t.output, MAX_OUTPUT_CHARS, "start"),
      visibility,
      ...(t.limit ? { limit: t.limit } : {}),
      ...(t.testCode !== undefined ? { testCode: safeText(t.testCode, MAX_MESSAGE_CHARS) } : {}),
      ...(t.durationMs !== undefined ? { durationMs: t.durationMs } : {}),
    };
  });
  const lessons = input.lessons.map((l): LessonResult => {
    const mine = tests.filter((t) => t.lesson === l.id);
    const score = round(mine.reduce((s, t) => s + t.score, 0));
    const maxScore = round(mine.reduce((s, t) => s + t.maxScore, 0));
    return { id: safeText(l.id, MAX_NAME_CHARS), title: safeText(l.title, MAX_NAME_CHARS), score, maxScore, xp: maxScore > 0 ? Math.floor((l.xp * score) / maxScore) : 0, lessonXp: l.xp };
  });
  const startedAt = input.startedAt instanceof Date ? input.startedAt.toISOString() : input.startedAt;
  return {
    submission: safeText(input.submission, MAX_NAME_CHARS),
    startedAt,
    elapsedMs: input.elapsedMs,
    tests,
    lessons,
    total: { score: round(lessons.reduce((s, l) => s + l.score, 0)), maxScore: round(lessons.reduce((s, l) => s + l.maxScore, 0)) },
    ...(input.error !== undefined ? { error: safeText(input.error, MAX_MESSAGE_CHARS) } : {}),
    ...(input.notes !== undefined && input.notes.length > 0 ? { notes: input.notes.slice(0, 50).map((n) => safeText(n, MAX_MESSAGE_CHARS)) } : {}),
  };
}

/** Sums of fractional points without binary noise (0.1 + 0.2 is 0.3 here). */
function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/**
 * What a student may see: hidden tests left out, `after_due_date` and
 * `after_published` ones only once that moment has come. Lesson and total
 * scores stay those of the whole grading.
 */
export function studentView(r: SubmissionResult, moment: { dueDatePassed: boolean; published: boolean }): SubmissionResult {
  const shown = (v: Visibility) => v === "visible" || (v === "after_due_date" && moment.dueDatePassed) || (v === "after_published" && moment.published);
  return { ...r, tests: r.tests.filter((t) => shown(t.visibility)) };
}
