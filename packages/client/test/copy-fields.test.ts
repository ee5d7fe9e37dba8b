/** `copyFields` is `{ ...body }`: same own keys, same order, same values. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { copyFields } from "../src/copy-fields.js";

const keyArb = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom("__proto__", "constructor", "0", "1", "10", "-1", "1.5", "type", "msg_id"));
const valueArb = fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }));

describe("copyFields", () => {
  test("equals an object spread, key order included, for any JSON object (integer-like keys, __proto__)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArb, valueArb), { maxLength: 8 }), (pairs) => {
        // Built as JSON.parse builds it: every key, __proto__ included, an own data property.
        const src: Record<string, unknown> = {};
        for (const [k, v] of pairs) Object.defineProperty(src, k, { value: v, writable: true, enumerable: true, configurable: true });
        const copy = copyFields(src);
        const spread = { ...src };
        expect(copy).not.toBe(src);
        expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
        expect(Object.keys(copy)).toEqual(Object.keys(spread));
        for (const k of Object.keys(spread)) expect(Object.getOwnPropertyDescriptor(copy, k)).toEqual(Object.getOwnPropertyDescriptor(spread, k));
        expect(JSON.stringify(copy)).toBe(JSON.stringify(spread));
      }),
      { numRuns: 1000 },
    );
  });

  test("a __proto__ key parsed from JSON stays a key of the copy", () => {
    const copy = copyFields(JSON.parse('{"type":"write","__proto__":{"polluted":true}}') as object);
    expect(Object.keys(copy)).toEqual(["type", "__proto__"]);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
  });

  test("the copy is shallow: nested values are shared, as with a spread", () => {
    const value = [1, 2];
    const copy = copyFields({ type: "append", key: "l", value });
    expect(copy.value).toBe(value);
  });
});
