/**
 * The timeline prints a call's argument and result once for both its bar's
 * label and its details. The label must read as if each were printed where
 * it is needed: `opLabel` against that formula, for calls of every
 * outcome with any values (long lists cut at 60 and 80 characters, results
 * equal to their argument, missing values and keys of every kind).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Call, EdnValue, Op } from "../../src/index.js";
import { kw, opLabel, printEdn } from "../../src/index.js";

function show(v: EdnValue | undefined, max = 200): string {
  if (v === undefined) return "";
  const text = printEdn(v);
  return text.length > max ? text.slice(0, max) + "…" : text;
}

/** The label as it was written before: every value printed where it is used. */
function oracleLabel(c: Call): string {
  const parts = [c.f];
  if (c.invoke.key !== undefined) parts.push(typeof c.invoke.key === "string" ? c.invoke.key : show(c.invoke.key, 40));
  if (c.invoke.value !== null && c.invoke.value !== undefined) parts.push(show(c.invoke.value, 60));
  if (c.outcome === "ok" && c.completion !== undefined) {
    const result = show(c.completion.value, 80);
    if (result !== "" && result !== show(c.invoke.value, 80)) parts.push(`→ ${result}`);
  } else if (c.outcome === "fail") parts.push("✗");
  else parts.push("?");
  return parts.join(" ");
}

const valueArb: fc.Arbitrary<EdnValue | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.string({ maxLength: 90 }),
  fc.constantFrom("", "k", "a0.1").map(kw),
  fc.array(fc.string({ maxLength: 6 }), { maxLength: 30 }),
  fc.array(fc.integer(), { maxLength: 30 }),
);

const callArb: fc.Arbitrary<Call> = fc
  .record({
    f: fc.constantFrom("append", "read", "write", ""),
    key: valueArb,
    argument: valueArb,
    result: valueArb,
    sameResult: fc.boolean(),
    outcome: fc.constantFrom("ok", "fail", "info", "pending"),
    completed: fc.boolean(),
  })
  .map(({ f, key, argument, result, sameResult, outcome, completed }) => {
    const invoke: Op = { index: 0, process: 0, type: "invoke", f, value: argument as EdnValue };
    if (key !== undefined) invoke.key = key;
    const completion: Op | undefined = completed ? { index: 1, process: 0, type: outcome === "pending" ? "info" : (outcome as Op["type"]), f, value: (sameResult ? argument : result) as EdnValue } : undefined;
    return { id: 0, process: 0, f, invoke, completion, outcome, callIndex: 0, returnIndex: 1, completionIndex: 1 } as Call;
  });

describe("the timeline's bar labels", () => {
  it("read as they did when the argument and result were printed for each use (property)", () => {
    fc.assert(
      fc.property(callArb, (c) => {
        expect(opLabel(c)).toBe(oracleLabel(c));
      }),
      { numRuns: 3000 },
    );
  });
});
