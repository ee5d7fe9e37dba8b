/**
 * A lesson is named the same way by every command that takes one: its id, or
 * its short name (`retry`, `vote`, `w11`) or another piece of its id or title
 * that no other lesson has, as `grader check --lesson` takes it.
 */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { FIXTURES, grader } from "../helpers/cli.js";

const RETRY = "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h";
const GOOD = path.join(FIXTURES, "lost-reply/seed-1234.txt");

describe("short lesson names", () => {
  test("`lesson show retry` shows the client-retry quest", async () => {
    const r = await grader(["lesson", "show", "retry"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`${RETRY}: Quest: Client Retry + Idempotency`);
  });

  test("`proof --lesson retry` checks against the client-retry quest", async () => {
    const r = await grader(["proof", "--lesson", "retry", GOOD]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`pass: ${GOOD} (lesson ${RETRY}, score 60/60)`);
  });

  test("an unknown name is a usage error that lists the short names with their titles and the near one", async () => {
    const r = await grader(["proof", "--lesson", "rety", GOOD]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('lesson ID "rety" names no lesson of the course in');
    expect(r.stderr).toContain("(did you mean retry?)");
    expect(r.stderr).toContain("the lessons: w11 (Idempotent writes), intro (Week 12: Introduction), vote (Quest: Vote Rules), retry (Quest: Client Retry + Idempotency)");
    expect(r.stderr).not.toContain(`${RETRY},`);
  });

  test("a name several lessons share is a usage error naming them", async () => {
    const r = await grader(["lesson", "show", "quest"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/lesson ID "quest" names 4 lessons: vote \(Quest: Vote Rules\), retry .*; give one of them/);
  });
});
