/**
 * Gradescope's autograder `results.json`, as its specification documents it:
 *
 *     { score?, execution_time?, output?, output_format?, test_output_format?,
 *       test_name_format?, visibility?, stdout_visibility?, extra_data?,
 *       tests?: [{ score?, max_score?, status?, name?, name_format?, number?,
 *                  output?, output_format?, tags?, visibility?, extra_data? }] }
 *
 * `score` is required at the top unless every test has one; when both are
 * given the top-level score wins. `status` is `passed` or `failed` (an
 * errored test is `failed`, its output says why). No leaderboard.
 */
import type { SubmissionResult, TestResult, Visibility } from "./model.js";
import { isWellFormed } from "./text.js";

export const GRADESCOPE_VISIBILITIES = ["hidden", "after_due_date", "after_published", "visible"] as const;
export const GRADESCOPE_FORMATS = ["text", "html", "simple_format", "md", "ansi"] as const;

export interface GradescopeTest {
  score: number;
  max_score: number;
  status: "passed" | "failed";
  name: string;
  number: string;
  output: string;
  output_format: "text";
  tags: string[];
  visibility: Visibility;
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  output_format: "text";
  visibility: Visibility;
  stdout_visibility: Visibility;
  tests: GradescopeTest[];
}

export interface GradescopeOptions {
  /** When the whole result is shown to the student (default: visible). */
  visibility?: Visibility;
  /** When the autograder's stdout is shown to the student (default: hidden: it is the instructor's log). */
  stdoutVisibility?: Visibility;
}

export function toGradescope(r: SubmissionResult, o: GradescopeOptions = {}): GradescopeResults {
  const lessonNumber = new Map(r.lessons.map((l, i) => [l.id, i + 1]));
  return {
    score: r.total.score,
    execution_time: Math.round(r.elapsedMs / 1000),
    output: summary(r),
    output_format: "text",
    visibility: o.visibility ?? "visible",
    stdout_visibility: o.stdoutVisibility ?? "hidden",
    tests: r.tests.map((t) => ({
      score: t.score,
      max_score: t.maxScore,
      status: t.status === "passed" ? "passed" : "failed",
      name: `${t.criterion} ${t.name}`,
      number: `${lessonNumber.get(t.lesson) ?? 0}.${t.criterion.split("#")[1] ?? "0"}`,
      output: testOutput(t),
      output_format: "text",
      tags: [t.lesson, t.criterion, ...(t.status === "error" ? ["error"] : []), ...(t.limit ? [`limit:${t.limit}`] : [])],
      visibility: t.visibility,
    })),
  };
}

function summary(r: SubmissionResult): string {
  const lines = [`${r.submission}: ${r.total.score} / ${r.total.maxScore}`];
  if (r.error) lines.push("", `No test could run: ${r.error}`);
  for (const n of r.notes ?? []) lines.push(`Note: ${n}`);
  for (const l of r.lessons) lines.push(`${l.title} (${l.id}): ${l.score} / ${l.maxScore}, ${l.xp} of ${l.lessonXp} XP`);
  return lines.join("\n");
}

function testOutput(t: TestResult): string {
  const parts: string[] = [];
  if (t.status === "error") parts.push(`Error${t.limit ? ` (stopped at the ${t.limit} limit)` : ""}: ${t.message}`);
  else if (t.message) parts.push(t.message);
  if (t.output) parts.push(`Output:\n${t.output}`);
  return parts.join("\n\n");
}

const TOP_KEYS = new Set(["score", "execution_time", "output", "output_format", "test_output_format", "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests"]);
const TEST_KEYS = new Set(["score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags", "visibility", "extra_data"]);

/** Every way `json` departs from the documented format, each as `path: problem` (empty when it conforms). */
export function validateGradescopeResults(json: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(json)) return ["(top): expected an object"];
  for (const k of Object.keys(json)) if (!TOP_KEYS.has(k)) problems.push(`${k}: not a field of results.json`);
  optionalNumber(json, "score", "", problems);
  optionalNumber(json, "execution_time", "", problems);
  optionalString(json, "output", "", problems);
  for (const k of ["output_format", "test_output_format", "test_name_format"]) optionalEnum(json, k, GRADESCOPE_FORMATS, "", problems);
  optionalEnum(json, "visibility", GRADESCOPE_VISIBILITIES, "", problems);
  optionalEnum(json, "stdout_visibility", GRADESCOPE_VISIBILITIES, "", problems);
  if (json.extra_data !== undefined && !isObject(json.extra_data)) problems.push("extra_data: expected an object");
  if (json.tests === undefined) {
    if (json.score === undefined) problems.push("score: required when there are no tests");
    return problems;
  }
  if (!Array.isArray(json.tests)) return [...problems, "tests: expected an array"];
  json.tests.forEach((t: unknown, i: number) => {
    const at = `tests[${i}].`;
    if (!isObject(t)) {
      problems.push(`tests[${i}]: expected an object`);
      return;
    }
    for (const k of Object.keys(t)) if (!TEST_KEYS.has(k)) problems.push(`${at}${k}: not a field of a test`);
    if (t.score === undefined && json.score === undefined) problems.push(`${at}score: required when there is no top-level score`);
    optionalNumber(t, "score", at, problems);
    optionalNumber(t, "max_score", at, problems);
    if (typeof t.max_score === "number" && t.max_score < 0) problems.push(`${at}max_score: expected >= 0, got ${t.max_score}`);
    optionalEnum(t, "status", ["passed", "failed"], at, problems);
    optionalString(t, "name", at, problems);
    optionalString(t, "number", at, problems);
    optionalString(t, "output", at, problems);
    optionalEnum(t, "name_format", GRADESCOPE_FORMATS, at, problems);
    optionalEnum(t, "output_format", GRADESCOPE_FORMATS, at, problems);
    optionalEnum(t, "visibility", GRADESCOPE_VISIBILITIES, at, problems);
    if (t.tags !== undefined && !(Array.isArray(t.tags) && t.tags.every((x) => typeof x === "string" && isWellFormed(x)))) problems.push(`${at}tags: expected an array of strings`);
    if (t.extra_data !== undefined && !isObject(t.extra_data)) problems.push(`${at}extra_data: expected an object`);
  });
  return problems;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function optionalNumber(o: Record<string, unknown>, k: string, at: string, problems: string[]): void {
  if (o[k] !== undefined && !(typeof o[k] === "number" && Number.isFinite(o[k]))) problems.push(`${at}${k}: expected a finite number, got ${JSON.stringify(o[k])}`);
}
function optionalString(o: Record<string, unknown>, k: string, at: string, problems: string[]): void {
  const v = o[k];
  if (v === undefined) return;
  if (typeof v !== "string") problems.push(`${at}${k}: expected a string, got ${typeof v}`);
  else if (!isWellFormed(v)) problems.push(`${at}${k}: has a lone surrogate (not valid UTF-8 once written)`);
}
function optionalEnum(o: Record<string, unknown>, k: string, values: readonly string[], at: string, problems: string[]): void {
  if (o[k] !== undefined && !values.includes(o[k] as string)) problems.push(`${at}${k}: expected one of ${values.join(", ")}, got ${JSON.stringify(o[k])}`);
}
