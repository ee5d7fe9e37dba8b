/**
 * Hand-written cases from the literature (Herlihy & Wing; Jepsen/Knossos
 * examples; Maelstrom lin-kv semantics). Each builds a tiny history whose
 * verdict a person can check by eye.
 */
import { describe, expect, it } from "vitest";
import type { History } from "../../src/index.js";
import { HistoryBuilder, checkLinearizability, modelFor, pairOps, readHistory, searchPartition } from "../../src/index.js";
import type { LinOp } from "../../src/index.js";

function h(f: (b: HistoryBuilder) => void): History {
  const b = new HistoryBuilder();
  f(b);
  return b.build();
}

const register = (history: History) => checkLinearizability(history, { model: "register" });

describe("linearizability: classic anomalies", () => {
  it("a stale read (reading 1 after the write of 2 completed) is not linearizable", () => {
    const r = register(
      h((b) => {
        b.invoke(0, "write", 1);
        b.ok(0);
        b.invoke(0, "write", 2);
        b.ok(0);
        b.invoke(1, "read", null);
        b.ok(1, 1);
      }),
    );
    expect(r.valid).toBe(false);
    expect(r.failure!.op.f).toBe("read");
    expect(r.failure!.prefixEnd).toBe(5);
    expect(r.failure!.message).toContain("read 1");
    // The operations involved: the stale read, the write of what it read, and the write that overwrote it.
    expect(r.failure!.involved.map((c) => c.invoke.index)).toEqual([0, 2, 4]);
    expect(r.failure!.message).toBe(
      "process 1's read 1 (ops 4..5) cannot be linearized: 1 was last set by process 0's write 1 (ops 0..1), and process 0's write 2 (ops 2..3) overwrote it before the read was called.",
    );
  });

  it("a read of a value nothing wrote, or of the initial nil after a write completed, is not linearizable (the quick proof)", () => {
    const nowhere = register(
      h((b) => {
        b.invoke(0, "write", 1);
        b.ok(0);
        b.invoke(1, "read", null);
        b.ok(1, 7);
      }),
    );
    expect(nowhere.failure!.message).toBe("process 1's read 7 (ops 2..3) cannot be linearized: nothing that could set 7 was called before the read returned. Involved: process 0's write 1 (ok, ops 0..1).");
    const missing = register(
      h((b) => {
        b.invoke(0, "write", 1);
        b.ok(0);
        b.invoke(1, "read", null);
        b.ok(1, null);
      }),
    );
    expect(missing.failure!.message).toBe("process 1's read nil (ops 2..3) cannot be linearized: the key was no longer missing: process 0's write 1 (ops 0..1) completed before the read was called.");
  });

  it("a quick proof whose earlier prefixes could not be settled in the memo budget says so (invalid, not unknown)", () => {
    const r = checkLinearizability(
      h((b) => {
        b.invoke(0, "write", 1);
        b.ok(0);
        for (let p = 1; p <= 4; p++) b.invoke(p, "write", 10 + p);
        for (let p = 1; p <= 4; p++) b.ok(p);
        b.invoke(5, "read", null);
        b.ok(5, 12);
        b.invoke(6, "read", null);
        b.ok(6, 1);
      }),
      { model: "register", memoEntriesMax: 1 },
    );
    expect(r.valid).toBe(false);
    expect(r.failure!.prefixEnd).toBe(13);
    expect(r.failure!.message).toContain("overwrote it before the read was called (whether a shorter prefix fails too was not settled within the budget).");
  });

  it("a read of a value whose write failed only later is blamed where the failure is known (the prefix ends at the fail)", () => {
    const r = register(
      h((b) => {
        b.invoke(0, "write", 1);
        b.invoke(1, "read", null);
        b.ok(1, 1);
        b.fail(0);
      }),
    );
    expect(r.valid).toBe(false);
    expect(r.failure!.prefixEnd).toBe(3);
    expect(r.failure!.message).toContain("(once the ops that failed by op 3 are known not to have happened)");
  });

  it("a read older than an earlier read is not linearizable; both reads and the last write are involved", () => {
    const r = register(
      h((b) => {
        b.invoke(0, "write", 1);
        b.ok(0);
        b.invoke(0, "write", 2);
        b.invoke(1, "read", null);
        b.ok(1, 2);
        b.invoke(2, "read", null);
        b.ok(2, 1);
        b.ok(0);
      }),
    );
    expect(r.valid).toBe(false);
    expect(r.failure!.op.invoke.index).toBe(5);
    // write 2 (still open) overlaps the failing read; read 2 completed just before it.
    expect(r.failure!.involved.map((c) => c.invoke.index)).toEqual([0, 2, 3, 5]);
  });

  it("a read concurrent with a write may see either value", () => {
    for (const seen of [1, 2]) {
      const r = register(
        h((b) => {
          b.invoke(0, "write", 1);
          b.ok(0);
          b.invoke(0, "write", 2);
          b.invoke(1, "read", null);
          b.ok(1, seen);
          b.ok(0);
        }),
      );
      expect(r.valid).toBe(true);
    }
  });

  it("a lost update (two acknowledged increments, then a read of 1) is not linearizable", () => {
    const r = checkLinearizability(
      h((b) => {
        b.invoke(0, "incr", 1);
        b.invoke(1, "incr", 1);
        b.ok(0);
        b.ok(1);
        b.invoke(2, "read", null);
        b.ok(2, 1);
      }),
      { model: "counter" },
    );
    expect(r.valid).toBe(false);
  });

  it("a write visible before its call (read 1 completes before write 1 begins) is not linearizable", () => {
    const r = register(
      h((b) => {
        b.invoke(1, "read", null);
        b.ok(1, 1);
        b.invoke(0, "write", 1);
        b.ok(0);
      }),
    );
    expect(r.valid).toBe(false);
    expect(r.failure!.prefixEnd).toBe(1);
    expect(r.failure!.involved.map((c) => c.f)).toEqual(["read"]);
  });

  it("two concurrent cas from the same value cannot both succeed", () => {
    const r = register(
      h((b) => {
        b.invoke(0, "write", 0);
        b.ok(0);
        b.invoke(1, "cas", [0, 1]);
        b.invoke(2, "cas", [0, 2]);
        b.ok(1);
        b.ok(2);
      }),
    );
    expect(r.valid).toBe(false);
    // Both cas, and the write of 0 they compared with.
    expect(r.failure!.involved.map((c) => c.f)).toEqual(["write", "cas", "cas"]);
  });

  it("two concurrent cas that chain (0->1, 1->2) both succeed, in one order", () => {
    const r = register(
      h((b) => {
        b.invoke(0, "write", 0);
        b.ok(0);
        b.invoke(2, "cas", [1, 2]);
        b.invoke(1, "cas", [0, 1]);
        b.ok(2);
        b.ok(1);
        b.invoke(0, "read", null);
        b.ok(0, 2);
      }),
    );
    expect(r.valid).toBe(true);
    expect(r.linearization![""]).toEqual([0, 2, 1, 3]);
  });
});

