/**
 * `--model auto`: each history's model told by its operations, one row per
 * model, and the histories that fit none (or two kinds at once) refused with
 * the op that tipped them.
 */
import { describe, expect, it } from "vitest";
import { HistoryBuilder, HistoryError, parseEdn, readHistory } from "../../src/index.js";
import type { InvokeFields, Value } from "../../src/index.js";
import { chooseModel, ModelChoiceError } from "../../src/cli/choose-model.js";

type Call = [f: string, value: Value, fields?: InvokeFields];

/** Each call invoked and completed ok in turn by process 0; a nemesis event first. */
function history(calls: Call[]) {
  const b = new HistoryBuilder();
  b.nemesis("start-partition", "majority");
  for (const [f, value, fields] of calls) {
    b.invoke(0, f, value, fields);
    b.ok(0);
  }
  return b.build();
}

describe("--model auto", () => {
  it.each<[string, Call[], string]>([
    ["a register of read, write and cas (etcd, Knossos' cas-register)", [["read", null], ["write", 3], ["cas", [3, 4]]], "register"],
    ["lin-kv [key value] tuples", [["write", [0, 3]], ["read", [0, null]]], "register"],
    ["reads and writes alone", [["read", null], ["write", 1]], "register"],
    ["6.824 kv: get, put, append by :key", [["get", null, { key: "0" }], ["put", "x 0 0 y", { key: "0" }], ["append", "x 0 1 y", { key: "1" }]], "kv"],
    ["kv with read and write spelled as the register's", [["read", null, { key: "0" }], ["append", "x", { key: "0" }], ["write", "y", { key: "0" }]], "kv"],
    ["a counter of incr and read", [["read", null], ["incr", 2]], "counter"],
    ["Jepsen's counter of add and read", [["add", 1], ["read", null]], "counter"],
    ["Knossos' multi-register transactions", [["txn", parseEdn("[[:read :x nil] [:write :y 2]]")]], "multi-register"],
    ["appends with client_id and seq, and reads", [["read", null, { key: "a" }], ["append", "c1:1", { key: "a", client_id: "c1", seq: 1 }]], "exactly-once"],
    ["increments with client_id and seq", [["incr", 1, { key: "n", client_id: "7", seq: 1 }], ["get", null, { key: "n" }]], "exactly-once"],
    ["appends of which only some carry an identity (the check then says which lack it)", [["append", "a", { key: "k", client_id: "c1", seq: 1 }], ["append", "b", { key: "k" }]], "exactly-once"],
  ])("takes %s as %s", (_, calls, model) => {
    expect(chooseModel(history(calls))).toBe(model);
  });

  it.each<[string, Call[], number, RegExp]>([
    ["a function no model has", [["read", null], ["enqueue", 1]], 3, /op 3: :f :enqueue does not fit any one model together with :read \(op 1\)/],
    ["a function no model has, first", [["enqueue", 1]], 1, /op 1: :f :enqueue is not an operation of any one model/],
    ["a register's cas beside a kv append", [["cas", [1, 2]], ["get", null, { key: "0" }], ["append", "x", { key: "0" }]], 3, /op 3: :f :get does not fit any one model together with :cas \(op 1\)/],
    ["a counter's incr beside a transaction", [["txn", parseEdn("[[:write :x 1]]")], ["incr", 1]], 3, /op 3: :f :incr does not fit any one model together with :txn \(op 1\)/],
    ["an exactly-once workload with a cas", [["append", "a", { key: "k", client_id: "c1", seq: 1 }], ["cas", [1, 2]]], 3, /op 3: :f :cas does not fit an exactly-once workload \(its appends or increments carry client_id or seq\) together with :append \(op 1\)/],
  ])("refuses %s, naming the op and what each model takes", (_, calls, index, message) => {
    const h = history(calls);
    let error: unknown;
    try {
      chooseModel(h);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelChoiceError);
    const e = error as ModelChoiceError;
    expect(e.code).toBe("E_MODEL_CHOICE");
    expect(e.op).toBe(h[index]);
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/^--model auto cannot tell the model: .*; give --model \(register: read, write, cas; kv: get, put, append .*exactly-once: append, incr or add with client_id and seq\)$/);
  });

  it("leaves a history of completions alone to pairing, which names the first", () => {
    const h = readHistory("{:type :ok, :f :read, :value 1, :process 0}\n", { source: "h.edn" });
    expect(() => chooseModel(h)).toThrow(HistoryError);
    expect(() => chooseModel(h)).toThrow("op 0: process 0 completes :read (:ok) with no invoke open");
  });
});
