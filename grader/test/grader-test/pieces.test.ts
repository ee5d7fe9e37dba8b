/**
 * A hidden test that runs another lesson's piece with its own (the
 * client-retry cluster test runs the workbook's vote rules and session
 * tracker) names that piece's file and lesson when the piece is not written
 * yet. The lessons of each file come from the workbook's visible checks.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CHECKS, LESSON } from "../../../week-12/checks/index.js";
import { electionTimeoutTicks } from "../../../week-12/src/vote-rules.js";
import { HIDDEN_TESTS } from "../../hidden/index.js";
import { lessonOf, notImplementedMessage, pieceLessons, todoFile } from "../../src/test-run/pieces.js";
import { WORKBOOK } from "./submissions.js";

const pieces = pieceLessons(CHECKS);

describe("which lesson a workbook file is the piece of", () => {
  it("each stub file belongs to the lessons whose visible checks judge it", () => {
    expect(Object.fromEntries(pieces)).toMatchObject({
      "src/vote-rules.ts": [LESSON.voteRules],
      "src/retry-client.ts": [LESSON.clientRetry],
      "src/idempotency-handler.ts": [LESSON.idempotencyKeys],
    });
    for (const file of ["src/client-tracker.ts", "src/dedup-kv-store.ts"]) expect([...pieces.get(file)!].sort(), file).toEqual([LESSON.idempotentWrites, LESSON.dedupStore].sort());
    expect(pieces.get("node/main.ts")).toEqual([LESSON.dedupStore]);
  });

  it("the hidden tests that run another lesson's piece are the ones the README names", () => {
    const foreign = HIDDEN_TESTS.filter((t) => t.files.some((f) => !(pieces.get(f) ?? []).includes(lessonOf(t.criterion)))).map((t) => t.id);
    expect(foreign).toEqual([`hidden:${LESSON.voteRules}#5:cluster`, `hidden:${LESSON.clientRetry}#5:cluster`]);
  });
});

describe("the message of a test stopped by an unwritten stub", () => {
  it("w12 d03 criterion 5: names week-12/src/vote-rules.ts and the vote-rules lesson, from the stub's own stack", () => {
    let stack = "";
    try {
      electionTimeoutTicks({ next: () => 0 } as never, 10, 20);
    } catch (e) {
      stack = (e as Error).stack ?? "";
    }
    const file = todoFile(stack, WORKBOOK);
    expect(file).toBe("src/vote-rules.ts");
    expect(notImplementedMessage({ fn: "electionTimeoutTicks", file: file!, criterion: `${LESSON.clientRetry}#5`, pieceOf: pieces.get(file!)! })).toBe(
      `not implemented yet: electionTimeoutTicks in week-12/src/vote-rules.ts, a piece of lesson ${LESSON.voteRules}; this criterion-5 test runs it with yours, so its points wait on that piece too`,
    );
  });

  it("a test's own piece keeps the check's wording, with the file", () => {
    expect(notImplementedMessage({ fn: "newClient", file: "src/retry-client.ts", criterion: `${LESSON.clientRetry}#1`, pieceOf: [LESSON.clientRetry] })).toBe(
      `not implemented yet: newClient in week-12/src/retry-client.ts (${LESSON.clientRetry}, criterion 1)`,
    );
    expect(todoFile(`Error\n    at todo (${join(WORKBOOK, "src", "todo.ts")}:16:9)\n    at x (file://${join(WORKBOOK, "src", "retry-client.ts")}:133:10)`, WORKBOOK)).toBe("src/retry-client.ts");
  });
});