describe("linearizability: what a failure shows", () => {
  it("shows at most 200 characters of a value, and how long it is, however large the values in the history", () => {
    const big = "x".repeat(1_000_000);
    const r = register(
      h((b) => {
        b.invoke(0, "write", big);
        b.ok(0);
        b.invoke(0, "write", 2);
        b.ok(0);
        b.invoke(1, "read", null);
        b.ok(1, big);
      }),
    );
    expect(r.valid).toBe(false);
    expect(r.failure!.message).toBe(
      `process 1's read "${"x".repeat(199)}… (1000002 characters) (ops 4..5) cannot be linearized: "${"x".repeat(199)}… (1000002 characters) was last set by process 0's write "${"x".repeat(199)}… (1000002 characters) (ops 0..1), and process 0's write 2 (ops 2..3) overwrote it before the read was called.`,
    );
  });
});

describe("linearizability: indefinite operations", () => {
  it("a timed-out write that did happen, seen much later, is fine", () => {
    const r = register(
      h((b) => {
        b.invoke(0, "write", 7);
        b.info(0);
        b.invoke(1, "read", null);
        b.ok(1, null);
        b.invoke(1, "read", null);
        b.ok(1, 7);
      }),
    );
    expect(r.valid).toBe(true);
  });

  it("a timed-out write that never happened is fine", () => {
    const r = register(
      h((b) => {
        b.invoke(0, "write", 7);
        b.info(0);
        b.invoke(1, "read", null);
        b.ok(1, null);
      }),
    );
    expect(r.valid).toBe(true);
  });

  it("a write still pending when the history ends may or may not have happened", () => {
    const r = register(
      h((b) => {
        b.invoke(0, "write", 7);
        b.invoke(1, "read", null);
        b.ok(1, 7);
        b.invoke(1, "read", null);
        b.ok(1, 7);
      }),
    );
    expect(r.valid).toBe(true);
  });

  it("an indefinite write takes effect at most once: it cannot appear, vanish and reappear", () => {
    const r = register(
      h((b) => {
        b.invoke(0, "write", 7);
        b.info(0);
        b.invoke(1, "read", null);
        b.ok(1, 7);
        b.invoke(1, "write", 1);
        b.ok(1);
        b.invoke(1, "read", null);
        b.ok(1, 7);
      }),
    );
    expect(r.valid).toBe(false);
  });

  it("a definitely failed write must never be seen", () => {
    const r = register(
      h((b) => {
        b.invoke(0, "write", 7);
        b.fail(0);
        b.invoke(1, "read", null);
        b.ok(1, 7);
      }),
    );
    expect(r.valid).toBe(false);
  });
});

