/**
 * Exactly-once anomalies for the client-retry / idempotent-write unit: each
 * case is the smallest history that shows one.
 */
import { describe, expect, it } from "vitest";
import type { History, Value } from "../../src/index.js";
import { HistoryBuilder, checkExactlyOnce, kw, missingIdentity, readHistory } from "../../src/index.js";

function appendHistory(f: (b: HistoryBuilder, append: (p: number, client: string, seq: number, v: string) => void) => void): History {
  const b = new HistoryBuilder();
  f(b, (p, client, seq, v) => b.invoke(p, "append", v, { key: "k", client_id: client, seq }));
  return b.build();
}

function read(b: HistoryBuilder, p: number, list: Value) {
  b.invoke(p, "read", null, { key: "k" });
  b.ok(p, list);
}

describe("exactly-once: append workloads", () => {
  it("accepts a retried append that was applied once (timeout, then the duplicate gets the cached reply)", () => {
    const h = appendHistory((b, append) => {
      append(0, "c1", 1, "a");
      b.info(0);
      append(1, "c1", 1, "a"); // the retry: same client_id and seq
      b.ok(1, ["a"]);
      append(1, "c2", 1, "b");
      b.ok(1, ["a", "b"]);
      read(b, 2, ["a", "b"]);
    });
    const r = checkExactlyOnce(h);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.requests).toEqual({ acknowledged: 2, failed: 0, indefinite: 0 });
  });

  it("flags a value applied twice, with the request and the read that shows it", () => {
    const h = appendHistory((b, append) => {
      append(0, "c1", 1, "a");
      b.info(0);
      append(1, "c1", 1, "a");
      b.ok(1, ["a", "a"]);
      read(b, 2, ["a", "a"]);
    });
    const r = checkExactlyOnce(h);
    expect(r.valid).toBe(false);
    const twice = r.anomalies.filter((a) => a.kind === "applied-twice");
    expect(twice.length).toBeGreaterThan(0);
    expect(twice[0]!.message).toContain("appears 2 times");
    expect(twice[0]!.ops.map((c) => c.f)).toContain("read");
    // The retry's own reply shows it too; each op is listed once.
    for (const a of r.anomalies) expect(new Set(a.ops).size).toBe(a.ops.length);
    expect(twice.map((a) => a.ops.map((c) => c.invoke.index))).toContainEqual([0, 2]);
  });

  it("flags an acknowledged append missing from the final read", () => {
    const h = appendHistory((b, append) => {
      append(0, "c1", 1, "a");
      b.ok(0, ["a"]);
      append(0, "c1", 2, "b");
      b.ok(0, ["a", "b"]);
      read(b, 1, ["a"]);
    });
    const r = checkExactlyOnce(h);
    expect(r.anomalies.map((a) => a.kind)).toContain("acknowledged-lost");
    expect(r.anomalies.find((a) => a.kind === "acknowledged-lost")!.message).toContain("seq 2");
  });

  it("flags a definitely failed append that shows up anyway", () => {
    const h = appendHistory((b, append) => {
      append(0, "c1", 1, "a");
      b.fail(0, { error: 11 });
      read(b, 1, ["a"]);
    });
    expect(checkExactlyOnce(h).anomalies.map((a) => a.kind)).toEqual(["failed-applied"]);
  });

  it("flags a reply that answers a different request", () => {
    const h = appendHistory((b, append) => {
      append(0, "c1", 1, "a");
      b.ok(0, ["a"]);
      append(1, "c2", 1, "b");
      b.ok(1, ["a"]); // c1's cached response, sent to c2
      read(b, 2, ["a", "b"]);
    });
    const r = checkExactlyOnce(h);
    expect(r.anomalies.map((a) => a.kind)).toEqual(["wrong-reply"]);
    expect(r.anomalies[0]!.message).toContain("does not end with");
  });

  it("flags lists seen in impossible orders", () => {
    const h = appendHistory((b, append) => {
      append(0, "c1", 1, "a");
      append(1, "c2", 1, "b");
      b.info(0);
      b.info(1);
      read(b, 2, ["a", "b"]);
      read(b, 2, ["b", "a"]);
    });
    expect(checkExactlyOnce(h).anomalies.map((a) => a.kind)).toEqual(["impossible-order"]);
  });

  it("is unknown, not valid, when an acknowledged key is never read", () => {
    const h = appendHistory((b, append) => {
      append(0, "c1", 1, "a");
      b.ok(0, ["a"]);
    });
    const r = checkExactlyOnce(h);
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toContain("never read");
  });
});

