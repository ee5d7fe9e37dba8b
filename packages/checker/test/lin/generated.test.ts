/**
 * Larger generated histories (bench/generate.ts): clients against a correct
 * object under partitions, so with many indefinite operations; the invalid
 * variants carry one stale read. Guards both verdicts and speed.
 */
import { describe, expect, it } from "vitest";
import { checkLinearizability, pairOps } from "../../src/index.js";
import { generateHistory } from "../../bench/generate.js";

describe.each([
  { model: "register" as const, clients: 10, keys: 2, ops: 10_000 },
  { model: "kv" as const, clients: 50, keys: 10, ops: 10_000 },
])("generated $model histories: $clients clients, $keys keys, $ops ops, with partitions", (c) => {
  it("finds the valid history valid", () => {
    const history = generateHistory({ ...c, seed: 5, invalid: false, partitions: true });
    expect(pairOps(history).some((call) => call.outcome === "info")).toBe(true);
    const r = checkLinearizability(history, { model: c.model, timeLimitMs: 20_000 });
    expect(r.valid).toBe(true);
  });

  it("finds the stale read in the invalid history", () => {
    const history = generateHistory({ ...c, seed: 5, invalid: true, partitions: true });
    const r = checkLinearizability(history, { model: c.model, timeLimitMs: 20_000 });
    expect(r.valid).toBe(false);
    const out = r.failure!.op.completion!.value;
    // The corrupted read: -1 for the register, a "stale" suffix for kv.
    expect(JSON.stringify(out)).toMatch(/-1|stale/);
  });
});
