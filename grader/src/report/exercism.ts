/**
 * Exercism's test-runner `results.json`, version 2 (one entry per test):
 *
 *     { version: 2, status: "pass" | "fail" | "error", message?,
 *       tests: [{ name, status: "pass" | "fail" | "error", message?, output?, test_code }] }
 *
 * The top-level `status` is `error` only when no test ran (the result's
 * `error`, or every test errored), and then `message` says why; `fail` when
 * any test failed or errored. A test's `message` is required when it failed
 * or errored; `output` is at most 500 characters (cut with a note), and
 * messages at most 65,535.
 */
import type { SubmissionResult, TestResult } from "./model.js";
import { isWellFormed, trimText } from "./text.js";

export const EXERCISM_OUTPUT_MAX_CHARS = 500;
export const EXERCISM_MESSAGE_MAX_CHARS = 65_535;

export interface ExercismTest {
  name: string;
  status: "pass" | "fail" | "error";
  message?: string;
  output?: string;
  test_code: string;
}

export interface ExercismResults {
  version: 2;
  status: "pass" | "fail" | "error";
  message?: string;
  tests: ExercismTest[];
}

export function toExercism(r: SubmissionResult): ExercismResults {
  const tests = r.tests.map(exercismTest);
  const allErrored = tests.length > 0 && tests.every((t) => t.status === "error");
  if (r.error !== undefined || allErrored) {
    const message = r.error ?? `No test could run: ${r.tests[0]!.message}`;
    return { version: 2, status: "error", message: trimText(message, EXERCISM_MESSAGE_MAX_CHARS), tests };
  }
  return { version: 2, status: tests.every((t) => t.status === "pass") ? "pass" : "fail", tests };
}

function exercismTest(t: TestResult): ExercismTest {
  const status = t.status === "passed" ? "pass" : t.status === "failed" ? "fail" : "error";
  const message = status === "pass" ? "" : t.message || (t.limit ? `stopped at the ${t.limit} limit` : status === "fail" ? "failed" : "could not run");
  return {
    name: `${t.criterion} ${t.name}`,
    status,
    ...(message ? { message: trimText(message, EXERCISM_MESSAGE_MAX_CHARS) } : {}),
    ...(t.output ? { output: trimText(t.output, EXERCISM_OUTPUT_MAX_CHARS, "start") } : {}),
    test_code: t.testCode ?? `criterion ${t.criterion}`,
  };
}

/** Every way `json` departs from version 2 of the format, each as `path: problem`. */
export function validateExercismResults(json: unknown): string[] {
  const problems: string[] = [];
  if (typeof json !== "object" || json === null || Array.isArray(json)) return ["(top): expected an object"];
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!["version", "status", "message", "tests"].includes(k)) problems.push(`${k}: not a field of version 2`);
  if (o.version !== 2) problems.push(`version: expected 2, got ${JSON.stringify(o.version)}`);
  if (!["pass", "fail", "error"].includes(o.status as string)) problems.push(`status: expected pass, fail or error, got ${JSON.stringify(o.status)}`);
  if (o.status === "error" && (typeof o.message !== "string" || o.message === "")) problems.push("message: required when status is error");
  text(o, "message", "", EXERCISM_MESSAGE_MAX_CHARS, problems);
  if (o.status !== "error" && !Array.isArray(o.tests)) problems.push("tests: required when status is pass or fail");
  if (o.tests !== undefined && !Array.isArray(o.tests)) problems.push("tests: expected an array");
  const tests = Array.isArray(o.tests) ? (o.tests as unknown[]) : [];
  tests.forEach((t, i) => {
    const at = `tests[${i}].`;
    if (typeof t !== "object" || t === null) {
      problems.push(`tests[${i}]: expected an object`);
      return;
    }
    const x = t as Record<string, unknown>;
    for (const k of Object.keys(x)) if (!["name", "status", "message", "output", "test_code"].includes(k)) problems.push(`${at}${k}: not a field of a version 2 test`);
    if (typeof x.name !== "string" || x.name === "") problems.push(`${at}name: required`);
    if (!["pass", "fail", "error"].includes(x.status as string)) problems.push(`${at}status: expected pass, fail or error, got ${JSON.stringify(x.status)}`);
    if ((x.status === "fail" || x.status === "error") && (typeof x.message !== "string" || x.message === "")) problems.push(`${at}message: required when status is ${String(x.status)}`);
    if (typeof x.test_code !== "string") problems.push(`${at}test_code: required`);
    text(x, "name", at, EXERCISM_MESSAGE_MAX_CHARS, problems);
    text(x, "message", at, EXERCISM_MESSAGE_MAX_CHARS, problems);
    text(x, "output", at, EXERCISM_OUTPUT_MAX_CHARS, problems);
    text(x, "test_code", at, EXERCISM_MESSAGE_MAX_CHARS, problems);
  });
  if (o.status === "pass" && tests.some((t) => (t as { status?: unknown })?.status !== "pass")) problems.push("status: pass, but a test did not pass");
  if (o.status === "fail" && tests.every((t) => (t as { status?: unknown })?.status === "pass")) problems.push("status: fail, but every test passed");
  return problems;
}

function text(o: Record<string, unknown>, k: string, at: string, max: number, problems: string[]): void {
  const v = o[k];
  if (v === undefined || v === null) return;
  if (typeof v !== "string") problems.push(`${at}${k}: expected a string`);
  else {
    if (v.length > max) problems.push(`${at}${k}: ${v.length} characters, more than ${max}`);
    if (!isWellFormed(v)) problems.push(`${at}${k}: has a lone surrogate`);
  }
}
