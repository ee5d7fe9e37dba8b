/**
 * A generator's position as plain data (`exportState`/`restorePrng`), and
 * the canonical JSON text (`stableStringify`) that states are compared by.
 */
import { describe, expect, it } from "vitest";
import { createPrng, restorePrng, stableStringify } from "../src/index.js";

describe("PRNG state", () => {
  it("a restored generator draws what the original draws from the same point on, and forks alike", () => {
    const a = createPrng("seed-1");
    for (let i = 0; i < 37; i++) a.next();
    const state = a.exportState!();
    const b = restorePrng(JSON.parse(JSON.stringify(state)));
    const fromA = Array.from({ length: 50 }, () => a.int(0, 1_000_000));
    const fromB = Array.from({ length: 50 }, () => b.int(0, 1_000_000));
    expect(fromB).toEqual(fromA);
    expect(b.seed).toBe("seed-1");
    expect(b.fork("x").next()).toBe(a.fork("x").next());
  });

  it("a fresh generator's state restores to the same stream (exporting draws nothing)", () => {
    const a = createPrng(42);
    const b = restorePrng(a.exportState!());
    expect(a.exportState!()).toEqual(b.exportState!());
    expect([a.next(), a.next()]).toEqual([b.next(), b.next()]);
    expect(createPrng(42).next()).toBe(restorePrng(createPrng(42).exportState!()).next());
  });

  it("the restored generator is independent of the original", () => {
    const a = createPrng("s");
    const b = restorePrng(a.exportState!());
    const before = a.exportState!();
    for (let i = 0; i < 10; i++) b.next();
    expect(a.exportState!()).toEqual(before);
  });

  it("refuses a state that is not four 32-bit words and a seed", () => {
    expect(() => restorePrng({ seed: "s", words: [1, 2, 3] as unknown as [number, number, number, number] })).toThrow(RangeError);
    expect(() => restorePrng({ seed: "s", words: [1, 2, 3, 2 ** 32] })).toThrow(/32-bit/);
    expect(() => restorePrng({ seed: 5 as unknown as string, words: [1, 2, 3, 4] })).toThrow(RangeError);
  });
});

describe("stableStringify", () => {
  it("gives equal text for deep-equal values whatever their key order, and leaves undefined members out", () => {
    const x = { b: 1, a: { d: [1, { z: 1, y: 2 }], c: null }, u: undefined };
    const y = { a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 };
    expect(stableStringify(x)).toBe(stableStringify(y));
    expect(stableStringify(x)).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });

  it("keeps array order and tells different values apart", () => {
    expect(stableStringify([1, 2])).not.toBe(stableStringify([2, 1]));
    expect(stableStringify({ a: "1" })).not.toBe(stableStringify({ a: 1 }));
    expect(stableStringify([undefined, "x"])).toBe('[null,"x"]');
  });

  it("agrees with JSON.parse: the text reads back to the value", () => {
    const v = { k: ["a", { n: -3.5, t: true, s: "q\"\n" }], e: {} };
    expect(JSON.parse(stableStringify(v))).toEqual(v);
  });
});
