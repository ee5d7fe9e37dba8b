import { ErrorCode } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import { Harness } from "./helpers.js";

type Req = Record<string, unknown>;
interface Row {
  title: string;
  setup: Req[];
  request: Req;
  reply: Record<string, unknown>;
  /** The key "k" afterwards: a value, or undefined for "does not exist". */
  after: unknown;
}

const w = (value: unknown): Req => ({ type: "write", key: "k", value });
const err = (code: number) => ({ type: "error", code });

// The protocol table: one row per operation and outcome.
const rows: Row[] = [
  { title: "read of a missing key is error 20 key-does-not-exist", setup: [], request: { type: "read", key: "k" }, reply: err(ErrorCode.KeyDoesNotExist), after: undefined },
  { title: "read returns the value written", setup: [w(7)], request: { type: "read", key: "k" }, reply: { type: "read_ok", value: 7 }, after: 7 },
  { title: "read tells a stored null from a missing key", setup: [w(null)], request: { type: "read", key: "k" }, reply: { type: "read_ok", value: null }, after: null },
  { title: "write creates a key", setup: [], request: w("a"), reply: { type: "write_ok" }, after: "a" },
  { title: "write overwrites a key", setup: [w(1)], request: w({ x: [1] }), reply: { type: "write_ok" }, after: { x: [1] } },
  { title: "cas replaces the value when current equals from", setup: [w(1)], request: { type: "cas", key: "k", from: 1, to: 2 }, reply: { type: "cas_ok" }, after: 2 },
  { title: "cas compares structurally: object key order does not matter", setup: [w({ a: 1, b: [2, { c: 3 }] })], request: { type: "cas", key: "k", from: { b: [2, { c: 3 }], a: 1 }, to: 0 }, reply: { type: "cas_ok" }, after: 0 },
  { title: "cas is error 22 precondition-failed when current differs from from", setup: [w(1)], request: { type: "cas", key: "k", from: 2, to: 3 }, reply: err(ErrorCode.PreconditionFailed), after: 1 },
  { title: "cas tells 1 from \"1\" (no coercion)", setup: [w(1)], request: { type: "cas", key: "k", from: "1", to: 3 }, reply: err(ErrorCode.PreconditionFailed), after: 1 },
  { title: "cas tells [1,2] from [2,1]", setup: [w([1, 2])], request: { type: "cas", key: "k", from: [2, 1], to: 3 }, reply: err(ErrorCode.PreconditionFailed), after: [1, 2] },
  { title: "cas on a missing key is error 20", setup: [], request: { type: "cas", key: "k", from: 1, to: 2 }, reply: err(ErrorCode.KeyDoesNotExist), after: undefined },
  { title: "cas with create_if_not_exists creates a missing key with to", setup: [], request: { type: "cas", key: "k", from: 1, to: 2, create_if_not_exists: true }, reply: { type: "cas_ok" }, after: 2 },
  { title: "cas with create_if_not_exists still checks from on an existing key", setup: [w(5)], request: { type: "cas", key: "k", from: 1, to: 2, create_if_not_exists: true }, reply: err(ErrorCode.PreconditionFailed), after: 5 },
  { title: "append to a missing key starts from [] and returns the list after", setup: [], request: { type: "append", key: "k", value: 1 }, reply: { type: "append_ok", value: [1] }, after: [1] },
  { title: "append adds at the end and returns the list after", setup: [w([1, 2])], request: { type: "append", key: "k", value: { v: 3 } }, reply: { type: "append_ok", value: [1, 2, { v: 3 }] }, after: [1, 2, { v: 3 }] },
  { title: "append to a non-list is a definite error 12 and changes nothing", setup: [w(3)], request: { type: "append", key: "k", value: 1 }, reply: err(ErrorCode.MalformedRequest), after: 3 },
  { title: "incr of a missing key starts at 0 and returns the counter after", setup: [], request: { type: "incr", key: "k", delta: 5 }, reply: { type: "incr_ok", value: 5 }, after: 5 },
  { title: "incr adds a negative delta", setup: [w(10)], request: { type: "incr", key: "k", delta: -3 }, reply: { type: "incr_ok", value: 7 }, after: 7 },
  { title: "incr of a non-integer value is a definite error 12 and changes nothing", setup: [w("x")], request: { type: "incr", key: "k", delta: 1 }, reply: err(ErrorCode.MalformedRequest), after: "x" },
  { title: "incr of a fractional value is a definite error 12", setup: [w(1.5)], request: { type: "incr", key: "k", delta: 1 }, reply: err(ErrorCode.MalformedRequest), after: 1.5 },
  { title: "incr past the safe integer range is refused, not rounded", setup: [w(Number.MAX_SAFE_INTEGER)], request: { type: "incr", key: "k", delta: 1 }, reply: err(ErrorCode.MalformedRequest), after: Number.MAX_SAFE_INTEGER },
  { title: "delete removes a key", setup: [w(1)], request: { type: "delete", key: "k" }, reply: { type: "delete_ok" }, after: undefined },
  { title: "delete of a missing key is error 20 (the documented choice)", setup: [], request: { type: "delete", key: "k" }, reply: err(ErrorCode.KeyDoesNotExist), after: undefined },
  { title: "a value above maxValueBytes is error 1002 request-too-large", setup: [], request: w("x".repeat(2000)), reply: err(ErrorCode.RequestTooLarge), after: undefined },
  { title: "an append element above maxValueBytes is error 1002", setup: [], request: { type: "append", key: "k", value: "x".repeat(2000) }, reply: err(ErrorCode.RequestTooLarge), after: undefined },
  { title: "a cas to above maxValueBytes is error 1002", setup: [w(1)], request: { type: "cas", key: "k", from: 1, to: "x".repeat(2000) }, reply: err(ErrorCode.RequestTooLarge), after: 1 },
  { title: "a write without value is a definite error 12", setup: [], request: { type: "write", key: "k" }, reply: err(ErrorCode.MalformedRequest), after: undefined },
  { title: "an incr with a fractional delta is a definite error 12", setup: [w(1)], request: { type: "incr", key: "k", delta: 0.5 }, reply: err(ErrorCode.MalformedRequest), after: 1 },
  { title: "an object key is a definite error 12", setup: [], request: { type: "write", key: { k: 1 }, value: 1 }, reply: err(ErrorCode.MalformedRequest), after: undefined },
  { title: "an unknown op is error 10 not-supported", setup: [], request: { type: "frobnicate", key: "k" }, reply: err(ErrorCode.NotSupported), after: undefined },
];

