/**
 * Knossos' multi-register model: transactions of reads and writes over
 * several keys, each atomic. The WGL search agrees with a brute-force oracle
 * on small random histories; partitions follow the keys transactions share;
 * a failure names the transactions involved.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EdnMap, History, LinOp, Value } from "../../src/index.js";
import { HistoryBuilder, HistoryError, checkLinearizability, kw, multiRegisterModel, pairOps, parseEdn, printEdn, readHistory } from "../../src/index.js";
import { bruteForceMultiRegister } from "./oracle.js";

const r = (k: string, v: Value = null): Value => [kw("read"), kw(k), v];
const w = (k: string, v: Value): Value => [kw("write"), kw(k), v];

interface Step {
  process: number;
  size: number;
  picks: number[];
  outcome: number;
}

/**
 * Random numbers as a history of at most 7 transactions: an invoke when the
 * process is idle (1 to 3 micro-operations over `keys` keys, values 0 to 2),
 * else a completion whose reads return a value from a small domain (nil
 * among them), so that both verdicts come up.
 */
function build(steps: Step[], keys: string[]): History {
  const b = new HistoryBuilder();
  const open = new Map<number, Value[][]>();
  let invokes = 0;
  for (const s of steps) {
    const txn = open.get(s.process);
    if (txn === undefined) {
      if (invokes >= 7) continue;
      invokes++;
      const micro: Value[][] = [];
      for (let i = 0; i < 1 + (s.size % 3); i++) {
        const p = s.picks[i] ?? 0;
        const k = keys[p % keys.length]!;
        micro.push((p >> 3) % 2 === 0 ? (r(k) as Value[]) : (w(k, (p >> 4) % 3) as Value[]));
      }
      b.invoke(s.process, "txn", micro);
      open.set(s.process, micro);
      continue;
    }
    open.delete(s.process);
    const o = s.outcome % 10;
    if (o < 6) {
      const domain = [null, 0, 1, 2];
      const done = txn.map((m, i) => (printEdn(m[0]!) === ":read" ? [m[0]!, m[1]!, domain[((s.picks[i] ?? 0) >> 5) % 4]!] : m));
      b.ok(s.process, done);
    } else if (o < 8) b.info(s.process);
    else b.fail(s.process);
  }
  return b.build();
}

const stepArb = fc.record({
  process: fc.integer({ min: 0, max: 2 }),
  size: fc.nat(20),
  picks: fc.array(fc.nat(255), { minLength: 3, maxLength: 3 }),
  outcome: fc.nat(60),
});

describe.each<[number]>([[1], [2], [3]])("multi-register: WGL search vs brute-force oracle over %i key(s)", (keyCount) => {
  it("gives the same verdict, and the same shortest failing prefix, on random small histories", () => {
    const keys = ["x", "y", "z"].slice(0, keyCount);
    const seen = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 2, maxLength: 16 }), (steps) => {
        const history = build(steps, keys);
        const expected = bruteForceMultiRegister(history);
        const result = checkLinearizability(history, { model: "multi-register" });
        seen[expected ? "valid" : "invalid"]++;
        expect(result.valid).toBe(expected);
        if (!expected) {
          const end = result.failure!.prefixEnd;
          expect(bruteForceMultiRegister(history.slice(0, end + 1))).toBe(false);
          expect(bruteForceMultiRegister(history.slice(0, end))).toBe(true);
          // The failing transaction is named with its process and micro-operations.
          const op = result.failure!.op;
          expect(result.failure!.message).toContain(`process ${String(op.process)}'s txn [`);
        }
      }),
      { numRuns: 1000, seed: 777 + keyCount },
    );
    expect(seen.valid).toBeGreaterThan(80);
    expect(seen.invalid).toBeGreaterThan(80);
  });
});

