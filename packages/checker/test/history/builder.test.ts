/**
 * The history model the simulator writes: HistoryBuilder and pairOps.
 */
import { describe, expect, it } from "vitest";
import type { Op } from "../../src/index.js";
import { HistoryBuilder, HistoryError, pairOps, readHistory } from "../../src/index.js";

describe("HistoryBuilder", () => {
  it("numbers events, copies f/key/client_id/seq onto completions, and defaults the value", () => {
    const b = new HistoryBuilder();
    b.invoke(0, "append", "x", { key: "k", client_id: "7", seq: 3, time: 1 });
    b.nemesis("kill", "n1", { time: 2 });
    const done = b.ok(0, ["x"], { time: 3 });
    expect(done).toEqual({ index: 2, process: 0, type: "ok", f: "append", value: ["x"], key: "k", client_id: "7", seq: 3, time: 3 });
    b.invoke(1, "write", 5);
    expect(b.pending()).toEqual([1]);
    expect(b.info(1, { error: "timeout" })).toMatchObject({ type: "info", f: "write", value: 5, error: "timeout" });
  });

  it("lists the pending processes in the order of their open invokes, a process that completed and invoked again last", () => {
    const b = new HistoryBuilder();
    b.invoke(0, "read", null);
    b.invoke(1, "read", null);
    b.invoke(2, "read", null);
    b.ok(0, null);
    b.invoke(0, "write", 1);
    b.info(1);
    expect(b.pending()).toEqual([2, 0]);
  });

  it("builds a history of 200,000 invokes left open and 200,000 operations of one more process, each pairing found at once", () => {
    const n = 200_000;
    const b = new HistoryBuilder();
    for (let p = 1; p <= n; p++) b.invoke(p, "read", null);
    for (let i = 0; i < n; i++) {
      b.invoke(0, "write", i);
      b.ok(0);
    }
    expect(b.pending()).toHaveLength(n);
    expect(b.build()).toHaveLength(3 * n);
  });

  it("refuses a second invoke on a process with an open operation, and a completion with none", () => {
    const b = new HistoryBuilder();
    b.invoke(0, "read", null);
    expect(() => b.invoke(0, "read", null)).toThrow(/still open/);
    expect(() => b.ok(1, 3)).toThrow(/no open invoke/);
  });
});

describe("pairOps", () => {
  it("pairs per process; info and never-completed calls are indefinite (returnIndex Infinity)", () => {
    const b = new HistoryBuilder();
    b.invoke(0, "write", 1);
    b.invoke(1, "write", 2);
    b.invoke(2, "read", null);
    b.ok(0);
    b.info(1);
    const calls = pairOps(b.build());
    expect(calls.map((c) => [c.outcome, c.callIndex, c.returnIndex, c.completionIndex])).toEqual([
      ["ok", 0, 3, 3],
      ["info", 1, Infinity, 4],
      ["pending", 2, Infinity, Infinity],
    ]);
  });

  it("pairs 200,000 operations of one process while 200,000 invokes of others stay open, each pairing found at once", () => {
    const n = 200_000;
    const h: Op[] = [];
    for (let p = 1; p <= n; p++) h.push({ index: h.length, process: p, type: "invoke", f: "read", value: null });
    for (let i = 0; i < n; i++) {
      h.push({ index: h.length, process: 0, type: "invoke", f: "write", value: i });
      h.push({ index: h.length, process: 0, type: "ok", f: "write", value: i });
    }
    const calls = pairOps(h);
    expect(calls.filter((c) => c.outcome === "pending")).toHaveLength(n);
    expect(calls.filter((c) => c.outcome === "ok")).toHaveLength(n);
    expect(calls.at(-1)!.returnIndex).toBe(3 * n - 1);
  });

  it("rejects a completion with no open invoke, or with a different :f", () => {
    expect(() => pairOps(readHistory("{:type :ok, :f :read, :value 1, :process 0}"))).toThrow(HistoryError);
    expect(() => pairOps(readHistory("{:type :invoke, :f :read, :process 0}\n{:type :ok, :f :write, :process 0}"))).toThrow(/completes :write but its open invoke/);
  });

  it("rejects a second invoke by a process whose earlier operation is still open, naming both", () => {
    const h = readHistory("{:type :invoke, :f :write, :value 1, :process 0}\n{:type :invoke, :f :read, :process 0}");
    expect(() => pairOps(h)).toThrow("op 1: process 0 invokes :read while its :write (op 0) is still open; a process runs one operation at a time");
  });
});