describe("state machine operations: one row per operation and outcome, as in Maelstrom lin-kv", () => {
  test.each(rows)("$title", ({ setup, request, reply, after }) => {
    const h = new Harness();
    for (const r of setup) expect(h.req(r).type).toMatch(/_ok$/);
    expect(h.req(request)).toMatchObject(reply);
    expect(h.sm.read("k")).toEqual(after);
  });

  test("integer key 1 and string key \"1\" are different keys, as Maelstrom sends them", () => {
    const h = new Harness();
    h.req({ type: "write", key: 1, value: "int" });
    h.req({ type: "write", key: "1", value: "str" });
    expect(h.req({ type: "read", key: 1 })).toEqual({ type: "read_ok", value: "int" });
    expect(h.req({ type: "read", key: "1" })).toEqual({ type: "read_ok", value: "str" });
  });

  test("a reply to an append is not changed by later appends (values are never mutated in place)", () => {
    const h = new Harness();
    const first = h.req({ type: "append", key: "k", value: 1 });
    h.req({ type: "append", key: "k", value: 2 });
    expect(first).toEqual({ type: "append_ok", value: [1] });
  });

  test("error replies are definite data: a code from the registry and a text that names the key", () => {
    const h = new Harness();
    const reply = h.req({ type: "read", key: "missing-key" });
    expect(reply).toMatchObject({ type: "error", code: 20 });
    expect(String(reply.text)).toContain("missing-key");
  });

  test.each([
    [{ a: 1 }, { a: 2 }, 'key "k" holds the object {"a":1}, not the object {"a":2}'],
    [[1, 2], [1, 3], 'key "k" holds the list [1,2], not the list [1,3]'],
    [["x".repeat(50)], [], `key "k" holds the list ["${"x".repeat(38)}..., not the list []`],
  ])("a failed cas on %j shows both values, so two lists or two objects read apart", (held, from, text) => {
    const h = new Harness();
    h.req(w(held));
    expect(h.req({ type: "cas", key: "k", from, to: 0 })).toMatchObject({ type: "error", code: ErrorCode.PreconditionFailed, text });
  });

  test("incr with a delta beyond 2^53-1 is error 12 saying the range, and one that is not an integer says what it got", () => {
    const h = new Harness();
    expect(h.req({ type: "incr", key: "k", delta: 2 ** 53 + 2 })).toMatchObject({
      code: ErrorCode.MalformedRequest,
      text: "incr: delta must be an integer from -(2^53-1) to 2^53-1 (9007199254740991); 9007199254740994 is beyond that, where a JSON number is not exact",
    });
    expect(h.req({ type: "incr", key: "k", delta: 1.5 })).toMatchObject({ code: ErrorCode.MalformedRequest, text: "incr: delta must be an integer, got 1.5" });
  });

  test("noop entries answer noop_ok and change nothing", () => {
    const h = new Harness();
    h.req(w(1));
    const before = JSON.stringify(h.sm.snapshot());
    expect(h.noop()).toEqual({ type: "noop_ok" });
    const after = JSON.parse(JSON.stringify(h.sm.snapshot()));
    expect({ ...after, applied_index: 1 }).toEqual(JSON.parse(before));
  });

  test("applying an index twice or out of order throws: an entry is applied exactly once", () => {
    const h = new Harness();
    h.req(w(1));
    expect(() => h.sm.apply({ kind: "noop", ts: 0 }, 1)).toThrow(/increasing index order/);
    expect(() => h.sm.apply({ kind: "noop", ts: 0 }, 0)).toThrow(/increasing index order/);
    expect(h.sm.apply({ kind: "noop", ts: 0 }, 5)).toEqual({ type: "noop_ok" });
  });
});
