// The result model's boundary: sums, XP, cleaned texts, and a clear refusal of a test that breaks its rules.
import { describe, expect, it } from "vitest";
import { buildSubmissionResult, studentView } from "../../src/report/index.js";
import { L1, L2, sample, sampleTests } from "./sample.js";

describe("buildSubmissionResult", () => {
  it("sums scores per lesson and in total, and gives XP in proportion to the score beside the lesson's full XP (lessonXp)", () => {
    const r = sample();
    expect(r.lessons).toEqual([
      { id: L1, title: "Vote rules", score: 2, maxScore: 4, xp: 20, lessonXp: 40 },
      { id: L2, title: "Client retries and idempotency", score: 1.5, maxScore: 3, xp: 30, lessonXp: 60 },
    ]);
    expect(r.total).toEqual({ score: 3.5, maxScore: 7 });
    expect(r.tests[1]).toMatchObject({ lesson: L1, criterion: `${L1}#2`, status: "failed", visibility: "hidden" });
  });

  it("sums fractional points without binary noise", () => {
    const tests = [0.1, 0.2].map((s, i) => ({ name: `t${i}`, criterion: `${L1}#${i + 1}`, weight: 1, maxScore: s, score: s, status: "passed" as const }));
    expect(sample(tests).total).toEqual({ score: 0.3, maxScore: 0.3 });
  });

  it.each([
    ["a criterion without #n", { criterion: L1 }, /criterion: expected "<lesson id>#<n>"/],
    ["a lesson not graded", { criterion: "w99-l01#1" }, /lesson "w99-l01" is not among the lessons graded/],
    ["a score above the maximum", { score: 3 }, /score 3 is above maxScore 2/],
    ["a negative weight", { weight: -1 }, /weight: expected a finite number >= 0, got -1/],
    ["an unknown status", { status: "skipped" }, /status: expected passed, failed or error, got "skipped"/],
    ["an unknown visibility", { visibility: "public" }, /visibility: expected one of visible, hidden/],
  ])("refuses %s, naming the test", (_, change, message) => {
    const tests = sampleTests();
    tests[0] = { ...tests[0]!, ...(change as object) };
    expect(() => sample(tests)).toThrow(message);
    expect(() => sample(tests)).toThrow(/tests\[0\] \("grants one vote per term"\)/);
  });

  it("bounds a huge output from its start (the end is kept) and a huge message from its end", () => {
    const tests = sampleTests();
    tests[1] = { ...tests[1]!, output: `${"a".repeat(100_000)}THE END`, message: `START${"m".repeat(100_000)}` };
    const t = sample(tests).tests[1]!;
    expect(t.output.length).toBeLessThanOrEqual(64_000);
    expect(t.output.endsWith("THE END")).toBe(true);
    expect(t.output).toMatch(/^\[… \d+ earlier characters\]\n/);
    expect(t.message.length).toBeLessThanOrEqual(8_000);
    expect(t.message.startsWith("START")).toBe(true);
  });

  it("accepts a Date for startedAt and writes it as ISO 8601", () => {
    const r = buildSubmissionResult({ submission: "s", startedAt: new Date(Date.UTC(2026, 11, 6, 5)), elapsedMs: 1, tests: [], lessons: [] });
    expect(r.startedAt).toBe("2026-12-06T05:00:00.000Z");
    expect(r.total).toEqual({ score: 0, maxScore: 0 });
  });
});

describe("studentView", () => {
  it("leaves hidden tests out, and shows after_due_date and after_published ones only once due or published", () => {
    const r = sample();
    const names = (v: ReturnType<typeof studentView>) => v.tests.map((t) => t.visibility);
    expect(names(studentView(r, { dueDatePassed: false, published: false }))).toEqual(["visible"]);
    expect(names(studentView(r, { dueDatePassed: true, published: false }))).toEqual(["visible", "after_due_date"]);
    expect(names(studentView(r, { dueDatePassed: true, published: true }))).toEqual(["visible", "after_published", "after_due_date"]);
  });
});
