/**
 * What `grader check` prints for each kind of result, and its summary: the
 * criterion line, the one or two lines that say why, a fault run's replay,
 * a check's own bug with its stack, and the XP and next lesson.
 */
import { describe, expect, test } from "vitest";
import type { Lesson } from "../../src/lesson/model.js";
import type { PlannedLesson } from "../../src/check/plan.js";
import { checkDocument, criterionLines, summarize, summaryText, typeErrorLines } from "../../src/check/report.js";
import type { CriterionOutcome, LessonOutcome } from "../../src/check/run.js";
import { isCheckBug, NO_CHECK } from "../../src/check/run.js";

const ID = "w12-x-d03-quest-client-retry-idempotency-2h";
const base = { criterion: `${ID}#2`, title: "the client follows a redirect", number: 2, text: "The client follows a redirect to the correct leader", elapsedMs: 12.4 };
const opts = { verbose: false, cwd: "/repo" };

function lesson(id: string, title: string, xp: number | undefined, short: string): PlannedLesson {
  return { lesson: { id, title, xp, order: 1, prereqs: [], criteria: [] } as unknown as Lesson, short, criteria: [] };
}

describe("grader check report", () => {
  test("a pass is one line; --verbose adds its time and the check's name, the visible test's title (criterion id and title)", () => {
    const r: CriterionOutcome = { ...base, status: "pass", message: "" };
    expect(criterionLines(r, opts)).toBe("  ✓ #2 The client follows a redirect to the correct leader\n");
    expect(criterionLines({ ...r, title: base.text.toLowerCase() }, { ...opts, verbose: true })).toBe(
      `  ✓ #2 The client follows a redirect to the correct leader  (12 ms)\n      check: ${ID}#2 the client follows a redirect to the correct leader\n`,
    );
    expect(criterionLines({ ...r, title: "redirects", elapsedMs: 2500 }, { ...opts, verbose: true })).toBe(`  ✓ #2 The client follows a redirect to the correct leader  (2.5 s)\n      check: ${ID}#2 redirects\n`);
  });

  test("a stub still to write, a wrong answer and the student's own exception", () => {
    expect(criterionLines({ ...base, status: "todo", message: `not implemented yet: onResult (${ID}, criterion 2)` }, opts)).toBe(
      `  ✗ #2 The client follows a redirect to the correct leader\n      not implemented yet: onResult (${ID}, criterion 2)\n`,
    );
    expect(criterionLines({ ...base, status: "fail", message: "the retry went to n1, but n1 named n3 as the leader", expected: "n3", received: "n1" }, opts)).toBe(
      "  ✗ #2 The client follows a redirect to the correct leader\n      the retry went to n1, but n1 named n3 as the leader\n      expected: n3\n      received: n1\n",
    );
    expect(criterionLines({ ...base, status: "fail", message: "your code threw TypeError: x is undefined", where: "week-12/src/retry-client.ts:120:7" }, opts)).toBe(
      "  ✗ #2 The client follows a redirect to the correct leader\n      your code threw TypeError: x is undefined\n      at week-12/src/retry-client.ts:120:7\n",
    );
  });

  test("a fault run's failure gives the seed, the replay command and the pictures, relative to where the student is", () => {
    const r: CriterionOutcome = {
      ...base,
      status: "fail",
      message: "seed 7 applied one write twice",
      replay: { seed: 7, command: "npm run kv-sim -- run --seed 7", timeline: "/repo/out/x/seed-7/timeline.html", diagram: "/tmp/dslab-check/retry-5/seed-7/messages.html" },
    };
    expect(criterionLines(r, opts).split("\n").slice(1, -1)).toEqual([
      "      seed 7 applied one write twice",
      "      seed 7",
      "      replay: npm run kv-sim -- run --seed 7",
      "      timeline: out/x/seed-7/timeline.html",
      "      diagram: /tmp/dslab-check/retry-5/seed-7/messages.html",
    ]);
  });

  test("a replay command runs from the repository root: from week-12/ (where npm run check runs) it starts with cd .., from outside the repository with a cd to it", () => {
    const r: CriterionOutcome = {
      ...base,
      status: "fail",
      message: "a trace of 2 events:\n  1. timer c1\nreplay: npm run kv-sim -- replay /tmp/t.json --client week-12/src/retry-client.ts",
      replay: { seed: 7, command: "DSLAB_WORKBOOK=solution npm run kv-sim -- run --seed 7" },
    };
    const replays = (cwd: string) => criterionLines(r, { verbose: false, cwd, root: "/repo" }).split("\n").filter((l) => l.includes("replay: "));
    expect(replays("/repo")).toEqual(["replay: npm run kv-sim -- replay /tmp/t.json --client week-12/src/retry-client.ts", "      replay: DSLAB_WORKBOOK=solution npm run kv-sim -- run --seed 7"]);
    expect(replays("/repo/week-12")).toEqual([
      "replay: cd .. && npm run kv-sim -- replay /tmp/t.json --client week-12/src/retry-client.ts",
      "      replay: cd .. && DSLAB_WORKBOOK=solution npm run kv-sim -- run --seed 7",
    ]);
    expect(replays("/repo/week-12/src")[1]).toBe("      replay: cd ../.. && DSLAB_WORKBOOK=solution npm run kv-sim -- run --seed 7");
    expect(replays("/home/me")[1]).toBe("      replay: cd /repo && DSLAB_WORKBOOK=solution npm run kv-sim -- run --seed 7");
    expect(criterionLines(r, { verbose: false, cwd: "/home/me", root: "/my repo" })).toContain("      replay: cd '/my repo' && DSLAB_WORKBOOK=");
  });

  test("a check's own bug prints its stack and counts as one; a criterion no check decides does not", () => {
    const bug: CriterionOutcome = { ...base, status: "error", message: "the check itself failed: TypeError: boom", stack: "TypeError: boom\n    at check (/repo/week-12/checks/x.ts:1:1)" };
    expect(criterionLines(bug, opts)).toContain("      this is a bug in the check, not in your code; the check's stack:\n        TypeError: boom\n        at check (/repo/week-12/checks/x.ts:1:1)\n");
    expect(isCheckBug(bug)).toBe(true);
    expect(isCheckBug({ ...base, title: "", status: "error", message: NO_CHECK })).toBe(false);
  });

  test("the summary: criteria passed per lesson, XP only for a lesson that passes whole, and the first lesson not passing", () => {
    const pass = (n: number): CriterionOutcome => ({ ...base, number: n, status: "pass", message: "" });
    const fail = (n: number): CriterionOutcome => ({ ...base, number: n, status: "todo", message: "not implemented yet" });
    const outcomes: LessonOutcome[] = [
      { planned: lesson("w11-l04", "Idempotent writes", 50, "w11"), criteria: [pass(1), pass(2)] },
      { planned: lesson(ID, "Quest: Client Retry + Idempotency", 60, "retry"), criteria: [pass(1), fail(2)] },
      { planned: lesson("reading", "A reading", undefined, "reading"), criteria: [fail(1)] },
    ];
    const s = summarize(outcomes);
    expect(s).toMatchObject({ passed: 3, total: 5, xpEarned: 50, xpTotal: 110, next: { id: ID, title: "Quest: Client Retry + Idempotency", command: "npm run check -- --lesson retry" } });
    expect(summaryText(s)).toBe(
      [
        "",
        "Summary",
        "  ✓ Idempotent writes                    2/2  50 XP",
        "  ✗ Quest: Client Retry + Idempotency    1/2  0 of 60 XP",
        "  ✗ A reading                            0/1  no XP",
        "3 of 5 criteria pass; XP 50 of 110 (a lesson's XP is earned when every one of its criteria passes)",
        "next: Quest: Client Retry + Idempotency (`npm run check -- --lesson retry`)",
        "",
      ].join("\n"),
    );
    expect(summaryText(summarize(outcomes.slice(0, 1)))).toContain("\nevery lesson checked passes\n");
    // --lesson chose only lessons that pass: "next" is the lesson after them.
    expect(summaryText(summarize(outcomes.slice(0, 1), outcomes[1]!.planned))).toContain(
      "\nevery lesson checked passes; next: Quest: Client Retry + Idempotency (`npm run check -- --lesson retry`)\n",
    );
    const doc = checkDocument(outcomes, { label: "workbook", dir: "/repo/week-12" }, undefined);
    expect(doc.lessons.map((l) => [l.short, l.passed, l.total, l.xpEarned, l.criteria.length])).toEqual([
      ["w11", 2, 2, 50, 2],
      ["retry", 1, 2, 0, 2],
      ["reading", 0, 1, 0, 1],
    ]);
    expect(doc.summary.next?.command).toBe("npm run check -- --lesson retry");
  });

  test("the type check in the summary: no errors, errors with the count elsewhere, or why tsc could not run; type errors hold back \"every lesson checked passes\"", () => {
    const pass: CriterionOutcome = { ...base, number: 1, status: "pass", message: "" };
    const s = summarize([{ planned: lesson("w11-l04", "Idempotent writes", 50, "w11"), criteria: [pass] }], lesson(ID, "Quest: Retry", 60, "retry"));
    const clean = summaryText(s, { errors: [], elsewhere: 0, elapsedMs: 900 });
    expect(clean).toContain("\ntype check: no errors\nevery lesson checked passes; next: Quest: Retry (`npm run check -- --lesson retry`)\n");
    const error = { file: "/repo/week-12/src/retry-client.ts", line: 12, column: 3, code: "TS2322", message: "Type 'string' is not assignable to type 'number'." };
    const typed = summaryText(s, { errors: [error], elsewhere: 2, elapsedMs: 900 });
    expect(typed).toContain("\ntype check: 1 error (listed above); 2 more in files the lessons checked do not read (`npm run check` lists them)\n");
    expect(typed).toContain("\nevery criterion checked passes, but fix the type errors above; then next: Quest: Retry (`npm run check -- --lesson retry`)\n");
    expect(typeErrorLines({ errors: [error], elsewhere: 0, elapsedMs: 1 }, "/repo")).toBe(
      "\nType errors (tsc --noEmit, as `grader test` runs it; they cost no XP, but fix them)\n  week-12/src/retry-client.ts:12:3 TS2322: Type 'string' is not assignable to type 'number'.\n",
    );
    expect(typeErrorLines({ errors: [], elsewhere: 3, elapsedMs: 1 }, "/repo")).toBe("");
    const broken = summaryText(s, { errors: [], elsewhere: 0, elapsedMs: 5, failure: "tsc could not start: spawn ENOENT" });
    expect(broken).toContain("\ntype check: could not run (tsc could not start: spawn ENOENT)\nevery lesson checked passes");
    const doc = checkDocument([{ planned: lesson("w11-l04", "Idempotent writes", 50, "w11"), criteria: [pass] }], { label: "workbook", dir: "/repo/week-12" }, undefined, undefined, {
      report: { errors: [error], elsewhere: 0, elapsedMs: 900 },
      root: "/repo",
    });
    expect(doc.types?.errors[0]).toEqual({ ...error, file: "week-12/src/retry-client.ts" });
  });
});
