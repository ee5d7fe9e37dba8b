/**
 * A snapshot comes from a disk or a peer: one nested past the depth bound
 * is refused with a SnapshotFormatError naming where and the bound, before
 * anything walks it, and the machine keeps its state.
 */
import { MAX_JSON_DEPTH, MAX_MESSAGE_DEPTH, type Json } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import { parseSnapshot, SnapshotFormatError } from "../../src/state-machine/index.js";
import { Harness } from "./helpers.js";

function nested(levels: number, leaf: Json = 1): Json {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

/** A machine whose map holds the deepest value the cluster makes: a list a MAX_JSON_DEPTH-deep value was appended to. */
function deepest(): Harness {
  const h = new Harness({ maxValueBytes: undefined });
  h.req({ type: "write", key: "w", value: nested(MAX_JSON_DEPTH) });
  expect(h.req({ type: "append", key: "l", value: nested(MAX_JSON_DEPTH), client_id: "c1", seq: 1 })).toMatchObject({ type: "append_ok" });
  return h;
}

const snapshotOf = (h: Harness) => JSON.parse(JSON.stringify(h.sm.snapshot())) as { kv: Array<[unknown, Json]> } & Record<string, Json>;

describe("snapshot depth bound", () => {
  test("the deepest state the cluster itself can make survives a snapshot and a restore", () => {
    const h = deepest();
    const copy = new Harness();
    copy.sm.restore(snapshotOf(h));
    expect(copy.sm.read("l")).toEqual([nested(MAX_JSON_DEPTH)]);
    expect(JSON.stringify(copy.sm.snapshot())).toBe(JSON.stringify(h.sm.snapshot()));
  });

  test("a map value one level deeper than the map can hold is refused, naming the entry and the bound", () => {
    const data = snapshotOf(deepest());
    data.kv[0]![1] = nested(MAX_JSON_DEPTH + 2);
    expect(() => parseSnapshot(data)).toThrow(SnapshotFormatError);
    expect(() => parseSnapshot(data)).toThrow(`state machine snapshot: kv[0][1]: value nested deeper than ${MAX_JSON_DEPTH + 1} levels`);
  });

  test("a snapshot nested past MAX_MESSAGE_DEPTH anywhere (here a field nobody reads) is refused before it is walked, and the machine keeps its state", () => {
    const h = deepest();
    const data = snapshotOf(h);
    data.extra = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as Json;
    expect(() => parseSnapshot(data)).toThrow(`state machine snapshot: snapshot: snapshot nested deeper than ${MAX_MESSAGE_DEPTH} levels`);
    const sm = new Harness();
    sm.req({ type: "write", key: "kept", value: 1 });
    // restore validates before it changes anything.
    expect(() => sm.sm.restore(Object.freeze(data))).toThrow(SnapshotFormatError);
    expect(sm.sm.read("kept")).toBe(1);
    // Not frozen (as read back from disk): refused by the check, not by a stack overflow in the copy.
    expect(() => sm.sm.restore(data)).toThrow(SnapshotFormatError);
    expect(sm.sm.read("kept")).toBe(1);
  });
});
