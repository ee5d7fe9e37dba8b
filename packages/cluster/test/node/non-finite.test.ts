/**
 * A number JSON cannot carry (`1e400` parses as Infinity, and JSON prints
 * Infinity as null) never enters a log: the leader would hold Infinity while
 * its followers, which get the entry as JSON, hold null, and a `cas` would
 * fail on one and succeed on the others.
 */
import { createPrng, ErrorCode, nonFiniteNumberPath, type Body, type Json } from "@dslab/protocol";
import { describe, expect, it } from "vitest";
import { createKvNodeCore } from "../../src/node/index.js";
import { RaftDriver } from "../../src/testing/raft-driver.js";

const TEXT = "a number beyond the range of a double (about ±1.8e308), read as Infinity: JSON has no Infinity, and a replica would store null; send a finite number";

describe("a node refuses a request holding a number JSON cannot carry", () => {
  it.each([
    { what: "a write's value", body: { type: "write", key: "z", value: JSON.parse("1e400") as number, client_id: "c1", seq: 1 }, field: "value" },
    { what: "a number deep in a write's value", body: { type: "write", key: "z", value: JSON.parse('{"a":[1,{"b":-1e999}]}') as Json }, field: "value.a[1].b" },
    { what: "a cas to", body: { type: "cas", key: "z", from: null, to: [0, Infinity] }, field: "to[1]" },
    { what: "an odd key in an append", body: { type: "append", key: "z", value: { "two words": -Infinity } }, field: 'value["two words"]' },
    { what: "a field no schema names", body: { type: "read", key: "z", note: Infinity }, field: "note" },
  ])("$what -> definite error 12 naming the field, nothing proposed", ({ body, field }) => {
    const core = createKvNodeCore({ id: "n1", nodeIds: ["n1"], prng: createPrng(1) }, null);
    const effects = core.receive({ src: "c1", dest: "n1", body: { ...body, msg_id: 7 } as Body }, 0);
    expect(effects.send.map((m) => m.body)).toEqual([{ type: "error", code: ErrorCode.MalformedRequest, text: `${body.type}: field "${field}": ${TEXT}`, in_reply_to: 7 }]);
    expect(core.status().lastLogIndex).toBe(1); // only the leader's no-op
  });

  it("after a refused write of 1e400, leader and followers agree: a cas from null fails nowhere and succeeds everywhere once", () => {
    const d = new RaftDriver({ nodeIds: ["n1", "n2", "n3"], seed: 11 });
    d.tick("n1", 20);
    d.run(3);
    expect(d.leader()).toBe("n1");
    d.request("c1", "n1", { type: "write", msg_id: 1, key: "z", value: JSON.parse("1e400") as number });
    d.request("c1", "n1", { type: "cas", msg_id: 2, key: "z", from: null, to: 7, create_if_not_exists: true });
    d.run(4);
    const replies = d.takeReplies("c1").map((m) => m.body);
    expect(replies[0]).toMatchObject({ type: "error", code: ErrorCode.MalformedRequest });
    expect(replies[1]).toMatchObject({ type: "cas_ok" });
    d.request("c1", "n1", { type: "read", msg_id: 3, key: "z" });
    d.run(4);
    expect(d.takeReplies("c1").map((m) => m.body)).toEqual([{ type: "read_ok", value: 7, in_reply_to: 3 }]);
  });
});

describe("nonFiniteNumberPath", () => {
  it("finds the first non-finite number by path, and nothing in finite JSON", () => {
    expect(nonFiniteNumberPath(1.5e308)).toBeNull();
    expect(nonFiniteNumberPath(NaN)).toBe("");
    expect(nonFiniteNumberPath({ a: [1, 2, { b: "Infinity" }] })).toBeNull();
    expect(nonFiniteNumberPath([[1], [2, [3, -Infinity]]])).toBe("[1][1][1]");
    expect(nonFiniteNumberPath({ $ok: { "a.b": Infinity } })).toBe('.$ok["a.b"]');
  });

  it("walks a value nested 100,000 levels deep without running out of stack", () => {
    const deep = JSON.parse(`${"[".repeat(100_000)}1e400${"]".repeat(100_000)}`) as Json;
    expect(nonFiniteNumberPath(deep)).toBe("[0]".repeat(100_000));
  });
});