describe("exactly-once: what it cannot judge", () => {
  it("is unknown, not valid, for a history with no append or incr, and names the operations it has", () => {
    const b = new HistoryBuilder();
    b.invoke(0, "write", 1);
    b.ok(0);
    read(b, 1, ["a"]);
    const r = checkExactlyOnce(b.build());
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toBe("no append or incr operation to judge (the history has :f read, write); the exactly-once check judges append and incr workloads with client_id and seq");
    expect(checkExactlyOnce([]).valid).toBe("unknown");
  });

  it("names the first append or incr without client_id or seq, and how many lack them", () => {
    const b = new HistoryBuilder();
    b.invoke(0, "append", "a", { key: "k", client_id: "c1", seq: 1 });
    b.ok(0, ["a"]);
    b.invoke(0, "append", "b", { key: "k", client_id: "c1" });
    b.ok(0, ["a", "b"]);
    b.invoke(0, "incr", 1, { key: "n" });
    b.ok(0, 1);
    const m = missingIdentity(b.build());
    expect(m?.fields).toEqual(["seq"]);
    expect(m?.message).toBe("op 2: append has no seq, which the exactly-once check needs on every append and incr to tell a retry from a second request (2 of 3 writes lack them)");
    expect(missingIdentity(appendHistory((_b, append) => append(0, "c1", 1, "a")))).toBeUndefined();
  });
});

