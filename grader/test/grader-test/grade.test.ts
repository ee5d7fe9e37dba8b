/**
 * `grader test` on the reference solutions (full marks: each lesson with
 * fewer seeds, then one full run), and on each mutant placed into a copy
 * of the solutions (below full marks, with a message naming the mistake).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gradeSubmission } from "../../src/test-run/grade.js";
import { gradedLessons } from "../../src/test-run/lessons.js";
import { listMutants, makeSubmission, REPOSITORY_ROOT } from "./submissions.js";

const work = mkdtempSync(join(tmpdir(), "dslab-grader-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const lessons = await gradedLessons(join(REPOSITORY_ROOT, "lessons"), []);
const reference = makeSubmission(join(work, "reference"), { repository: true });

describe("the reference solutions", () => {
  for (const lesson of lessons) {
    it(`full marks on ${lesson.short} (reduced seeds)`, { timeout: 120_000 }, async () => {
      const { result } = await gradeSubmission({ submission: reference, lessons, only: [lesson.id], seedScale: 0.25, typecheck: false });
      const failing = result.tests.filter((t) => t.status !== "passed").map((t) => `${t.criterion} ${t.name}: ${t.message}`);
      expect(failing).toEqual([]);
      expect(result.lessons).toHaveLength(1);
      expect(result.lessons[0]!.score).toBe(result.lessons[0]!.maxScore);
      // Every criterion of the lesson has a visible and a hidden test.
      const criteria = new Set(result.tests.map((t) => t.criterion));
      for (const c of criteria) {
        expect(result.tests.some((t) => t.criterion === c && t.visibility === "visible")).toBe(true);
        expect(result.tests.some((t) => t.criterion === c && t.visibility !== "visible")).toBe(true);
      }
    });
  }

  it("full marks on every lesson, every hidden test at its full seeds, with the type check", { timeout: 240_000 }, async () => {
    const { result } = await gradeSubmission({ submission: reference, lessons });
    expect(result.tests.filter((t) => t.status !== "passed").map((t) => `${t.criterion} ${t.name}: ${t.message}`)).toEqual([]);
    expect(new Set(result.tests.map((t) => t.criterion)).size).toBe(22);
    expect(result.total.score).toBe(result.total.maxScore);
    expect(result.lessons.every((l) => l.xp > 0)).toBe(true);
  });
});

describe("each mutant, in a copy of the solutions", async () => {
  const mutants = await listMutants();
  for (const m of mutants) {
    it(`${m.name} (${m.replaces}): below full marks, ${m.criterion} names the mistake`, { timeout: 120_000 }, async () => {
      const dir = makeSubmission(join(work, `mutant-${m.name}`), { overrides: { [m.replaces]: m.path } });
      const lesson = m.criterion.slice(0, m.criterion.lastIndexOf("#"));
      const { result } = await gradeSubmission({ submission: dir, lessons, only: [lesson], seedScale: 0.25, typecheck: false });
      expect(result.total.score).toBeLessThan(result.total.maxScore);
      const failed = result.tests.filter((t) => t.criterion === m.criterion && t.status === "failed");
      expect(failed.length, `${m.criterion} failed`).toBeGreaterThan(0);
      expect(failed.map((t) => t.message).join("\n---\n")).toMatch(m.message);
      expect(result.tests.filter((t) => t.status === "error").map((t) => t.message)).toEqual([]);
    });
  }
});
