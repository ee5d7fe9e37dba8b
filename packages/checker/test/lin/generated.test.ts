/**
 * Larger generated histories (bench/generate.ts): clients against a correct
 * object under partitions, so with many indefinite operations; the invalid
 * variants carry one stale read (kv: a read of a value no one appended).
 * Guards both verdicts.
 */
import { describe, expect, it } from "vitest";
import { checkLinearizability, pairOps } from "../../src/index.js";
import { generateHistory } from "../../bench/generate.js";

describe.each([
  { model: "register" as const, clients: 10, keys: 2, ops: 10_000 },
  // Fifty writers on one key: proving the stale read wrong by search alone
  // means ruling out every order of them; the register's quick proof
  // (Model.refute) finds it, so the verdict is invalid, not unknown.
  { model: "register" as const, clients: 50, keys: 1, ops: 10_000 },
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
    if (c.model === "kv") expect(out).toMatch(/x stale y$/);
    else {
      // The register's: a value surely overwritten before the read was called.
      expect(r.failure!.message).toMatch(/cannot be linearized: \d+ was last set by process \d+'s write \d+ \(ops \d+\.\.\d+\), and process \d+'s write \d+ \(ops \d+\.\.\d+\) overwrote it before the read was called\./);
    }
  });
});
