import { ErrorCode } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import type { KvStateMachineOptions } from "../../src/state-machine/index.js";
import { Harness } from "./helpers.js";

type Req = Record<string, unknown>;
interface Step {
  /** Leader timestamp of the entry (ms). */
  at: number;
  req: Req;
  reply: Record<string, unknown>;
}
interface Row {
  title: string;
  opts?: Partial<KvStateMachineOptions>;
  steps: Step[];
  /** The list at key "log" afterwards: shows how many times appends were applied. */
  list: unknown;
  sessions?: number;
}

const TIMEOUT = 1000;
const app = (client: string | undefined, seq: number | undefined, value: unknown): Req => ({
  type: "append",
  key: "log",
  value,
  ...(client === undefined ? {} : { client_id: client }),
  ...(seq === undefined ? {} : { seq }),
});
const ok = (value: unknown[]) => ({ type: "append_ok", value });
const err = (code: number) => ({ type: "error", code });

// The session cases, each a short script of entries.
const rows: Row[] = [
  {
    title: "first request of a client is applied and opens a session",
    steps: [{ at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) }],
    list: ["a"],
    sessions: 1,
  },
  {
    title: "duplicate (same client_id and seq) gets the cached response and is not applied again",
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 10, req: app("c1", 1, "a"), reply: ok(["a"]) },
    ],
    list: ["a"],
  },
  {
    title: "duplicate is answered with the first response even after other clients changed the key",
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 1, req: app("c2", 1, "b"), reply: ok(["a", "b"]) },
      { at: 2, req: app("c1", 1, "a"), reply: ok(["a"]) },
    ],
    list: ["a", "b"],
  },
  {
    title: "duplicate of a request that failed gets the same error, even if it would succeed now",
    steps: [
      { at: 0, req: { type: "cas", key: "log", from: [], to: ["x"], client_id: "c1", seq: 1 }, reply: err(ErrorCode.KeyDoesNotExist) },
      { at: 1, req: { type: "write", key: "log", value: [], client_id: "c2", seq: 1 }, reply: { type: "write_ok" } },
      { at: 2, req: { type: "cas", key: "log", from: [], to: ["x"], client_id: "c1", seq: 1 }, reply: err(ErrorCode.KeyDoesNotExist) },
    ],
    list: [],
  },
  {
    title: "stale seq (below the last applied) is definite error 1000 and never applied",
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 1, req: app("c1", 2, "b"), reply: ok(["a", "b"]) },
      { at: 2, req: app("c1", 1, "a"), reply: err(ErrorCode.StaleRequest) },
    ],
    list: ["a", "b"],
  },
  {
    title: "a later seq is applied even with a gap (seq need not be contiguous)",
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 1, req: app("c1", 5, "b"), reply: ok(["a", "b"]) },
      { at: 2, req: app("c1", 3, "c"), reply: err(ErrorCode.StaleRequest) },
    ],
    list: ["a", "b"],
  },
  {
    title: "an unknown client_id with seq > 1 is refused with 1006 (indefinite), not applied: it may be a late copy from a forgotten session",
    steps: [{ at: 0, req: app("c9", 7, "a"), reply: err(ErrorCode.SessionUnknown) }],
    list: undefined,
    sessions: 0,
  },
  {
    title: "a client_id refused for an unknown seq > 1 is tombstoned: its seq 1 is refused too",
    steps: [
      { at: 0, req: app("c9", 2, "b"), reply: err(ErrorCode.SessionUnknown) },
      { at: 1, req: app("c9", 1, "a"), reply: err(ErrorCode.SessionUnknown) },
      { at: 2, req: app("c10", 1, "c"), reply: ok(["c"]) },
    ],
    list: ["c"],
    sessions: 1,
  },
  {
    title: "a copy of an expired session's last applied seq gets 1005 (applied, reply no longer kept), never a second application nor a definite failure",
    opts: { sessionTimeoutMs: TIMEOUT },
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: TIMEOUT + 1, req: app("c1", 1, "a"), reply: err(ErrorCode.ReplyUnavailable) },
    ],
    list: ["a"],
    sessions: 0,
  },
  {
    title: "a session idle for exactly sessionTimeoutMs is still live (expiry is strictly after)",
    opts: { sessionTimeoutMs: TIMEOUT },
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: TIMEOUT, req: app("c1", 1, "a"), reply: ok(["a"]) },
    ],
    list: ["a"],
    sessions: 1,
  },
  {
    title: "an expired session refuses seqs above its last with a definite 1001: the client must start a new client_id",
    opts: { sessionTimeoutMs: TIMEOUT },
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: TIMEOUT + 1, req: app("c1", 2, "b"), reply: err(ErrorCode.SessionExpired) },
      { at: TIMEOUT + 2, req: app("c2", 1, "c"), reply: ok(["a", "c"]) },
    ],
    list: ["a", "c"],
  },
  {
    title: "any entry advances expiry: a session ends on a noop's or another client's ts",
    opts: { sessionTimeoutMs: TIMEOUT },
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: TIMEOUT + 1, req: app("c2", 1, "b"), reply: ok(["a", "b"]) },
    ],
    list: ["a", "b"],
    sessions: 1,
  },
  {
    title: "a duplicate counts as activity: a client that keeps retrying keeps its session",
    opts: { sessionTimeoutMs: TIMEOUT },
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 900, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 1800, req: app("c1", 1, "a"), reply: ok(["a"]) },
    ],
    list: ["a"],
    sessions: 1,
  },
  {
    title: "a stale request is not activity: it does not keep a session alive",
    opts: { sessionTimeoutMs: TIMEOUT },
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 1, req: app("c1", 2, "b"), reply: ok(["a", "b"]) },
      { at: 900, req: app("c1", 1, "a"), reply: err(ErrorCode.StaleRequest) },
      { at: 1002, req: app("c1", 2, "b"), reply: err(ErrorCode.ReplyUnavailable) },
      { at: 1003, req: app("c1", 1, "a"), reply: err(ErrorCode.StaleRequest) },
      { at: 1004, req: app("c1", 3, "c"), reply: err(ErrorCode.SessionExpired) },
    ],
    list: ["a", "b"],
  },
  {
    title: "time never runs backwards: an entry stamped earlier by a new leader does not undo an expiry",
    opts: { sessionTimeoutMs: TIMEOUT },
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: TIMEOUT + 1, req: app("c2", 1, "b"), reply: ok(["a", "b"]) },
      { at: 500, req: app("c1", 1, "a"), reply: err(ErrorCode.ReplyUnavailable) },
    ],
    list: ["a", "b"],
  },
  {
    title: "a tombstone is renewed by each refusal, so a client retrying for long is still refused",
    opts: { sessionTimeoutMs: TIMEOUT },
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 1001, req: app("c1", 2, "b"), reply: err(ErrorCode.SessionExpired) },
      { at: 1900, req: app("c1", 2, "b"), reply: err(ErrorCode.SessionExpired) },
      { at: 2800, req: app("c1", 1, "a"), reply: err(ErrorCode.ReplyUnavailable) },
    ],
    list: ["a"],
  },
  {
    title: "after an expired session's tombstone is forgotten, a late copy with seq > 1 is still refused (1006, indefinite: whether it was applied cannot be told), not applied again",
    opts: { sessionTimeoutMs: TIMEOUT },
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 1, req: app("c1", 2, "b"), reply: ok(["a", "b"]) },
      { at: 1002, req: app("c2", 1, "c"), reply: ok(["a", "b", "c"]) },
      { at: 2003, req: app("c3", 1, "d"), reply: ok(["a", "b", "c", "d"]) },
      { at: 2004, req: app("c1", 2, "b"), reply: err(ErrorCode.SessionUnknown) },
    ],
    list: ["a", "b", "c", "d"],
  },
  {
    title: "a tombstone is forgotten sessionTimeoutMs after its last refusal; only a seq 1 of that client_id is then new (documented bound)",
    opts: { sessionTimeoutMs: TIMEOUT },
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 1001, req: app("c2", 1, "b"), reply: ok(["a", "b"]) },
      { at: 2002, req: app("c1", 1, "c"), reply: ok(["a", "b", "c"]) },
    ],
    list: ["a", "b", "c"],
  },
  {
    title: "at the maxSessions bound a new client evicts the least recently active, whose retry of its last seq then gets 1005 and a new seq 1001",
    opts: { maxSessions: 2 },
    steps: [
      { at: 0, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 1, req: app("c2", 1, "b"), reply: ok(["a", "b"]) },
      { at: 2, req: app("c1", 2, "c"), reply: ok(["a", "b", "c"]) },
      { at: 3, req: app("c3", 1, "d"), reply: ok(["a", "b", "c", "d"]) },
      { at: 4, req: app("c2", 1, "b"), reply: err(ErrorCode.ReplyUnavailable) },
      { at: 5, req: app("c2", 2, "x"), reply: err(ErrorCode.SessionExpired) },
      { at: 6, req: app("c1", 2, "c"), reply: ok(["a", "b", "c"]) },
    ],
    list: ["a", "b", "c", "d"],
    sessions: 2,
  },
  {
    title: "eviction ties (same ts) are broken by apply order, the same on every replica",
    opts: { maxSessions: 2 },
    steps: [
      { at: 7, req: app("zz", 1, "a"), reply: ok(["a"]) },
      { at: 7, req: app("aa", 1, "b"), reply: ok(["a", "b"]) },
      { at: 7, req: app("mm", 1, "c"), reply: ok(["a", "b", "c"]) },
      { at: 7, req: app("zz", 1, "a"), reply: err(ErrorCode.ReplyUnavailable) },
      { at: 7, req: app("aa", 1, "b"), reply: ok(["a", "b"]) },
    ],
    list: ["a", "b", "c"],
    sessions: 2,
  },
  {
    title: "requests without client_id and seq (plain Maelstrom clients) are applied every time, no dedup",
    steps: [
      { at: 0, req: app(undefined, undefined, "a"), reply: ok(["a"]) },
      { at: 1, req: app(undefined, undefined, "a"), reply: ok(["a", "a"]) },
    ],
    list: ["a", "a"],
    sessions: 0,
  },
  {
    title: "client_id without seq is a definite error 12 and applies nothing",
    steps: [{ at: 0, req: app("c1", undefined, "a"), reply: err(ErrorCode.MalformedRequest) }],
    list: undefined,
    sessions: 0,
  },
  {
    title: "seq 0 is a definite error 12 (seq is a positive integer)",
    steps: [{ at: 0, req: app("c1", 0, "a"), reply: err(ErrorCode.MalformedRequest) }],
    list: undefined,
    sessions: 0,
  },
  {
    title: "a malformed request does not use up its seq: the corrected request with the same seq is applied",
    steps: [
      { at: 0, req: { type: "incr", key: "n", delta: "1", client_id: "c1", seq: 1 }, reply: err(ErrorCode.MalformedRequest) },
      { at: 1, req: app("c1", 1, "a"), reply: ok(["a"]) },
    ],
    list: ["a"],
    sessions: 1,
  },
  {
    title: "reads need no session: a read's client_id and seq are ignored",
    steps: [
      { at: 0, req: { type: "read", key: "log", client_id: "c1", seq: 1 }, reply: err(ErrorCode.KeyDoesNotExist) },
      { at: 1, req: app("c1", 1, "a"), reply: ok(["a"]) },
      { at: 2, req: { type: "read", key: "log", client_id: "c1", seq: 1 }, reply: { type: "read_ok", value: ["a"] } },
    ],
    list: ["a"],
    sessions: 1,
  },
];

