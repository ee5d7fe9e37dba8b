/**
 * The composed node and nesting depth: a request submitted in-process (the
 * HTTP front, the simulator) skips the codec, so the node bounds depth
 * itself; and the deepest values clients may send travel inside every
 * message the cluster makes (Raft appends, replies) within the line bound.
 */
import { createPrng, decodeLine, encodeMessage, ErrorCode, MAX_JSON_DEPTH, type Body, type Json, type Message } from "@dslab/protocol";
import { describe, expect, it } from "vitest";
import { createKvNodeCore, nodeSchemas } from "../../src/node/index.js";
import { RaftDriver } from "../../src/testing/raft-driver.js";

function nested(levels: number, leaf: Json = 1): Json {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

const veryDeep = (): Json => JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as Json;

describe("a node refuses requests nested past MAX_JSON_DEPTH, whatever the shell", () => {
  it.each([
    { what: "a write value", body: { type: "write", key: "x", value: veryDeep(), client_id: "c1", seq: 1 }, field: "value" },
    { what: "a cas from", body: { type: "cas", key: "x", from: nested(MAX_JSON_DEPTH + 1), to: 1 }, field: "from" },
    { what: "a field no schema names", body: { type: "append", key: "x", value: 1, note: nested(MAX_JSON_DEPTH + 1) }, field: "note" },
    { what: "a read's extra field", body: { type: "read", key: "x", note: veryDeep() }, field: "note" },
  ])("$what -> definite error 12 naming the field and the bound, nothing proposed", ({ body, field }) => {
    const core = createKvNodeCore({ id: "n1", nodeIds: ["n1"], prng: createPrng(1) }, null);
    const effects = core.receive({ src: "c1", dest: "n1", body: { ...body, msg_id: 7 } as Body }, 0);
    expect(effects.send.map((m) => m.body)).toEqual([
      { type: "error", code: ErrorCode.MalformedRequest, text: `${body.type}: field "${field}": value nested deeper than 64 levels`, in_reply_to: 7 },
    ]);
    expect(core.status().lastLogIndex).toBe(1); // only the leader's no-op
    const ok = core.receive({ src: "c1", dest: "n1", body: { type: "write", msg_id: 8, key: "x", value: nested(MAX_JSON_DEPTH) } }, 0);
    expect(ok.send.map((m) => m.body)).toEqual([{ type: "write_ok", in_reply_to: 8 }]);
  });

  it("a follower refuses it too, before redirecting", () => {
    const d = new RaftDriver({ nodeIds: ["n1", "n2", "n3"], seed: 11 });
    d.tick("n1", 20);
    d.run(3);
    expect(d.leader()).toBe("n1");
    const effects = d.node("n2").receive({ src: "c1", dest: "n2", body: { type: "write", msg_id: 3, key: "x", value: veryDeep() } }, 0);
    expect(effects.send.map((m) => m.body)).toMatchObject([{ type: "error", code: 12, text: 'write: field "value": value nested deeper than 64 levels' }]);
  });
});

describe("the wire carries the deepest values clients may send", () => {
  it("Raft appends, snapshots and replies holding MAX_JSON_DEPTH-deep values (and lists of them) all decode with nodeSchemas", () => {
    const sent: Message[] = [];
    const d = new RaftDriver({ nodeIds: ["n1", "n2", "n3"], seed: 4, config: { snapshotEveryEntries: 3 }, observe: (m) => sent.push(m) });
    d.tick("n1", 20);
    d.run(3);
    d.crash("n3");
    const deep = nested(MAX_JSON_DEPTH - 1, { o: "x" }); // 64 levels: the object is one
    for (let seq = 1; seq <= 6; seq++) d.request("c1", "n1", { type: "append", msg_id: seq, key: "k", value: deep, client_id: "c1", seq });
    d.request("c1", "n1", { type: "write", msg_id: 7, key: "c", value: deep, client_id: "c1", seq: 7 });
    d.request("c1", "n1", { type: "cas", msg_id: 8, key: "c", from: deep, to: [1], client_id: "c1", seq: 8 });
    d.request("c1", "n1", { type: "read", msg_id: 9, key: "k" });
    d.run(4);
    const replies = d.takeReplies("c1").map((m) => m.body);
    expect(replies.map((b) => b.type).sort()).toEqual(["append_ok", "append_ok", "append_ok", "append_ok", "append_ok", "append_ok", "cas_ok", "read_ok", "write_ok"]);
    // 65 levels: a list of 64-level values.
    const read = replies.find((b) => b.type === "read_ok")!.value as Json[];
    expect(read.length).toBeGreaterThan(0);
    expect(read).toEqual(Array(read.length).fill(deep));
    d.restart("n3");
    d.run(40);
    const types = new Set(sent.map((m) => m.body.type));
    for (const t of ["raft_append", "raft_snapshot", "append_ok", "cas_ok", "read_ok"]) expect(types).toContain(t);
    for (const m of sent) {
      const decoded = decodeLine(encodeMessage(m), { schemas: nodeSchemas });
      if (!decoded.ok) throw new Error(`${m.body.type}: ${decoded.error.message}`);
    }
    expect(d.status("n3").lastApplied).toBe(d.status("n1").lastApplied);
  });
});