describe("linearizability: values", () => {
  const history = (written: string, read: string) =>
    readHistory(
      [
        `{:type :invoke, :f :write, :value ${written}, :process 0}`,
        `{:type :ok, :f :write, :value ${written}, :process 0}`,
        `{:type :invoke, :f :read, :value nil, :process 1}`,
        `{:type :ok, :f :read, :value ${read}, :process 1}`,
      ].join("\n"),
    );

  it("a map or a set read back with its entries in another order is the value written (EDN maps and sets have no order), at any depth", () => {
    expect(register(history("{:a 1, :b 2}", "{:b 2, :a 1}")).valid).toBe(true);
    expect(register(history("#{1 2 3}", "#{3 1 2}")).valid).toBe(true);
    expect(register(history("[0 {:x #{:p :q}, :y (1 2)}]", "[0 {:y (1 2), :x #{:q :p}}]")).valid).toBe(true);
  });

  it("a key that is a map is one key whatever the order of its entries", () => {
    const keyed = readHistory(
      [
        "{:type :invoke, :f :write, :key {:a 1, :b 2}, :value 1, :process 0}",
        "{:type :ok, :f :write, :key {:a 1, :b 2}, :value 1, :process 0}",
        "{:type :invoke, :f :read, :key {:b 2, :a 1}, :value nil, :process 1}",
        "{:type :ok, :f :read, :key {:b 2, :a 1}, :value 1, :process 1}",
      ].join("\n"),
    );
    const r = register(keyed);
    expect(r.valid).toBe(true);
    expect(r.keys).toHaveLength(1);
  });

  it("a map or a set with other entries, or a vector in another order, is another value", () => {
    expect(register(history("{:a 1, :b 2}", "{:a 2, :b 1}")).valid).toBe(false);
    expect(register(history("#{1 2}", "#{1 2 3}")).valid).toBe(false);
    expect(register(history("[1 2]", "[2 1]")).valid).toBe(false);
  });
});

describe("linearizability: Maelstrom lin-kv semantics", () => {
  it("reads of a missing key return nil; a cas on a missing key cannot succeed", () => {
    const edn = `{:type :invoke, :f :read, :value [0 nil], :process 0, :index 0}
{:type :ok, :f :read, :value [0 nil], :process 0, :index 1}
{:type :invoke, :f :cas, :value [1 [nil 3]], :process 1, :index 2}
{:type :ok, :f :cas, :value [1 [nil 3]], :process 1, :index 3}
`;
    const r = register(readHistory(edn));
    expect(r.valid).toBe(false);
    expect(r.failure!.key).toBe("1");
    expect(r.keys.map((k) => [k.key, k.valid])).toEqual([
      ["0", true],
      ["1", false],
    ]);
  });

  it("partitions by key: a violation on one key is reported with that key", () => {
    const edn = `{:type :invoke, :f :write, :value [a 1], :process 0}
{:type :ok, :f :write, :value [a 1], :process 0}
{:type :invoke, :f :write, :value [b 2], :process 0}
{:type :ok, :f :write, :value [b 2], :process 0}
{:type :invoke, :f :read, :value [b nil], :process 1}
{:type :ok, :f :read, :value [b 1], :process 1}
`;
    const r = register(readHistory(edn));
    expect(r.valid).toBe(false);
    expect(r.failure!.key).toBe("b");
  });
});

