/**
 * The ops a model prepares all have one shape: the same fields in the same
 * order, whatever their kind and however pruning rewrites them (the search
 * reads these fields in its inner loop, where one shape is the fast case).
 */
import fc from "fast-check";
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

describe("kv pruning", () => {
  /** The kv model's ops of a history, pruned. */
  function pruned(h: History): LinOp[] {
    const model = modelFor("kv", pairOps(h));
    return model.prune!(pairOps(h).map((c) => model.prepare(c)).filter((op): op is LinOp => op !== undefined));
  }

  it("keeps an append as it is exactly when its string shows in some string read, on random small histories", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[ab\u0000]{0,6}$/), { maxLength: 6 }), fc.array(fc.tuple(fc.stringMatching(/^[ab]{0,4}$/), fc.boolean()), { maxLength: 6 }), (reads, appends) => {
        const b = new HistoryBuilder();
        reads.forEach((r) => {
          b.invoke(0, "get", null);
          b.ok(0, r);
        });
        appends.forEach(([v, definite], i) => {
          b.invoke(1 + i, "append", v);
          if (definite) b.ok(1 + i);
          else b.info(1 + i);
        });
        const ops = pruned(b.build()).filter((op) => op.kind === "append");
        appends.forEach(([v, definite], i) => {
          const op = ops.find((o) => o.call.process === 1 + i);
          // The empty string shows in anything, even no read at all.
          const shown = v === "" || reads.some((r) => r.includes(v));
          if (shown) expect(op?.arg).toBe(v);
          else if (definite) expect(op?.unseen).toBe(v);
          else expect(op).toBeUndefined();
        });
      }),
      { numRuns: 2000, seed: 77 },
    );
  });

  it("looks for 400,000 appended strings in 400,000 strings read in one pass per length, not one search of every read per append", () => {
    const n = 400_000;
    const b = new HistoryBuilder();
    for (let i = 0; i < n; i++) {
      b.invoke(0, "get", null);
      b.ok(0, i === 7 ? "ab q7 cd" : `r${i} abcdefghijklmnopqrstuvwxyz`);
    }
    for (let i = 0; i < n; i++) {
      b.invoke(1, "append", ` q${i} `);
      b.info(1);
    }
    const ops = pruned(b.build());
    // Timed-out appends that no read shows are dropped; the one read shows is kept.
    expect(ops.filter((op) => op.kind === "append").map((op) => op.arg)).toEqual([" q7 "]);
    expect(ops).toHaveLength(n + 1);
  });
});

