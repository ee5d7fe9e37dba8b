/**
 * The helpers that walk JSON values (size, structural equality, copy) keep
 * their own stack, so no nesting overflows the call stack: checked against
 * plain recursive oracles on random values (fast-check), exactly at the
 * depth bound and one level past it, and on nesting far deeper than any
 * recursive walk survives. The state machine's own depth guard refuses what
 * is past the bound with a definite error 12 that names it.
 */
import { ErrorCode, MAX_JSON_DEPTH, type ClientRequestBody, type Json } from "@dslab/protocol";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { validateOp } from "../../src/state-machine/index.js";
import { cloneJson, jsonByteLength, jsonEqual, MAX_STORED_DEPTH } from "../../src/state-machine/json-value.js";
import { Harness } from "./helpers.js";

/** `levels` arrays around `leaf`. */
function nested(levels: number, leaf: Json = 1): Json {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

/** A value nested far deeper than a recursive walk survives, as JSON.parse gives it. */
const veryDeep = (): Json => {
  const levels = 100_000;
  return JSON.parse(`${"[".repeat(levels)}${"]".repeat(levels)}`) as Json;
};

/** The dumb oracle for equality: recursive, fine for the small values fast-check makes. */
function equalOracle(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equalOracle(x, b[i] as Json));
  const ao = a as Record<string, Json>;
  const bo = b as Record<string, Json>;
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => Object.hasOwn(bo, k) && equalOracle(ao[k] as Json, bo[k] as Json));
}

/** Rebuilds a value with every object's keys in reverse order (equal by jsonEqual's rules). */
function reorder(v: Json): Json {
  if (Array.isArray(v)) return v.map(reorder);
  if (typeof v !== "object" || v === null) return v;
  return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reorder(v[k] as Json)]));
}

const jsonArb = fc.jsonValue({ maxDepth: 6 }) as fc.Arbitrary<Json>;

describe("jsonByteLength", () => {
  test("is the UTF-8 size of JSON.stringify's output on random JSON values (unicode strings and keys included)", () => {
    fc.assert(
      fc.property(fc.oneof(jsonArb, fc.jsonValue({ maxDepth: 4, stringUnit: "binary" }) as fc.Arbitrary<Json>), (v) => {
        expect(jsonByteLength(v)).toBe(Buffer.byteLength(JSON.stringify(v), "utf8"));
      }),
      { numRuns: 200 },
    );
  });

  test("measures values at the depth bound and one level past it like JSON.stringify", () => {
    for (const v of [nested(MAX_JSON_DEPTH, "é"), nested(MAX_JSON_DEPTH + 1, { a: [] })]) {
      expect(jsonByteLength(v)).toBe(Buffer.byteLength(JSON.stringify(v), "utf8"));
    }
  });

  test("measures a value nested a hundred thousand levels without overflowing the stack", () => {
    const v = veryDeep();
    expect(() => JSON.stringify(v)).toThrow(RangeError);
    expect(jsonByteLength(v)).toBe(200_000);
  });
});

describe("jsonEqual", () => {
  test("agrees with a recursive oracle on random pairs, and ignores object key order", () => {
    fc.assert(
      fc.property(jsonArb, jsonArb, (a, b) => {
        expect(jsonEqual(a, b)).toBe(equalOracle(a, b));
        expect(jsonEqual(a, reorder(a))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  test("compares values at the depth bound and one level past it", () => {
    expect(jsonEqual(nested(MAX_JSON_DEPTH), nested(MAX_JSON_DEPTH))).toBe(true);
    expect(jsonEqual(nested(MAX_JSON_DEPTH + 1), nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonEqual(nested(MAX_JSON_DEPTH + 1, 1), nested(MAX_JSON_DEPTH + 1, 2))).toBe(false);
    expect(jsonEqual(nested(MAX_JSON_DEPTH), nested(MAX_JSON_DEPTH + 1))).toBe(false);
  });

  test("compares values nested a hundred thousand levels without overflowing the stack", () => {
    expect(jsonEqual(veryDeep(), veryDeep())).toBe(true);
    expect(jsonEqual(veryDeep(), nested(3))).toBe(false);
  });
});

describe("cloneJson", () => {
  test("copies random JSON values: equal, sharing no array or object with the original", () => {
    fc.assert(
      fc.property(jsonArb, (v) => {
        const c = cloneJson(v, MAX_JSON_DEPTH);
        expect(c).toEqual(v);
        if (typeof v === "object" && v !== null) expect(c).not.toBe(v);
        expect(JSON.stringify(c)).toBe(JSON.stringify(v));
      }),
      { numRuns: 300 },
    );
  });

  test("copies a value exactly at its bound and refuses one a level deeper", () => {
    expect(cloneJson(nested(MAX_STORED_DEPTH), MAX_STORED_DEPTH)).toEqual(nested(MAX_STORED_DEPTH));
    expect(cloneJson(nested(MAX_STORED_DEPTH + 1), MAX_STORED_DEPTH)).toBeUndefined();
    expect(cloneJson({ a: [{ b: 1 }] }, 2)).toBeUndefined();
    expect(cloneJson(7, 0)).toBe(7);
  });

  test("refuses a value nested a hundred thousand levels without overflowing the stack", () => {
    expect(cloneJson(veryDeep(), MAX_STORED_DEPTH)).toBeUndefined();
  });

  test("keeps a __proto__ key as an own key, as JSON.parse does", () => {
    const v = JSON.parse('{"__proto__":{"x":1}}') as Json;
    const c = cloneJson(v, 4) as Record<string, Json>;
    expect(Object.keys(c)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
  });
});

describe("the state machine's depth guard", () => {
  test.each([
    ["write value", (v: Json) => ({ type: "write", key: "k", value: v }), "value"],
    ["append value", (v: Json) => ({ type: "append", key: "k", value: v }), "value"],
    ["cas from", (v: Json) => ({ type: "cas", key: "k", from: v, to: 1 }), "from"],
    ["cas to", (v: Json) => ({ type: "cas", key: "k", from: 1, to: v }), "to"],
  ])("validateOp accepts a %s nested MAX_JSON_DEPTH levels and refuses one a level deeper with 12 naming the bound", (_name, make, field) => {
    expect(validateOp(make(nested(MAX_JSON_DEPTH)) as unknown as ClientRequestBody, 1 << 20)).toBeNull();
    const refused = validateOp(make(nested(MAX_JSON_DEPTH + 1)) as unknown as ClientRequestBody, 1 << 20);
    expect(refused).toMatchObject({ type: "error", code: ErrorCode.MalformedRequest });
    expect(refused?.text).toContain(`field "${field}": value nested deeper than ${MAX_JSON_DEPTH} levels`);
  });

  test("a command past the bound in the log is refused on apply, the same on every replica, and changes nothing", () => {
    const h = new Harness({ maxValueBytes: undefined });
    expect(h.req({ type: "write", key: "k", value: 1 })).toEqual({ type: "write_ok" });
    const cas = h.req({ type: "cas", key: "k", from: veryDeep(), to: 2 });
    expect(cas).toMatchObject({ type: "error", code: ErrorCode.MalformedRequest });
    expect(h.req({ type: "write", key: "k", value: veryDeep() })).toMatchObject({ type: "error", code: ErrorCode.MalformedRequest });
    expect(h.sm.read("k")).toBe(1);
  });
});
