/**
 * The WGL search agrees with the brute-force oracle on thousands of small
 * random histories, valid and invalid alike.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { History, Value } from "../../src/index.js";
import type { LinOp } from "../../src/index.js";
import { HistoryBuilder, checkLinearizability, pairOps, registerModel } from "../../src/index.js";
import { bruteForceLinearizable } from "./oracle.js";

type Kind = "register" | "kv" | "counter";

interface Step {
  process: number;
  pick: number;
  value: number;
  outcome: number;
}

/** Interprets random numbers as a history: an invoke if the process is idle, else a completion. */
/** `domain`: how many distinct values writes use; reads return only the first 3, so the rest are never read. */
function build(kind: Kind, steps: Step[], keys: number, domain: number, delimited = false): History {
  // Delimited kv values ("xay") let the kv model pin appends to the state before them.
  const tok = (c: string) => (delimited ? `x${c}y` : c);
  const b = new HistoryBuilder();
  const open = new Map<number, string>();
  let invokes = 0;
  for (const s of steps) {
    const f = open.get(s.process);
    if (f === undefined) {
      if (invokes >= 7) continue;
      invokes++;
      const key = keys > 1 ? String(s.pick % keys) : undefined;
      const fields = key === undefined ? {} : { key };
      let fn: string;
      let value: Value;
      if (kind === "register") {
        fn = ["read", "write", "cas", "write", "read"][s.pick % 5]!;
        value = fn === "read" ? null : fn === "cas" ? [s.value % 3, (s.value + 1) % domain] : s.value % domain;
      } else if (kind === "kv") {
        fn = ["get", "put", "append", "append"][s.pick % 4]!;
        value = fn === "get" ? null : tok("abcde"[s.value % domain]!);
      } else {
        fn = s.pick % 2 === 0 ? "read" : "incr";
        value = fn === "read" ? null : 1 + (s.value % 2);
      }
      b.invoke(s.process, fn, value, fields);
      open.set(s.process, fn);
    } else {
      open.delete(s.process);
      const o = s.outcome % 10;
      if (o < 6) {
        let out: Value | undefined;
        if (f === "read" || f === "get") {
          if (kind === "register") out = s.value % 4 === 3 ? null : s.value % 3;
          else if (kind === "kv") out = [[], ["a"], ["b"], ["a", "b"], ["b", "a"], ["c"]][s.value % 6]!.map(tok).join("");
          else out = s.value % 5;
        }
        b.ok(s.process, out);
      } else if (o < 8) b.info(s.process);
      else b.fail(s.process);
    }
  }
  return b.build();
}

const stepArb = fc.record({
  process: fc.integer({ min: 0, max: 2 }),
  pick: fc.nat(60),
  value: fc.nat(60),
  outcome: fc.nat(60),
});

describe.each<[Kind, number, number, boolean]>([
  ["register", 1, 3, false],
  ["register", 2, 3, false],
  ["register", 1, 5, false],
  ["kv", 1, 3, false],
  ["kv", 2, 3, false],
  ["kv", 1, 5, false],
  ["kv", 1, 4, true],
  ["counter", 1, 3, false],
])("WGL search vs brute-force oracle: %s model, %i key(s), %i written values, delimited %s", (kind, keys, domain, delimited) => {
  it("gives the same verdict, and the same shortest failing prefix, on random small histories", () => {
    const seen = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 2, maxLength: 16 }), (steps) => {
        const history = build(kind, steps, keys, domain, delimited);
        const expected = bruteForceLinearizable(kind, history);
        const result = checkLinearizability(history, { model: kind, independent: false });
        seen[expected ? "valid" : "invalid"]++;
        expect(result.valid).toBe(expected);
        if (!expected) {
          // The reported prefix is the shortest one that cannot be linearized.
          const end = result.failure!.prefixEnd;
          expect(bruteForceLinearizable(kind, history.slice(0, end + 1))).toBe(false);
          expect(bruteForceLinearizable(kind, history.slice(0, end))).toBe(true);
        }
      }),
      { numRuns: 1000, seed: 1234 + keys + domain },
    );
    // Both verdicts must be exercised, or the test proves little.
    expect(seen.valid).toBeGreaterThan(80);
    expect(seen.invalid).toBeGreaterThan(80);
  });
});

describe("the register's quick proof (Model.refute) vs brute-force oracle", () => {
  it("never refutes a linearizable prefix: every prefix from where it says it holds is not linearizable, on random small histories", () => {
    let fired = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 2, maxLength: 16 }), (steps) => {
        const history = build("register", steps, 1, 3);
        const calls = pairOps(history);
        const model = registerModel(calls, { independent: false });
        const ops: LinOp[] = [];
        const failed: LinOp[] = [];
        for (const call of calls) {
          // A failed op as it was while open: a read drops out, a write may have happened.
          const op = call.outcome === "fail" ? model.prepare({ ...call, outcome: "pending", returnIndex: Infinity }) : model.prepare(call);
          if (op !== undefined) (call.outcome === "fail" ? failed : ops).push(call.outcome === "fail" ? { ...op, call } : op);
        }
        const r = model.refute!(ops, failed);
        if (r === undefined) return;
        fired++;
        for (let end = r.end; end < history.length; end++) expect(bruteForceLinearizable("register", history.slice(0, end + 1))).toBe(false);
      }),
      { numRuns: 3000, seed: 4242 },
    );
    // It must fire often, or the test proves little.
    expect(fired).toBeGreaterThan(300);
  });
});