describe("the multi-register's quick proof (the register's, key by key) vs brute-force oracle", () => {
  it("never refutes a linearizable prefix: every prefix from where it says it holds is not linearizable, on random small histories", () => {
    let fired = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 2, maxLength: 16 }), (steps) => {
        const history = build(steps, ["x", "y"]);
        const calls = pairOps(history);
        const model = multiRegisterModel(calls);
        const ops: LinOp[] = [];
        const failed: LinOp[] = [];
        for (const call of calls) {
          // A failed transaction as it was while open: its writes may have happened.
          const op = call.outcome === "fail" ? model.prepare({ ...call, outcome: "pending", returnIndex: Infinity }) : model.prepare(call);
          if (op !== undefined) (call.outcome === "fail" ? failed : ops).push(call.outcome === "fail" ? { ...op, call } : op);
        }
        const r = model.refute!(ops, failed);
        if (r === undefined) return;
        fired++;
        for (let end = r.end; end < history.length; end++) expect(bruteForceMultiRegister(history.slice(0, end + 1))).toBe(false);
      }),
      { numRuns: 3000, seed: 4243 },
    );
    expect(fired).toBeGreaterThan(300);
  });

  it("proves a stale read at once where the search would have to try every order of the unknown transactions", () => {
    // 24 transactions time out, each writing x and y; then x is set, read back stale.
    const b = new HistoryBuilder();
    for (let p = 0; p < 24; p++) {
      b.invoke(p, "txn", [w("x", 100 + p), w("y", 100 + p)]);
      b.info(p);
    }
    b.invoke(30, "txn", [w("x", 1)]);
    b.ok(30);
    b.invoke(31, "txn", [w("x", 2)]);
    b.ok(31);
    b.invoke(32, "txn", [r("x"), r("y")]);
    b.ok(32, [r("x", 1), r("y", null)]);
    const result = checkLinearizability(b.build(), { model: "multi-register", timeLimitMs: 10_000 });
    expect(result.valid).toBe(false);
    expect(result.failure!.message).toContain(
      "process 32's txn [[:read :x 1] [:read :y nil]] (ops 52..53) cannot be linearized: :x was last set to 1 by process 30's txn [[:write :x 1]] (ops 48..49), and process 31's txn [[:write :x 2]] (ops 50..51) overwrote it before this transaction was called.",
    );
  });
});