describe("exactly-once: incr workloads", () => {
  function incrs(f: (b: HistoryBuilder) => void): History {
    const b = new HistoryBuilder();
    f(b);
    return b.build();
  }
  const incr = (b: HistoryBuilder, p: number, client: string, seq: number, delta: number) => b.invoke(p, "incr", delta, { key: "n", client_id: client, seq });
  const readN = (b: HistoryBuilder, p: number, n: number) => {
    b.invoke(p, "read", null, { key: "n" });
    b.ok(p, n);
  };

  it("accepts increments where the indefinite one may or may not have happened", () => {
    for (const total of [3, 7]) {
      const h = incrs((b) => {
        incr(b, 0, "c1", 1, 1);
        b.ok(0, 1);
        incr(b, 0, "c1", 2, 2);
        b.ok(0, 3);
        incr(b, 1, "c2", 1, 4);
        b.info(1);
        readN(b, 2, total);
      });
      expect(checkExactlyOnce(h).valid).toBe(true);
    }
  });

  it("flags an increment applied twice (the total is too high)", () => {
    const h = incrs((b) => {
      incr(b, 0, "c1", 1, 5);
      b.info(0);
      incr(b, 0, "c1", 1, 5);
      b.ok(0, 10);
      readN(b, 1, 10);
    });
    const r = checkExactlyOnce(h);
    expect(r.anomalies.map((a) => a.kind)).toContain("applied-twice");
  });

  it("flags a lost acknowledged increment and a failed one that was applied", () => {
    const lost = incrs((b) => {
      incr(b, 0, "c1", 1, 5);
      b.ok(0, 5);
      readN(b, 1, 0);
    });
    expect(checkExactlyOnce(lost).anomalies.map((a) => a.kind)).toEqual(["acknowledged-lost"]);
    const failed = incrs((b) => {
      incr(b, 0, "c1", 1, 5);
      b.fail(0);
      readN(b, 1, 5);
    });
    expect(checkExactlyOnce(failed).anomalies.map((a) => a.kind)).toEqual(["failed-applied"]);
  });

  it("flags a final read that is not a number, or a count far beyond what the increments give, instead of passing it unjudged", () => {
    for (const [value, message] of [
      ["lots", 'key "n": the final read (op 3) returned "lots", not a number'],
      [kw("many"), 'key "n": the final read (op 3) returned :many, not a number'],
      [[1], 'key "n": the final read (op 3) returned [1], not a number'],
    ] as const) {
      const h = incrs((b) => {
        incr(b, 0, "c1", 1, 1);
        b.ok(0, 1);
        b.invoke(1, "read", null, { key: "n" });
        b.ok(1, value as Value);
      });
      const r = checkExactlyOnce(h);
      expect(r.valid).toBe(false);
      expect(r.anomalies.map((a) => [a.kind, a.message])).toEqual([["wrong-reply", message]]);
    }
    const huge = incrs((b) => {
      incr(b, 0, "c1", 1, 1);
      b.ok(0, 1);
      b.invoke(1, "read", null, { key: "n" });
      b.ok(1, 10n ** 20n);
    });
    expect(checkExactlyOnce(huge).anomalies.map((a) => a.kind)).toEqual(["applied-twice"]);
  });

  it("gives unknown, naming the op, for an increment beyond 2^53 rather than counting it as 0 or rounding it", () => {
    const h = incrs((b) => {
      b.invoke(0, "incr", 9007199254740993n, { key: "n", client_id: "c1", seq: 1 });
      b.ok(0, 9007199254740993n);
      b.invoke(1, "read", null, { key: "n" });
      b.ok(1, 9007199254740993n);
    });
    const r = checkExactlyOnce(h);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toBe('key "n": op 0: incr 9007199254740993 is not an integer within ±2^53 (9007199254740991), where doubles add exactly; the count is not judged');
  });

  it("gives unknown for an increment by something other than a number, showing it as EDN", () => {
    for (const [delta, shown] of [
      ["x", '"x"'],
      [[1, 2], "[1 2]"],
    ] as const) {
      const h = incrs((b) => {
        b.invoke(0, "incr", delta as Value, { key: "n", client_id: "c1", seq: 1 });
        b.ok(0, 1);
        readN(b, 1, 1);
      });
      const r = checkExactlyOnce(h);
      expect(r.valid).toBe("unknown");
      expect(r.unknownReason).toBe(`key "n": op 0: incr ${shown} is not an integer within ±2^53 (9007199254740991), where doubles add exactly; the count is not judged`);
    }
  });

  it("gives unknown when increments add up beyond 2^53, where sums are rounded", () => {
    const h = incrs((b) => {
      incr(b, 0, "c1", 1, 2 ** 52);
      b.ok(0, 2 ** 52);
      incr(b, 0, "c1", 2, 2 ** 52);
      b.info(0);
      incr(b, 1, "c2", 1, 1);
      b.info(1);
      readN(b, 2, 2 ** 53);
    });
    const r = checkExactlyOnce(h);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toBe('key "n": the increments add up to 9007199254740993 at most, beyond ±2^53 (9007199254740991), where doubles add exactly; the count is not judged');
  });

  it("flags two requests answered with the same counter value", () => {
    const h = incrs((b) => {
      incr(b, 0, "c1", 1, 1);
      b.ok(0, 1);
      incr(b, 1, "c2", 1, 1);
      b.ok(1, 1);
      readN(b, 2, 2);
    });
    expect(checkExactlyOnce(h).anomalies.map((a) => a.kind)).toEqual(["wrong-reply"]);
  });

  it("tells quickly that many indefinite increments by 2 cannot make an odd total", () => {
    const n = 100_000;
    const h = incrs((b) => {
      for (let i = 0; i < n; i++) {
        incr(b, i % 50, `c${i % 50}`, i, 2);
        b.info(i % 50);
      }
      readN(b, 50, 2 * n - 1);
    });
    const r = checkExactlyOnce(h);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => a.kind)).toEqual(["applied-twice"]);
    expect(r.anomalies[0]!.message).toContain("which no set of the indefinite increments added to the acknowledged ones (0) can give");
  });

  it("is unknown, not valid, when too many sums of the indefinite increments would have to be tried to judge the final read", () => {
    // Increments by 2, 3, ..., 3001, each timed out, and a read of their total minus 1: only dropping increments that add up to 1 gives it, and none does.
    const deltas = Array.from({ length: 3000 }, (_, i) => i + 2);
    const total = deltas.reduce((a, b) => a + b, 0) - 1;
    const h = incrs((b) => {
      deltas.forEach((d, i) => {
        incr(b, i % 50, `c${i % 50}`, i, d);
        b.info(i % 50);
      });
      readN(b, 50, total);
    });
    const r = checkExactlyOnce(h);
    expect(r.valid).toBe("unknown");
    expect(r.unknownReason).toBe(`key "n": whether some of the 3000 indefinite increments added to the acknowledged ones (0) give the final read (op 6001, ${total}) was not settled within 5,000,000 sums tried`);
  });
});

describe("exactly-once: keys", () => {
  it("a key that is a map is one key whatever the order of its entries", () => {
    const h = readHistory(
      [
        '{:type :invoke, :f :append, :key {:a 1, :b 2}, :value 5, :process 0, :client-id "c", :seq 1}',
        '{:type :ok, :f :append, :key {:a 1, :b 2}, :value [5], :process 0, :client-id "c", :seq 1}',
        "{:type :invoke, :f :read, :key {:b 2, :a 1}, :value nil, :process 1}",
        "{:type :ok, :f :read, :key {:b 2, :a 1}, :value [5], :process 1}",
      ].join("\n"),
    );
    expect(checkExactlyOnce(h)).toMatchObject({ valid: true, anomalies: [] });
  });
});

