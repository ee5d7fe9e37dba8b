import { createPrng } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import { applyHint, Backoff, CLIENT_DEFAULTS, DEFAULT_BACKOFF, RETRY_PRESETS } from "../src/index.js";

const schedule = (b: Backoff, n: number) => Array.from({ length: n }, (_, i) => b.delayMs(i + 1));

describe("backoff schedule: exponential from a base, capped, with jitter from the injected PRNG", () => {
  test("without jitter the delays double from the base and stop at the cap", () => {
    const b = new Backoff(createPrng(1), { jitter: "none" });
    expect(schedule(b, 9)).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  });

  test.each([
    ["proportional", [[90, 153, 331, 643, 1878, 3844, 5000, 4294, 4193]]],
    ["full", [[30, 10, 63, 87, 1356, 2889, 4845, 1089, 886]]],
    ["decorrelated", [[160, 112, 137, 134, 356, 974, 2835, 1931, 1109]]],
  ] as const)("%s jitter gives the exact same delays for seed 'backoff-1'", (jitter, [expected]) => {
    const b = new Backoff(createPrng("backoff-1"), { jitter });
    expect(schedule(b, 9)).toEqual(expected);
  });

  test("proportional jitter stays within +-25% of the exponential delay and under the cap", () => {
    for (let seed = 0; seed < 200; seed++) {
      const b = new Backoff(createPrng(seed));
      for (let n = 1; n <= 10; n++) {
        const exp = Math.min(5000, 100 * 2 ** (n - 1));
        const d = b.delayMs(n);
        expect(d).toBeGreaterThanOrEqual(Math.floor(exp * 0.75));
        expect(d).toBeLessThanOrEqual(Math.min(5000, exp * 1.25));
      }
    }
  });

  test("full jitter is in [floor, exponential delay) and decorrelated in [base, cap]", () => {
    for (let seed = 0; seed < 200; seed++) {
      const full = new Backoff(createPrng(seed), { jitter: "full" });
      const dec = new Backoff(createPrng(seed), { jitter: "decorrelated" });
      for (let n = 1; n <= 10; n++) {
        const exp = Math.min(5000, 100 * 2 ** (n - 1));
        const f = full.delayMs(n);
        expect(f).toBeGreaterThanOrEqual(10);
        expect(f).toBeLessThan(exp);
        const d = dec.delayMs(n);
        expect(d).toBeGreaterThanOrEqual(100);
        expect(d).toBeLessThanOrEqual(5000);
      }
    }
  });

  test("no wait is shorter than the 10 ms floor, nor than a base below it", () => {
    const draws = Array.from({ length: 2000 }, (_, seed) => new Backoff(createPrng(seed), { jitter: "full" }).delayMs(1));
    expect(Math.min(...draws)).toBe(10);
    expect(new Backoff(createPrng(1), { baseMs: 0, capMs: 0 }).delayMs(3)).toBe(0);
    expect(new Backoff(createPrng(1), { baseMs: 4, jitter: "full" }).delayMs(1)).toBeGreaterThanOrEqual(0);
    expect(new Backoff(createPrng(1), { floorMs: 50, jitter: "full" }).delayMs(1)).toBeGreaterThanOrEqual(50);
  });

  test("the defaults are the course's numbers, and the payment preset gives up sooner with a longer cap", () => {
    expect(CLIENT_DEFAULTS.maxRetries).toBe(5);
    expect(DEFAULT_BACKOFF).toMatchObject({ baseMs: 100, capMs: 5_000, jitter: "proportional", jitterRatio: 0.25, floorMs: 10 });
    expect(RETRY_PRESETS.payment).toEqual({ maxRetries: 3, backoff: { baseMs: 100, capMs: 10_000 } });
    // Base-2 backoff: the wait before the 4th retry is 2^(4-1) = 8 base units.
    expect(new Backoff(createPrng(1), { ...RETRY_PRESETS.payment.backoff, jitter: "none" }).delayMs(4)).toBe(800);
  });

  test("a base and a cap can be chosen", () => {
    const b = new Backoff(createPrng(1), { jitter: "none", baseMs: 10, capMs: 35 });
    expect(schedule(b, 4)).toEqual([10, 20, 35, 35]);
  });

  test("a server's retry_after_ms hint lengthens a wait and never shortens it", () => {
    expect(applyHint(100, 750)).toBe(750);
    expect(applyHint(800, 750)).toBe(800);
    expect(applyHint(100, undefined)).toBe(100);
  });

  test("bad options are refused with a message naming them", () => {
    expect(() => new Backoff(createPrng(1), { baseMs: 500, capMs: 100 })).toThrow(/baseMs <= capMs/);
    expect(() => new Backoff(createPrng(1), { jitterRatio: 2 })).toThrow(/jitterRatio/);
  });
});
