import { describe, expect, test } from "vitest";
import { SNAPSHOT_FORMAT, SnapshotFormatError } from "../../src/state-machine/index.js";
import { Harness } from "./helpers.js";

const sample = () => {
  const h = new Harness({ maxSessions: 2 });
  h.req({ type: "write", key: "b", value: 1, client_id: "c1", seq: 1 }, 10);
  h.req({ type: "write", key: 3, value: [0], client_id: "c2", seq: 1 }, 15);
  h.req({ type: "write", key: 3, value: [1], client_id: "c2", seq: 4 }, 20);
  h.req({ type: "append", key: "a", value: "x", client_id: "c3", seq: 1 }, 30); // evicts c1
  h.req({ type: "incr", key: "n", delta: 2, idempotency_key: "k", fingerprint: "f" }, 40);
  return h;
};
/** Short requests are fingerprinted verbatim: the operation and its arguments, in a fixed order. */
const FP_C2 = JSON.stringify(["write", 3, [1], null, null, null, null]);
const FP_C3 = JSON.stringify(["append", "a", "x", null, null, null, null]);

describe("state machine snapshots include the sessions", () => {
  test("a snapshot holds the map, the sessions, the tombstones and the idempotency keys, in a documented order", () => {
    expect(sample().sm.snapshot()).toEqual({
      format: SNAPSHOT_FORMAT,
      applied_index: 5,
      clock_ms: 40,
      kv: [
        [3, [1]],
        ["a", ["x"]],
        ["b", 1],
        ["n", 2],
      ],
      sessions: [
        { client_id: "c2", last_seq: 4, fingerprint: FP_C2, last_activity_ms: 20, response: { type: "write_ok" } },
        { client_id: "c3", last_seq: 1, fingerprint: FP_C3, last_activity_ms: 30, response: { type: "append_ok", value: ["x"] } },
      ],
      tombstones: [{ client_id: "c1", last_seen_ms: 30, reason: "evicted", last_seq: 1 }],
      idempotency_keys: [{ key: "k", fingerprint: "f", created_ms: 40, response: { type: "incr_ok", value: 2 } }],
    });
  });

  test("equal maps give byte-identical snapshots whatever order the keys were written in", () => {
    const a = new Harness();
    const b = new Harness();
    for (const k of ["z", 2, "a", 10, "m"]) a.req({ type: "write", key: k, value: k });
    for (const k of ["m", 10, "a", 2, "z"]) b.req({ type: "write", key: k, value: k });
    expect(JSON.stringify(a.sm.snapshot())).toBe(JSON.stringify(b.sm.snapshot()));
  });

  test("restore replaces the whole state, and a snapshot of the restored machine is identical", () => {
    const src = sample();
    const dst = new Harness();
    dst.req({ type: "write", key: "stale", value: 1, client_id: "zz", seq: 1 });
    dst.sm.restore(JSON.parse(JSON.stringify(src.sm.snapshot())));
    expect(dst.sm.read("stale")).toBeUndefined();
    expect(JSON.stringify(dst.sm.snapshot())).toBe(JSON.stringify(src.sm.snapshot()));
    expect(dst.sm.sessionCount()).toBe(2);
    expect(dst.sm.tombstoneCount()).toBe(1);
    expect(dst.sm.idempotencyKeyCount()).toBe(1);
    expect(dst.sm.appliedIndex()).toBe(5);
    expect(dst.sm.clockMs()).toBe(40);
  });

  test("a restored machine does not share values with the snapshot it was given", () => {
    const src = sample();
    const data = src.sm.snapshot() as { kv: Array<[unknown, unknown[]]> };
    const dst = new Harness();
    dst.sm.restore(data as never);
    (data.kv[0]![1] as unknown[]).push("mutated");
    expect(dst.sm.read(3)).toEqual([1]);
  });

  type Snap = Record<string, unknown> & { kv: unknown[]; sessions: Array<Record<string, unknown>>; tombstones: Array<Record<string, unknown>>; idempotency_keys: Array<Record<string, unknown>> };
  const bad: Array<{ title: string; mutate: (s: Snap) => unknown; path: string }> = [
    { title: "not an object", mutate: () => [1, 2], path: "snapshot" },
    { title: "an unknown format", mutate: (s) => ({ ...s, format: "raft-kv/9" }), path: "format" },
    { title: "a negative applied_index", mutate: (s) => ({ ...s, applied_index: -1 }), path: "applied_index" },
    { title: "a clock that is not a number", mutate: (s) => ({ ...s, clock_ms: "40" }), path: "clock_ms" },
    { title: "kv that is not an array", mutate: (s) => ({ ...s, kv: {} }), path: "kv" },
    { title: "a kv entry that is not a pair", mutate: (s) => ({ ...s, kv: [["a"]] }), path: "kv[0]" },
    { title: "a kv key that is an object", mutate: (s) => ({ ...s, kv: [[{}, 1]] }), path: "kv[0][0]" },
    { title: "kv keys out of order", mutate: (s) => ({ ...s, kv: [["b", 1], ["a", 1]] }), path: "kv[1]" },
    { title: "a repeated kv key", mutate: (s) => ({ ...s, kv: [["a", 1], ["a", 2]] }), path: "kv[1]" },
    { title: "a session without client_id", mutate: (s) => (delete s.sessions[0]!.client_id, s), path: "sessions[0].client_id" },
    { title: "a session with seq 0", mutate: (s) => ((s.sessions[0]!.last_seq = 0), s), path: "sessions[0].last_seq" },
    { title: "a session whose response has no type", mutate: (s) => ((s.sessions[1]!.response = {}), s), path: "sessions[1].response.type" },
    { title: "sessions not oldest first", mutate: (s) => (s.sessions.reverse(), s), path: "sessions[1].last_activity_ms" },
    { title: "a session active after the clock", mutate: (s) => ((s.sessions[1]!.last_activity_ms = 99), s), path: "sessions[1].last_activity_ms" },
    { title: "a client both live and tombstoned", mutate: (s) => ((s.tombstones[0]!.client_id = "c2"), s), path: "tombstones[0].client_id" },
    { title: "a tombstone with an unknown reason", mutate: (s) => ((s.tombstones[0]!.reason = "bored"), s), path: "tombstones[0].reason" },
    { title: "an evicted session's tombstone without its last seq", mutate: (s) => ((s.tombstones[0]!.last_seq = null), s), path: "tombstones[0].last_seq" },
    { title: "a session without a request fingerprint", mutate: (s) => (delete s.sessions[0]!.fingerprint, s), path: "sessions[0].fingerprint" },
    { title: "an idempotency key without fingerprint", mutate: (s) => (delete s.idempotency_keys[0]!.fingerprint, s), path: "idempotency_keys[0].fingerprint" },
    { title: "a missing idempotency_keys table", mutate: (s) => (delete (s as Record<string, unknown>).idempotency_keys, s), path: "idempotency_keys" },
  ];

  test.each(bad)("restore refuses a snapshot with $title, naming the field, and keeps its state", ({ mutate, path }) => {
    const data = mutate(JSON.parse(JSON.stringify(sample().sm.snapshot())) as Snap);
    const h = new Harness();
    h.req({ type: "write", key: "mine", value: 1, client_id: "me", seq: 1 });
    const before = JSON.stringify(h.sm.snapshot());
    let thrown: unknown;
    try {
      h.sm.restore(data as never);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(SnapshotFormatError);
    expect((thrown as SnapshotFormatError).path).toBe(path);
    expect((thrown as Error).message).toContain(path);
    expect(JSON.stringify(h.sm.snapshot())).toBe(before);
  });
});
