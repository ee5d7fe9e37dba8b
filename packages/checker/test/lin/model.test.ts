/**
 * The ops a model prepares all have one shape: the same fields in the same
 * order, whatever their kind and however pruning rewrites them (the search
 * reads these fields in its inner loop, where one shape is the fast case).
 */
import { describe, expect, it } from "vitest";
import type { History, LinOp, Model, Value } from "../../src/index.js";
import { HistoryBuilder, modelFor, pairOps } from "../../src/index.js";

/** Every kind of op the model knows, definite and indefinite, with values some read returns and some it never does. */
function history(ops: Array<[f: string, value: Value, out: Value | undefined | "info" | "fail"]>): History {
  const b = new HistoryBuilder();
  ops.forEach(([f, value, out], p) => {
    b.invoke(p, f, value);
    if (out === "info") b.info(p);
    else if (out === "fail") b.fail(p);
    else b.ok(p, out);
  });
  return b.build();
}

function shapes(model: Model, h: History): string[][] {
  const calls = pairOps(h);
  const prepared: LinOp[] = [];
  for (const call of calls) {
    // A failed op as the checker keeps it for prefixes: prepared as still open.
    const op = call.outcome === "fail" ? model.prepare({ ...call, outcome: "pending", returnIndex: Infinity }) : model.prepare(call);
    if (op !== undefined) prepared.push(call.outcome === "fail" ? { ...op, call } : op);
  }
  const all = [...prepared, ...(model.prune?.(prepared) ?? []), ...prepared.map((op) => ({ ...op, definite: false }))];
  return [...new Set(all.map((op) => Object.keys(op).join(",")))].map((k) => k.split(","));
}

describe("prepared ops share one shape", () => {
  it("register: reads, writes and cas, ok, info and failed, and writes of values no read returns, all have the same fields in the same order", () => {
    const h = history([
      ["write", 1, undefined],
      ["write", 2, "info"],
      ["write", 9, undefined],
      ["cas", [1, 3], undefined],
      ["cas", [3, 8], "info"],
      ["cas", [2, 4], "fail"],
      ["read", null, 1],
      ["read", null, 3],
    ]);
    const found = shapes(modelFor("register", pairOps(h), { independent: false }), h);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("unseen");
  });

  it("kv: gets, puts and appends, ok and info, delimited values pinned to the state before them, all have the same fields in the same order", () => {
    const h = history([
      ["put", "xay", undefined],
      ["append", "xby", undefined],
      ["append", "xcy", "info"],
      ["append", "xdy", undefined],
      ["put", "xey", "info"],
      ["get", null, "xayxby"],
    ]);
    const model = modelFor("kv", pairOps(h));
    const found = shapes(model, h);
    expect(found).toHaveLength(1);
    // Pruning did pin an append and replace a value no read returns.
    const pruned = model.prune!(pairOps(h).map((c) => model.prepare(c)).filter((op): op is LinOp => op !== undefined));
    expect(pruned.some((op) => op.pre !== undefined)).toBe(true);
    expect(pruned.some((op) => op.unseen !== undefined)).toBe(true);
  });

  it("counter: reads and increments, ok and info, all have the same fields in the same order", () => {
    const h = history([
      ["incr", 1, undefined],
      ["incr", 2, "info"],
      ["read", null, 1],
    ]);
    expect(shapes(modelFor("counter", pairOps(h)), h)).toHaveLength(1);
  });
});