describe("client sessions: duplicate, stale, expired, bounds", () => {
  test.each(rows)("$title", ({ opts, steps, list, sessions }) => {
    const h = new Harness(opts);
    steps.forEach((s, i) => {
      expect(h.req(s.req, s.at), `step ${i + 1}`).toMatchObject(s.reply);
    });
    expect(h.sm.read("log")).toEqual(list);
    if (sessions !== undefined) expect(h.sm.sessionCount()).toBe(sessions);
  });

  test("a duplicate is a typed event, rendered as exactly `[dedup] client <id> seq <n> is duplicate, returning cached result`", () => {
    const h = new Harness();
    for (let seq = 1; seq <= 5; seq++) h.req(app("42", seq, "a"));
    expect(h.events).toEqual([]);
    h.req(app("42", 5, "a"));
    expect(h.events).toEqual([{ type: "duplicate-answered", clientId: "42", seq: 5 }]);
    expect(h.logs).toEqual(["[dedup] client 42 seq 5 is duplicate, returning cached result"]);
  });

  test("stale, expired and evicted requests leave log lines a person can read", () => {
    const h = new Harness({ sessionTimeoutMs: TIMEOUT, maxSessions: 1 });
    h.req(app("c1", 1, "a"), 0);
    h.req(app("c1", 2, "b"), 1);
    h.req(app("c1", 1, "a"), 2);
    h.req(app("c2", 1, "c"), 3);
    h.req(app("c1", 3, "d"), 4);
    h.req(app("c2", 2, "e"), 3 + TIMEOUT + 1);
    h.req(app("c7", 4, "f"), 3 + TIMEOUT + 2);
    expect(h.logs).toEqual([
      "[dedup] client c1 seq 1 is stale (last applied seq 2), refused",
      "[session] client c1 evicted: the bound of 1 live sessions was reached and it was the least recently active (last seq 2)",
      "[session] client c1 seq 3 refused: its session was evicted (too many sessions) at seq 2",
      "[session] client c2 expired after 1001 ms idle (timeout 1000 ms), last seq 1",
      "[session] tombstone of client c1 dropped: the bound of 1 tombstones was reached",
      "[session] client c2 seq 2 refused: its session expired at seq 1",
      "[session] tombstone of client c2 dropped: the bound of 1 tombstones was reached",
      "[session] client c7 seq 4 refused: it has no session and a session begins at seq 1 (it may be a late copy from a session already forgotten)",
    ]);
  });

  test("the reply to a duplicate is a fresh object: a caller adding msg_id does not change the cache", () => {
    const h = new Harness();
    const first = h.req(app("c1", 1, "a"));
    first.msg_id = 99;
    const again = h.req(app("c1", 1, "a"));
    expect(again).toEqual(ok(["a"]));
    (again as Record<string, unknown>).in_reply_to = 3;
    expect(h.req(app("c1", 1, "a"))).toEqual(ok(["a"]));
  });

  test("tombstones are bounded by maxSessions too: the oldest is dropped", () => {
    const h = new Harness({ maxSessions: 2 });
    for (let i = 1; i <= 6; i++) h.req(app(`c${i}`, 1, i), i);
    expect(h.sm.sessionCount()).toBe(2);
    expect(h.sm.tombstoneCount()).toBe(2);
    expect(h.req(app("c4", 1, 4), 7)).toMatchObject(err(ErrorCode.ReplyUnavailable));
    // c1's tombstone was dropped: its late copy of a seq > 1 is still refused, its seq 1 is new again.
    expect(h.req(app("c1", 2, "again"), 8)).toMatchObject(err(ErrorCode.SessionUnknown));
    expect(h.req(app("c2", 1, "again"), 9)).toMatchObject({ type: "append_ok" });
  });

  test("a refused seq > 1 reply says why and what to do", () => {
    const h = new Harness();
    expect(h.req(app("c1", 3, "x"))).toMatchObject({
      type: "error",
      code: ErrorCode.SessionUnknown,
      text: expect.stringMatching(/client c1 has no session, and a session begins at seq 1.*Whether seq 3 was applied before cannot be told; it is not applied now, and a retry gets this same answer\. Start a new client_id \(at seq 1\)/),
    });
  });

  test("after a refused seq > 1, a seq 1 of the same client_id is refused too, and the reply says so instead of asking for seq 1", () => {
    const h = new Harness();
    h.req(app("c1", 3, "x"));
    const r = h.req(app("c1", 1, "x"));
    expect(r).toMatchObject({ type: "error", code: ErrorCode.SessionUnknown });
    expect(String(r.text)).toMatch(/^client c1 was refused before for a seq above 1 with no session .* every seq of this client_id is refused now, seq 1 too: a seq 1 could be a late copy of its first session's\. Whether seq 1 was applied/);
    expect(String(r.text)).not.toContain("a session begins at seq 1");
    expect(h.sm.read("log")).toBeUndefined();
  });

  test("a seq reused for a different request is refused with 1007, never answered with the other request's reply", () => {
    const h = new Harness();
    expect(h.req(app("c1", 1, "a"))).toEqual(ok(["a"]));
    expect(h.req({ type: "write", key: "y", value: 99, client_id: "c1", seq: 1 })).toMatchObject({
      type: "error",
      code: ErrorCode.SeqReused,
      text: expect.stringContaining("c1 seq 1 was already used for a different request; this write was not applied"),
    });
    expect(h.req(app("c1", 1, "b"))).toMatchObject(err(ErrorCode.SeqReused));
    expect(h.sm.read("y")).toBeUndefined();
    expect(h.sm.read("log")).toEqual(["a"]);
    // A copy of the applied request is still its duplicate.
    expect(h.req(app("c1", 1, "a"))).toEqual(ok(["a"]));
  });

  test("key order inside a value does not make a copy a different request", () => {
    const h = new Harness();
    h.req({ type: "write", key: "k", value: { a: 1, b: [1, { c: 2, d: 3 }] }, client_id: "c1", seq: 1 });
    expect(h.req({ type: "write", key: "k", value: { b: [1, { d: 3, c: 2 }], a: 1 }, client_id: "c1", seq: 1 })).toEqual({ type: "write_ok" });
    expect(h.req({ type: "write", key: "k", value: { a: 1, b: [{ c: 2, d: 3 }, 1] }, client_id: "c1", seq: 1 })).toMatchObject(err(ErrorCode.SeqReused));
  });

  test("a long value is fingerprinted by its hash, and a copy of it is still recognised", () => {
    const h = new Harness({ maxValueBytes: 100_000 });
    const big = "x".repeat(10_000);
    h.req({ type: "write", key: "k", value: big, client_id: "c1", seq: 1 });
    const snap = h.sm.snapshot() as { sessions: Array<{ fingerprint: string }> };
    expect(snap.sessions[0]!.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(h.req({ type: "write", key: "k", value: big, client_id: "c1", seq: 1 })).toEqual({ type: "write_ok" });
    expect(h.req({ type: "write", key: "k", value: `${big}y`, client_id: "c1", seq: 1 })).toMatchObject(err(ErrorCode.SeqReused));
  });

  test("expiring 20,000 sessions at once takes one pass and leaves the tables bounded", () => {
    const h = new Harness({ sessionTimeoutMs: TIMEOUT, maxSessions: 50_000 });
    for (let i = 0; i < 20_000; i++) h.req({ type: "write", key: i % 10, value: i, client_id: `c${i}`, seq: 1 }, i % 100);
    expect(h.sm.sessionCount()).toBe(20_000);
    h.noop(10 * TIMEOUT);
    expect(h.sm.sessionCount()).toBe(0);
    expect(h.sm.tombstoneCount()).toBe(20_000);
    h.noop(100 * TIMEOUT);
    expect(h.sm.tombstoneCount()).toBe(0);
  });
});

describe("sessions survive a snapshot restore", () => {
  const setup = () => {
    const h = new Harness({ sessionTimeoutMs: TIMEOUT, maxSessions: 3 });
    h.req(app("c1", 1, "a"), 0);
    h.req(app("c2", 1, "b"), 10);
    h.req(app("c2", 2, "c"), 20);
    h.req(app("old", 1, "d"), 30);
    h.req(app("c3", 1, "e"), 40); // evicts c1 (bound 3)
    return h;
  };

  test.each([
    { title: "a duplicate is answered from the restored session, not applied again", req: app("c2", 2, "c"), at: 50, reply: ok(["a", "b", "c"]) },
    { title: "a stale request is still refused with 1000", req: app("c2", 1, "b"), at: 50, reply: err(ErrorCode.StaleRequest) },
    { title: "an evicted client's tombstone survives with its last seq: a copy of it gets 1005", req: app("c1", 1, "a"), at: 50, reply: err(ErrorCode.ReplyUnavailable) },
    { title: "an evicted client's tombstone refuses a new seq with 1001", req: app("c1", 2, "z"), at: 50, reply: err(ErrorCode.SessionExpired) },
    { title: "a session expires by the restored activity times", req: app("old", 1, "d"), at: 30 + TIMEOUT + 1, reply: err(ErrorCode.ReplyUnavailable) },
    { title: "a restored session still tells a reused seq from a copy", req: app("c2", 2, "other"), at: 50, reply: err(ErrorCode.SeqReused) },
    { title: "a new seq is applied once", req: app("c3", 2, "f"), at: 50, reply: ok(["a", "b", "c", "d", "e", "f"]) },
  ])("$title", ({ req, at, reply }) => {
    const original = setup();
    const copy = original.restoredCopy({ sessionTimeoutMs: TIMEOUT, maxSessions: 3 });
    const fromCopy = copy.req(req, at);
    expect(fromCopy).toMatchObject(reply);
    expect(original.req(req, at)).toEqual(fromCopy);
    expect(copy.sm.snapshot()).toEqual(original.sm.snapshot());
  });
});
