// Builds lessons in memory for rule tests.
import type { Lesson } from "../../src/lesson/model.js";

export function makeLesson(over: Partial<Lesson> & { id: string }): Lesson {
  return {
    part: "p",
    title: `Lesson ${over.id}`,
    order: 1,
    prereqs: [],
    reviewScheduleDays: [3, 7],
    extra: {},
    criteria: [],
    doneWhen: [],
    proofExamples: [],
    file: `lessons/${over.id}.md`,
    fieldLines: { id: 2, part: 3, title: 4, order: 5, prereqs: 6, proof: 7, review_schedule_days: 12 },
    body: "",
    bodyLine: 14,
    ...over,
  };
}

export function withPatterns(id: string, patterns: string[], status: "regex" | "manual" | "manual_or_regex" = "regex", xp = 10): Lesson {
  return makeLesson({
    id,
    xp,
    proof: { type: "paste", status, regexPatterns: patterns.map((source, i) => ({ source, line: 9 + i })) },
  });
}
