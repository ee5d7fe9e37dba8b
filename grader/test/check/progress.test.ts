/**
 * The progress line of `grader check`: nothing on a stderr that is not a
 * terminal; on a terminal, one line rewritten in place once a check has run
 * a second, erased before other output.
 */
import { describe, expect, test } from "vitest";
import { ProgressLine } from "../../src/check/progress.js";

function line(isTTY: boolean) {
  const writes: string[] = [];
  let nowMs = 0;
  const progress = new ProgressLine({ write: (s) => writes.push(s), isTTY, columns: 60 }, () => nowMs);
  return { writes, progress, advance: (ms: number) => (nowMs += ms) };
}

const LABEL = { name: "vote #5", title: "Under partitions and crashes, 3 and 5 nodes elect at most one leader per term" };

describe("grader check progress line", () => {
  test("writes nothing when stderr is not a terminal", () => {
    const { writes, progress, advance } = line(false);
    const report = progress.start(LABEL);
    advance(5000);
    report(3, 10);
    progress.stop();
    expect(writes).toEqual([]);
  });

  test("on a terminal: silent for the first second, then one line rewritten in place, cut to the width, and erased at the end", () => {
    const { writes, progress, advance } = line(true);
    const report = progress.start(LABEL);
    advance(400);
    report(1, 10);
    expect(writes).toEqual([]);
    advance(1100);
    report(2, 10);
    expect(writes).toEqual(["\r\x1b[2K  … vote #5 (seed 2 of 10, 2 s): Under partitions and cras…"]);
    expect([...writes[0]!.slice(5)].length).toBeLessThanOrEqual(59);
    progress.stop();
    expect(writes.at(-1)).toBe("\r\x1b[2K");
  });
});