describe("linearizability: the kv map (6.824)", () => {
  it("append concatenates, and a get sees the appends in one order", () => {
    const edn = `{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :invoke, :f :append, :key "0", :value "x 1 0 y"}
{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :ok, :f :append, :key "0", :value "x 1 0 y"}
{:process 2, :type :invoke, :f :get, :key "0", :value nil}
{:process 2, :type :ok, :f :get, :key "0", :value "x 1 0 yx 0 0 y"}
{:process 2, :type :invoke, :f :get, :key "0", :value nil}
{:process 2, :type :ok, :f :get, :key "0", :value "x 1 0 yx 0 0 yx 0 0 y"}
`;
    const r = checkLinearizability(readHistory(edn), { model: "kv" });
    expect(r.valid).toBe(false);
    expect(r.failure!.prefixEnd).toBe(7);
    const ok = checkLinearizability(readHistory(edn.split("\n").slice(0, 6).join("\n")), { model: "kv" });
    expect(ok.valid).toBe(true);
  });
});

describe("linearizability: budgets", () => {
  // Twelve concurrent increments by distinct powers of two, then a read of a
  // total no subset gives: the search must try every subset (2^12 states).
  const hard = () =>
    h((b) => {
      for (let p = 0; p < 12; p++) b.invoke(p, "incr", 2 ** p);
      b.invoke(12, "read", null);
      b.ok(12, 2 ** 12);
      for (let p = 0; p < 12; p++) b.info(p);
    });

  it("reports unknown, never valid, when the time limit runs out", () => {
    let t = 0;
    const r = checkLinearizability(hard(), { model: "counter", timeLimitMs: 10, now: () => (t += 1) });
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toContain("time limit");
  });

  it("reports unknown when the memo cap is reached", () => {
    const r = checkLinearizability(hard(), { model: "counter", memoEntriesMax: 100 });
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toContain("memo");
    // With room, the same history is found invalid.
    expect(checkLinearizability(hard(), { model: "counter" }).valid).toBe(false);
  });

  it("prunes a long chain of indefinite cas, each seen only through the next, in one pass (not once per link, before any budget applies)", () => {
    // write 0, then cas 0->1, 1->2, ... each timed out, and a read of the end of the chain: a pass in history order learns one link.
    const n = 100_000;
    const history = h((b) => {
      b.invoke(0, "write", 0);
      b.ok(0);
      for (let i = 0; i < n; i++) {
        b.invoke(1, "cas", [i, i + 1]);
        b.info(1);
      }
      b.invoke(2, "read", null);
      b.ok(2, n);
    });
    const calls = pairOps(history);
    const model = modelFor("register", calls, { independent: false });
    const ops = calls.map((c) => model.prepare(c)).filter((op): op is LinOp => op !== undefined);
    const pruned = model.prune!(ops);
    // Every link leads to the value read, so every cas is kept as it is.
    expect(pruned.filter((op) => op.kind === "cas" && op.unseen === undefined)).toHaveLength(n);
  });

  it("proves a read of a value whose every write failed later at once, however many such writes and reads there are (not every failed write per read)", () => {
    // 100,000 writes of 1 called first, then 100,000 reads of 1, then every write fails: no read can have seen 1.
    const n = 100_000;
    const history = h((b) => {
      for (let i = 0; i < n; i++) b.invoke(10 + i, "write", 1);
      for (let i = 0; i < n; i++) {
        b.invoke(0, "read", null);
        b.ok(0, 1);
      }
      for (let i = 0; i < n; i++) b.fail(10 + i);
    });
    const calls = pairOps(history);
    const model = modelFor("register", calls, { independent: false });
    const ops: LinOp[] = [];
    const failed: LinOp[] = [];
    for (const call of calls) {
      // A failed op as it was while open, as the checker keeps it for prefixes.
      if (call.outcome === "fail") failed.push({ ...model.prepare({ ...call, outcome: "pending", returnIndex: Infinity })!, call });
      else ops.push(model.prepare(call)!);
    }
    const r = model.refute!(ops, failed);
    // The first read, from the last failure on (before it, the write might still have happened).
    expect(r?.op.call.invoke.index).toBe(n);
    expect(r?.end).toBe(4 * n - 1);
  });

  /** `n` chained timed-out cas, all open until the end: every turn of the search passes them all. */
  const openCas = (n: number): History =>
    h((b) => {
      b.invoke(0, "write", 0);
      b.ok(0);
      for (let i = 0; i < n; i++) b.invoke(10 + i, "cas", [i, i + 1]);
      b.invoke(1, "read", null);
      b.ok(1, n);
      for (let i = 0; i < n; i++) b.info(10 + i);
    });

  it("looks at the clock after a bounded amount of work, not a fixed number of turns, when each turn walks a long list of open ops", () => {
    const calls = pairOps(openCas(20_000));
    const model = modelFor("register", calls);
    const ops = calls.map((c) => model.prepare(c)).filter((o): o is LinOp => o !== undefined);
    // A clock that moves one ms each time it is looked at, from when the search begins.
    let t = 0;
    const r = searchPartition(model, model.prune!(ops), { deadline: 2, now: () => (t += 1), memoEntriesMax: 2_000_000, memoCharsMax: 40_000_000 });
    expect(r.verdict).toBe("unknown");
    expect(r.verdict === "unknown" && r.reason).toBe("time-limit");
    expect(r.explored).toBeLessThan(100);
  });

  it("looks at the clock while it prepares the operations for the search, and begins no search once the limit is up", () => {
    // A clock that moves one ms each time it is looked at: preparing 20,000 calls looks at it more than twice.
    let t = 0;
    const r = checkLinearizability(openCas(20_000), { model: "register", timeLimitMs: 2, now: () => (t += 1) });
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toMatch(/^time limit of 2 ms reached before the search: preparing the operations was stopped after \d+ ms$/);
    expect(r.ops).toBe(20_002);
    expect(r.keys).toEqual([]);
  });
});


