/**
 * stackFrames: the frames of a V8 stack that point into files, as the
 * commands that say where a user's code threw read them.
 */
import { describe, expect, it } from "vitest";
import { stackFrames } from "@dslab/protocol/stack-frames";

describe("stackFrames", () => {
  it("reads named and anonymous frames, file URLs as decoded paths, and drops a loader's query", () => {
    const stack = [
      "Error: boom\n    at not/a:frame:line",
      "    at decide (/work/week-12/src/vote-rules.ts:12:7)",
      "    at /work/week-12/plug/core.ts:3:1",
      "    at async load (file:///work/my%20dir/core.mts?tsx-namespace=1:40:15)",
    ].join("\n");
    expect(stackFrames(stack)).toEqual([
      { file: "/work/week-12/src/vote-rules.ts", line: 12, column: 7 },
      { file: "/work/week-12/plug/core.ts", line: 3, column: 1 },
      { file: "/work/my dir/core.mts", line: 40, column: 15 },
    ]);
  });

  it("leaves out node's own frames, frames without a file, a malformed URL, and the message line", () => {
    const stack = [
      "Error: at /etc/passwd:1:1",
      "    at Module._compile (node:internal/modules/cjs/loader:1554:14)",
      "    at new Promise (<anonymous>)",
      "    at f (file:///bad%zzpath.ts:1:2)",
      "    at relative/path.ts:4:5",
    ].join("\n");
    expect(stackFrames(stack)).toEqual([]);
    expect(stackFrames(undefined)).toEqual([]);
  });

  it("reads the frames of a real error", () => {
    const frames = stackFrames(new Error("here").stack);
    expect(frames[0]?.file).toMatch(/stack-frames\.test\.ts$/);
    expect(frames[0]?.line).toBeGreaterThan(0);
  });
});
