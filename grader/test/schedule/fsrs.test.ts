import { describe, expect, test } from "vitest";
import { parseCompletions } from "../../src/schedule/completions.js";
import { formatIsoDate } from "../../src/schedule/dates.js";
import { fsrsPlan } from "../../src/schedule/plan.js";
import { makeLesson } from "../helpers/lessons.js";

const lessons = [makeLesson({ id: "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h", reviewScheduleDays: [3, 7, 21, 60] }), makeLesson({ id: "free", reviewScheduleDays: [] })];

function next(csv: string) {
  const { rows, errors } = parseCompletions(`student,lesson,completed_at,rating\n${csv}`, "c.csv", lessons);
  expect(errors).toEqual([]);
  return fsrsPlan(rows);
}

describe("FSRS scheduling from ratings", () => {
  test("after the completion alone, the first interval is the lesson's first fixed day", () => {
    for (const rating of ["again", "good", "easy", ""]) {
      const plan = next(`alice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-20,${rating}\n`);
      expect(plan.reviews.map((r) => [formatIsoDate(r.day), r.key, r.review])).toEqual([["2026-11-23", "next-review", 1]]);
    }
  });

  test("the rating of a review moves the next one: again < hard < good < easy", () => {
    const due = (rating: string) => next(`alice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-20,good\nalice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-23,${rating}\n`).reviews[0]!.day;
    const [again, hard, good, easy] = ["again", "hard", "good", "easy"].map(due) as [number, number, number, number];
    expect(again).toBeLessThan(hard);
    expect(hard).toBeLessThan(good);
    expect(good).toBeLessThan(easy);
    // Every next review falls after the review that was just done.
    expect(again).toBeGreaterThan(Date.UTC(2026, 10, 23) / 86_400_000);
  });

  test("good reviews stretch the interval; a lapse shrinks it and is counted", () => {
    const base = "alice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-01,good\nalice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-04,good\n";
    const afterTwo = next(base).reviews[0]!;
    const afterThree = next(`${base}alice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,${formatIsoDate(afterTwo.day)},good\n`).reviews[0]!;
    expect(afterThree.day - afterTwo.day).toBeGreaterThan(afterTwo.day - Date.UTC(2026, 10, 4) / 86_400_000);
    const lapse = next(`${base}alice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,${formatIsoDate(afterTwo.day)},again\n`).reviews[0]!;
    expect(lapse.fsrs!.lapses).toBe(1);
    expect(lapse.day).toBeLessThan(afterThree.day);
  });

  test("the same ratings always give the same dates (no fuzz)", () => {
    const csv = "a,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-01,hard\na,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-04,good\na,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-12,easy\n";
    expect(next(csv).reviews.map((r) => r.day)).toEqual(next(csv).reviews.map((r) => r.day));
  });

  test("rows are ordered by date, whatever their order in the file", () => {
    const inOrder = next("a,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-01,good\na,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-04,hard\n").reviews[0]!.day;
    const shuffled = next("a,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-04,hard\na,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-01,good\n").reviews[0]!.day;
    expect(shuffled).toBe(inOrder);
  });

  test("a review row without a rating counts as good, with a note", () => {
    const plan = next("a,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-01,good\na,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-04,\n");
    expect(plan.warnings).toEqual([{ line: 3, message: "line 3: review of w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h by a has no rating; counted as good" }]);
  });

  test("a lesson with no fixed days lets FSRS choose the first interval from the rating", () => {
    const again = next("a,free,2026-11-01,again\n").reviews[0]!.day;
    const easy = next("a,free,2026-11-01,easy\n").reviews[0]!.day;
    expect(again).toBeLessThan(easy);
  });
});
