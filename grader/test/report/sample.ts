// A graded submission with every kind of test, for the report tests.
import { buildSubmissionResult, type SubmissionResult, type TestInput } from "../../src/report/index.js";

export const L1 = "w12-leader-election-client-idempotency-d02-quest-vote-rules-2h";
export const L2 = "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h";

export function sampleTests(): TestInput[] {
  return [
    { name: "grants one vote per term", criterion: `${L1}#1`, weight: 1, maxScore: 2, score: 2, status: "passed", visibility: "visible", durationMs: 120 },
    { name: "refuses a stale log", criterion: `${L1}#2`, weight: 1, maxScore: 2, score: 0, status: "failed", message: "granted a vote to a candidate whose log is behind (term 3, index 7 < 9)", output: "seed 42: node n2 voted for n1\n", visibility: "hidden", durationMs: 340 },
    { name: "retries with the same key", criterion: `${L2}#1`, weight: 1, maxScore: 1.5, score: 0, status: "error", message: "the submission was stopped at the wall limit", output: "waiting...\n", visibility: "after_published", limit: "wall", durationMs: 10_000 },
    { name: "deduplicates a retried write", criterion: `${L2}#2`, weight: 1, maxScore: 1.5, score: 1.5, status: "passed", visibility: "after_due_date", testCode: "kv-sim --seed 7 --faults drop", durationMs: 80 },
  ];
}

export function sample(tests: TestInput[] = sampleTests(), extra: { error?: string } = {}): SubmissionResult {
  return buildSubmissionResult({
    submission: "student-007",
    startedAt: "2026-12-06T05:00:00.000Z",
    elapsedMs: 12_345,
    tests,
    lessons: [
      { id: L1, title: "Vote rules", xp: 40 },
      { id: L2, title: "Client retries and idempotency", xp: 60 },
    ],
    ...extra,
  });
}
