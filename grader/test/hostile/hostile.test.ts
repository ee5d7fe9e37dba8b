/**
 * Each hostile or broken submission of the catalogue, graded on its lesson
 * with small limits: the grader comes back with a report, and the report
 * says what the catalogue says it must (status per criterion, a message
 * fragment, the limit), with nothing left behind outside the sandbox.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SubmissionResult, TestResult } from "../../src/report/index.js";
import { gradeSubmission } from "../../src/test-run/grade.js";
import { makeSubmission, REPOSITORY_ROOT } from "../grader-test/submissions.js";
import { HOSTILE, ISOLATED_HOSTILE, type Expectation, type Hostile } from "./catalogue.js";

const work = mkdtempSync(join(tmpdir(), "dslab-hostile-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function matching(tests: readonly TestResult[], e: Expectation): TestResult[] {
  return tests.filter((t) => t.maxScore > 0 && (e.tests === "all" || (Number(t.criterion.split("#")[1]) === e.tests.n && (e.tests.visibility === undefined || (e.tests.visibility === "visible") === (t.visibility === "visible")))));
}

/** The report says what the catalogue says it must, test by test, and nothing leaked. */
function expectReport(result: SubmissionResult, h: Hostile): void {
  expect(result.error).toBeUndefined();
  for (const e of h.expect) {
    const tests = matching(result.tests, e);
    expect(tests.length, `tests matching ${JSON.stringify(e.tests)}`).toBeGreaterThan(0);
    for (const t of tests) {
      expect(t.status, `${t.criterion} ${t.name}: ${t.message}`).toBe(e.status);
      if (e.message) expect(t.message).toMatch(e.message);
      if (e.limit) expect(t.limit).toBe(e.limit);
      expect(t.message).not.toMatch(/LEAKED/);
    }
  }
}

describe("hostile and broken submissions", () => {
  for (const h of HOSTILE) {
    it(`${h.name}: ${h.does}`, { timeout: 150_000 }, async () => {
      const tag = `${h.name}-${process.pid}`;
      const dir = makeSubmission(join(work, h.name), h.make(REPOSITORY_ROOT, tag));
      const { result } = await gradeSubmission({ submission: dir, lessons: [{ id: h.lesson, title: h.lesson, xp: 10 }], limits: h.limits, seedScale: 0.25 });
      expectReport(result, h);
      if (h.note) expect((result.notes ?? []).join("\n")).toMatch(h.note);
      for (const p of h.mustNotExist ?? []) expect(existsSync(p.replace("{root}", REPOSITORY_ROOT).replace("{tag}", tag)), p).toBe(false);
      if (h.name === "type-error") {
        const typeTest = result.tests.find((t) => t.name.startsWith("type check: week-12/src/idempotency-handler.ts"));
        expect(typeTest?.status).toBe("failed");
        expect(typeTest?.maxScore).toBe(0);
        expect(typeTest?.message).toMatch(/week-12\/src\/idempotency-handler\.ts:\d+:\d+ TS2322/);
        expect(result.total.score).toBe(result.total.maxScore);
      }
      if (h.name === "reads-hidden") {
        // The files it tried are there and root reads them: only the sandbox kept them from it.
        expect(existsSync(join(REPOSITORY_ROOT, "grader", "hidden", "index.ts"))).toBe(true);
        expect(existsSync(join(REPOSITORY_ROOT, "grader", "solutions", "week-12", "src", "idempotency-handler.ts"))).toBe(true);
        expect(process.getuid?.()).toBe(0);
      }
    });
  }
});

describe("hostile submissions with --isolate (the submission's code in a process of its own)", () => {
  for (const h of ISOLATED_HOSTILE) {
    it(`${h.name}: ${h.does}`, { timeout: 240_000 }, async () => {
      const dir = makeSubmission(join(work, `isolated-${h.name}`), h.make(REPOSITORY_ROOT, `${h.name}-${process.pid}`));
      const { result } = await gradeSubmission({ submission: dir, lessons: [{ id: h.lesson, title: h.lesson, xp: 10 }], limits: h.limits, seedScale: 0.25, isolate: true });
      expectReport(result, h);
    });
  }
});