describe("the multi-register model", () => {
  it("agrees with the oracle when the keys start from given values", () => {
    const initial = parseEdn("{:x 0 :y 0}") as EdnMap;
    const start = new Map([[":x", "0"], [":y", "0"]]);
    let checked = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 2, maxLength: 14 }), (steps) => {
        const history = build(steps, ["x", "y"]);
        checked++;
        expect(checkLinearizability(history, { model: "multi-register", initial }).valid).toBe(bruteForceMultiRegister(history, start));
      }),
      { numRuns: 400, seed: 99 },
    );
    expect(checked).toBe(400);
  });

  it("splits the history by the keys transactions share: a transaction over two keys joins their partitions", () => {
    const b = new HistoryBuilder();
    b.invoke(0, "txn", [w("x", 1)]);
    b.ok(0);
    b.invoke(1, "txn", [w("y", 2)]);
    b.ok(1);
    b.invoke(2, "txn", [w("z", 3)]);
    b.ok(2);
    b.invoke(0, "txn", [r("x"), r("z")]);
    b.ok(0, [r("x", 1), r("z", 3)]);
    const h = b.build();
    const joined = checkLinearizability(h, { model: "multi-register" });
    expect(joined.valid).toBe(true);
    expect(joined.keys.map((k) => [k.key, k.ops])).toEqual([
      [":x :z", 3],
      [":y", 1],
    ]);
    const apart = checkLinearizability(h.slice(0, 6), { model: "multi-register" });
    expect(apart.keys.map((k) => k.key)).toEqual([":x", ":y", ":z"]);
    // An unknown transaction's reads are not known: they join nothing, and a read-only one is dropped.
    const c = new HistoryBuilder();
    c.invoke(0, "txn", [w("x", 1)]);
    c.ok(0);
    c.invoke(1, "txn", [r("x"), w("y", 2)]);
    c.info(1);
    c.invoke(2, "txn", [r("x"), r("y")]);
    const unknown = checkLinearizability(c.build(), { model: "multi-register" });
    expect(unknown.keys.map((k) => [k.key, k.ops])).toEqual([
      [":x", 1],
      [":y", 1],
    ]);
  });

  it("applies a transaction's micro-operations in order and atomically", () => {
    const ok = (micro: Value[], done: Value[]): History => {
      const b = new HistoryBuilder();
      b.invoke(0, "txn", micro);
      b.ok(0, done);
      return b.build();
    };
    // A read after a write in the same transaction sees the write.
    expect(checkLinearizability(ok([w("x", 1), r("x")], [w("x", 1), r("x", 1)]), { model: "multi-register" }).valid).toBe(true);
    expect(checkLinearizability(ok([r("x"), w("x", 1)], [r("x", 1), w("x", 1)]), { model: "multi-register" }).valid).toBe(false);
    // A never-written key reads nil; a nil read of a written key is a violation (Knossos would let it pass).
    expect(checkLinearizability(ok([r("x")], [r("x", null)]), { model: "multi-register" }).valid).toBe(true);
    const b = new HistoryBuilder();
    b.invoke(0, "txn", [w("x", 1)]);
    b.ok(0);
    b.invoke(0, "txn", [r("x")]);
    b.ok(0, [r("x", null)]);
    expect(checkLinearizability(b.build(), { model: "multi-register" }).valid).toBe(false);
    // Nobody sees half a transaction: x and y change together.
    const c = new HistoryBuilder();
    c.invoke(0, "txn", [w("x", 1), w("y", 1)]);
    c.invoke(1, "txn", [r("x"), r("y")]);
    c.ok(1, [r("x", 1), r("y", null)]);
    c.info(0);
    expect(checkLinearizability(c.build(), { model: "multi-register" }).valid).toBe(false);
  });

  it("names the transactions involved in a failure: process, history indexes and micro-operations", () => {
    const b = new HistoryBuilder();
    b.invoke(0, "txn", [w("x", 1), w("y", 1)]); // 0
    b.ok(0); // 1
    b.invoke(1, "txn", [w("x", 2)]); // 2
    b.invoke(2, "txn", [r("x"), w("y", 5)]); // 3
    b.info(2); // 4
    b.ok(1); // 5
    b.invoke(3, "txn", [r("x"), r("y")]); // 6
    b.ok(3, [r("x", 1), r("y", 1)]); // 7
    const result = checkLinearizability(b.build(), { model: "multi-register" });
    expect(result.valid).toBe(false);
    const f = result.failure!;
    expect(f.key).toBe(":x :y");
    expect(f.prefixEnd).toBe(7);
    expect(f.message).toMatch(/^keys :x :y: process 3's txn \[\[:read :x 1\] \[:read :y 1\]\] \(ops 6\.\.7\) cannot be linearized: /);
    // The proof names the write the read should have seen and the one that overwrote it.
    expect(f.message).toContain(
      "cannot be linearized: :x was last set to 1 by process 0's txn [[:write :x 1] [:write :y 1]] (ops 0..1), and process 1's txn [[:write :x 2]] (ops 2..5) overwrote it before this transaction was called.",
    );
    // An unknown transaction is shown with its reads unknown.
    expect(f.message).toContain("process 2's txn [[:read :x ?] [:write :y 5]] (info, ops 3..4)");
    expect(f.involved.map((c) => c.invoke.index)).toEqual([0, 2, 3, 6]);
  });

  it("reads a Knossos-style file (a comment, then a vector of maps across lines) and checks it from given initial values", () => {
    const text = `; x and y start at 0
[{:type :invoke,
  :f :txn,
  :value [[:read :x nil] [:read :y nil]],
  :process 0}
 {:type :invoke, :f :txn, :value [[:write :y 2]], :process 1}
 {:type :ok, :f :txn, :value [[:read :x 0] [:read :y 0]], :process 0}
 ; process 1's write completes
 {:type :ok, :f :txn, :value [[:write :y 2]], :process 1}
 {:type :invoke, :f :txn, :value [[:write :x 1] [:read :y nil]], :process 0}
 {:type :ok, :f :txn, :value [[:write :x 1] [:read :y 2]], :process 0}]
`;
    const h = readHistory(text, { source: "multi-register.edn" });
    expect(h).toHaveLength(6);
    expect(checkLinearizability(h, { model: "multi-register", initial: parseEdn("{:x 0 :y 0}") as EdnMap }).valid).toBe(true);
    // Without them x and y start as nil, and the first read of 0 cannot be explained.
    const r0 = checkLinearizability(h, { model: "multi-register" });
    expect(r0.valid).toBe(false);
    expect(r0.failure!.message).toMatch(/^keys :x :y: process 0's txn \[\[:read :x 0\] \[:read :y 0\]\] \(ops 0\.\.2\)/);
    // The same in a list, with :r and :w, and keys that are strings or numbers.
    const list = `(
{:type :invoke, :f :txn, :value [[:w "a" 1] [:w 7 2]], :process 0}
{:type :ok, :f :txn, :value [[:w "a" 1] [:w 7 2]], :process 0}
{:type :invoke, :f :txn, :value [[:r 7 nil] [:r "a" nil]], :process 1}
{:type :ok, :f :txn, :value [[:r 7 2] [:r "a" 1]], :process 1})`;
    const lr = checkLinearizability(readHistory(list), { model: "multi-register" });
    expect(lr.valid).toBe(true);
    expect(lr.keys.map((k) => k.key)).toEqual(['"a" 7']);
  });

  it("refuses what it cannot read as a transaction, naming the operation", () => {
    const check = (value: Value, done?: Value, f = "txn") => {
      const b = new HistoryBuilder();
      b.invoke(0, f, value);
      b.ok(0, done);
      return () => checkLinearizability(b.build(), { model: "multi-register" });
    };
    expect(check(3)).toThrow(HistoryError);
    expect(check(3)).toThrow(/^op 0: a transaction's value is a vector of micro-operations/);
    expect(check([[kw("append"), kw("x"), 1]])).toThrow(/op 0: the multi-register model knows the micro-operations \[:read k v\] and \[:write k v\] \(or :r and :w\); got \[:append :x 1\]/);
    expect(check([r("x")], [w("x", 1)])).toThrow(/^op 1: the completion's micro-operations \[\[:write :x 1\]\] are not those invoked \(op 0: \[\[:read :x nil\]\]\)/);
    expect(check([w("x", 1)], [w("x", 2)])).toThrow(/^op 1: the completion's micro-operations/);
    expect(check([w("x", 1)], undefined, "cas")).toThrow(/the multi-register model does not know :f :cas \(op 0\)/);
    // An empty transaction changes nothing and is fine.
    expect(check([])()).toMatchObject({ valid: true });
    expect(pairOps(readHistory("{:type :invoke, :f :txn, :value [], :process 0}"))).toHaveLength(1);
  });
});

describe("multi-register: large transactions", () => {
  it("checks a transaction writing 50,000 keys and one reading them all back, and explains a failure among them, in time linear in their micro-operations", () => {
    const n = 50_000;
    const keys = Array.from({ length: n }, (_, i) => `k${i}`);
    const b = new HistoryBuilder();
    b.invoke(0, "txn", keys.map((k) => w(k, 1)));
    b.ok(0);
    b.invoke(1, "txn", keys.map((k) => r(k)));
    b.ok(1, keys.map((k) => r(k, 1)));
    // A third that read one key as nil after the writes: the quick proof, on each of the keys, finds it.
    b.invoke(2, "txn", [r("k7")]);
    b.ok(2, [r("k7", null)]);
    const result = checkLinearizability(b.build(), { model: "multi-register" });
    expect(result.valid).toBe(false);
    expect(result.failure!.op.process).toBe(2);
    expect(result.failure!.message).toContain(":k7 was no longer nil (its initial value)");
    // The transactions are shown by their first micro-operations, and how many more there are.
    expect(result.failure!.message).toContain(`[[:write :k0 1] [:write :k1 1] [:write :k2 1] [:write :k3 1] [:write :k4 1] [:write :k5 1] [:write :k6 1] [:write :k7 1] and ${n - 8} more]`);
    expect(result.failure!.message.length).toBeLessThan(1000);
    // Without it, the first two are linearizable.
    expect(checkLinearizability(b.build().slice(0, 4), { model: "multi-register" }).valid).toBe(true);
  });
});