describe("counter: values beyond exact double range", () => {
  it("gives unknown, naming the op, for an increment beyond 2^53 read back as the nearest double (never valid)", () => {
    const history = readHistory(
      [
        "{:type :invoke, :f :incr, :value 9007199254740993, :process 0}",
        "{:type :ok, :f :incr, :value 9007199254740993, :process 0}",
        "{:type :invoke, :f :read, :value nil, :process 1}",
        "{:type :ok, :f :read, :value 9007199254740992, :process 1}",
        "",
      ].join("\n"),
    );
    const r = checkLinearizability(history, { model: "counter" });
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toBe("key (single object): op 0: incr 9007199254740993 is not an integer within ±2^53 (9007199254740991), where doubles add exactly; the counter is not judged");
  });

  it("gives unknown when increments within 2^53 add up beyond it, where a sum would be rounded", () => {
    const r = checkLinearizability(
      h((b) => {
        for (let p = 0; p < 2; p++) {
          b.invoke(p, "incr", 2 ** 52);
          b.ok(p);
        }
        b.invoke(2, "incr", 1);
        b.ok(2);
        b.invoke(3, "read", null);
        b.ok(3, 2 ** 53);
      }),
      { model: "counter" },
    );
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toBe("key (single object): the increments add up to 9007199254740993 at most, beyond ±2^53 (9007199254740991), where doubles add exactly; the counter is not judged");
  });

  it("still judges the other keys: an impossible read beyond 2^53 after small increments is invalid", () => {
    const r = checkLinearizability(
      h((b) => {
        b.invoke(2, "incr", 2n ** 60n, { key: "b" });
        b.ok(2);
        b.invoke(0, "incr", 1, { key: "a" });
        b.ok(0);
        b.invoke(1, "read", null, { key: "a" });
        b.ok(1, 2n ** 53n);
      }),
      { model: "counter" },
    );
    expect(r.valid).toBe(false);
  });

  it("gives unknown for a fractional increment, whose sums depend on the order they are added in", () => {
    const r = checkLinearizability(
      h((b) => {
        b.invoke(0, "incr", 0.1);
        b.ok(0);
        b.invoke(1, "incr", 0.2);
        b.ok(1);
        b.invoke(2, "read", null);
        b.ok(2, 0.3);
      }),
      { model: "counter" },
    );
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toContain("op 0: incr 0.1 is not an integer within ±2^53");
  });
});

describe("time limit counted from startedAt", () => {
  it("gives unknown when reading the history (before the call) already used up the limit, even for a search that would end at once", () => {
    const r = checkLinearizability(
      h((b) => {
        b.invoke(0, "write", 1);
        b.ok(0);
      }),
      { model: "register", timeLimitMs: 1000, startedAt: 0, now: () => 5000 },
    );
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toBe("time limit of 1000 ms reached before the search: reading and preparing the history took 5000 ms");
  });
});
