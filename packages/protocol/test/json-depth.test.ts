/**
 * The depth bound on JSON from outside: the iterative check against a
 * recursive oracle on random values, exactly at the bound and one past it,
 * and on nesting far deeper than any recursive walk survives.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { MAX_JSON_DEPTH, MAX_MESSAGE_DEPTH, jsonDepthExceeds, tooDeepText } from "../src/index.js";

/** `[[...[leaf]...]]` with `levels` arrays. */
function nestedArrays(levels: number, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

/** `{"a":{"a":...leaf...}}` with `levels` objects. */
function nestedObjects(levels: number, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

/** The dumb oracle: recursive, fine for the small values fast-check makes. */
function depthOf(v: unknown): number {
  if (typeof v !== "object" || v === null) return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + children.reduce((m: number, c) => Math.max(m, depthOf(c)), 0);
}

describe("jsonDepthExceeds", () => {
  test("counts arrays and objects: a scalar is 0 levels, [] and {} are 1, [[1]] is 2", () => {
    expect(jsonDepthExceeds(1, 0)).toBe(false);
    expect(jsonDepthExceeds("x", 0)).toBe(false);
    expect(jsonDepthExceeds(null, 0)).toBe(false);
    expect(jsonDepthExceeds([], 0)).toBe(true);
    expect(jsonDepthExceeds([], 1)).toBe(false);
    expect(jsonDepthExceeds({}, 1)).toBe(false);
    expect(jsonDepthExceeds([[1]], 1)).toBe(true);
    expect(jsonDepthExceeds([[1]], 2)).toBe(false);
    expect(jsonDepthExceeds({ a: [1, { b: null }] }, 2)).toBe(true);
    expect(jsonDepthExceeds({ a: [1, { b: null }] }, 3)).toBe(false);
  });

  test.each([
    ["arrays", nestedArrays],
    ["objects", nestedObjects],
  ])("accepts %s nested exactly MAX_JSON_DEPTH levels and refuses one level more", (_name, nest) => {
    expect(jsonDepthExceeds(nest(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(nest(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  test("finds the one deep branch among many shallow siblings, wherever it is", () => {
    const deep = nestedArrays(MAX_JSON_DEPTH);
    for (const at of [0, 50, 99]) {
      const wide: unknown[] = Array.from({ length: 100 }, () => [1, { a: [] }]);
      wide[at] = deep;
      expect(jsonDepthExceeds(wide, MAX_JSON_DEPTH)).toBe(true);
      expect(jsonDepthExceeds(wide, MAX_JSON_DEPTH + 1)).toBe(false);
    }
  });

  test("walks nesting a hundred thousand levels deep (parsed from a line) without overflowing the stack", () => {
    const levels = 100_000;
    const parsed: unknown = JSON.parse(`${"[".repeat(levels)}${"]".repeat(levels)}`);
    expect(() => JSON.stringify(parsed)).toThrow(RangeError); // what a recursive walk does
    expect(jsonDepthExceeds(parsed, MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds(parsed, levels)).toBe(false);
  });

  test("agrees with a recursive depth count on random JSON values, at every bound around their depth", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
        const d = depthOf(v);
        for (const bound of [d - 1, d, d + 1]) {
          if (bound >= 0) expect(jsonDepthExceeds(v, bound)).toBe(d > bound);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("names the bound in the refusal text, and leaves room for the cluster's envelopes in the message bound", () => {
    expect(tooDeepText(MAX_JSON_DEPTH)).toBe("value nested deeper than 64 levels");
    expect(tooDeepText(MAX_MESSAGE_DEPTH, "message")).toBe(`message nested deeper than ${MAX_MESSAGE_DEPTH} levels`);
    // A Raft append wraps a client value in 6 containers (message, body,
    // entries, entry, command, request); a list appended to adds 1 more.
    expect(MAX_MESSAGE_DEPTH).toBeGreaterThanOrEqual(MAX_JSON_DEPTH + 7);
  });
});
