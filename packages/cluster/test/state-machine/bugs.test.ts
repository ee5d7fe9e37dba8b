import { ErrorCode, type Body } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import type { ClusterBugs } from "../../src/contract.js";
import { SessionTable } from "../../src/state-machine/index.js";
import { Harness } from "./helpers.js";

const TIMEOUT = 1000;
const app = (client: string, seq: number, value: unknown) => ({ type: "append", key: "log", value, client_id: client, seq });

/**
 * Each scenario returns the list at "log" after a retry; the reference must
 * show exactly-once, and the named known-bad variant must visibly break it,
 * so the harness (issue 5) has something to catch.
 */
const scenarios: Array<{ bug: keyof ClusterBugs; title: string; run: (bugs: ClusterBugs) => unknown; reference: unknown; buggy: unknown }> = [
  {
    bug: "noSessions",
    title: "noSessions applies a duplicate a second time",
    run: (bugs) => {
      const h = new Harness({ bugs });
      h.req(app("c1", 1, "a"));
      h.req(app("c1", 1, "a"));
      return h.sm.read("log");
    },
    reference: ["a"],
    buggy: ["a", "a"],
  },
  {
    bug: "noSessions",
    title: "noSessions applies an idempotency-key retry a second time",
    run: (bugs) => {
      const h = new Harness({ bugs });
      h.req({ type: "incr", key: "log", delta: 1, idempotency_key: "k", fingerprint: "f" });
      h.req({ type: "incr", key: "log", delta: 1, idempotency_key: "k", fingerprint: "f" });
      return h.sm.read("log");
    },
    reference: 1,
    buggy: 2,
  },
  {
    bug: "sessionsNotInSnapshot",
    title: "sessionsNotInSnapshot: a replica restored from a snapshot applies the retry again",
    run: (bugs) => {
      const h = new Harness({ bugs });
      h.req(app("c1", 1, "a"));
      const copy = h.restoredCopy({ bugs });
      copy.req(app("c1", 1, "a"));
      return copy.sm.read("log");
    },
    reference: ["a"],
    buggy: ["a", "a"],
  },
  {
    bug: "localClockExpiry",
    title: "localClockExpiry: two replicas answer the same entry differently (one expires the session)",
    run: (bugs) => {
      // Same entries, same leader ts; only the replicas' own clocks differ.
      const replies = [0, 5 * TIMEOUT].map((skewMs) => {
        const h = new Harness({ bugs, sessionTimeoutMs: TIMEOUT });
        h.req(app("c1", 1, "a"), 0, skewMs);
        return h.req(app("c1", 2, "b"), 10, 10 + skewMs).type;
      });
      return replies;
    },
    reference: ["append_ok", "append_ok"],
    buggy: ["append_ok", "error"],
  },
  {
    bug: "seqLessThan",
    title: "seqLessThan treats seq == last as new and applies the retry again",
    run: (bugs) => {
      const h = new Harness({ bugs });
      h.req(app("c1", 1, "a"));
      h.req(app("c1", 1, "a"));
      return h.sm.read("log");
    },
    reference: ["a"],
    buggy: ["a", "a"],
  },
  {
    bug: "leaderOnlySessions",
    title: "leaderOnlySessions: apply itself never dedups (the composer's leader-side table must)",
    run: (bugs) => {
      const h = new Harness({ bugs });
      h.req(app("c1", 1, "a"));
      h.req(app("c1", 1, "a"));
      return h.sm.read("log");
    },
    reference: ["a"],
    buggy: ["a", "a"],
  },
];

describe("known-bad variants are small switches in the reference (contract.ts ClusterBugs)", () => {
  test.each(scenarios)("$title; the reference keeps exactly-once", ({ bug, run, reference, buggy }) => {
    expect(run({})).toEqual(reference);
    expect(run({ [bug]: true })).toEqual(buggy);
  });

  test("sessionsNotInSnapshot still writes a snapshot restore accepts, with empty session tables", () => {
    const h = new Harness({ bugs: { sessionsNotInSnapshot: true } });
    h.req(app("c1", 1, "a"));
    const snap = h.sm.snapshot() as { sessions: unknown[]; tombstones: unknown[]; idempotency_keys: unknown[] };
    expect([snap.sessions, snap.tombstones, snap.idempotency_keys]).toEqual([[], [], []]);
    expect(h.restoredCopy().sm.read("log")).toEqual(["a"]);
  });

  test("the exported SessionTable is what a leader-side dedup (leaderOnlySessions) uses: check, then record", () => {
    const table = new SessionTable({ sessionTimeoutMs: TIMEOUT, maxSessions: 10 });
    const reply: Body = { type: "append_ok", value: ["a"] };
    table.expire(0);
    expect(table.check("c1", 1, "f1", 0)).toEqual({ kind: "new" });
    table.record("c1", 1, "f1", reply, 0);
    expect(table.check("c1", 1, "f1", 5)).toEqual({ kind: "duplicate", response: reply });
    expect(table.check("c1", 1, "f2", 5)).toEqual({ kind: "reused", lastSeq: 1 });
    expect(table.check("c1", 0, "f0", 5)).toEqual({ kind: "stale", lastSeq: 1, ended: false });
    table.expire(5 + TIMEOUT + 1);
    expect(table.check("c1", 2, "f2", 5 + TIMEOUT + 1)).toEqual({ kind: "ended", reason: "expired", lastSeq: 1 });
    expect(ErrorCode.SessionExpired).toBe(1001);
  });
});

describe("SessionTable used outside apply (the composer's leader-side table)", () => {
  test("recording a reply for a client whose session ended while the request was in flight keeps it ended, without throwing", () => {
    const table = new SessionTable({ sessionTimeoutMs: TIMEOUT, maxSessions: 1 });
    table.record("c1", 1, "f1", { type: "write_ok" }, 0);
    expect(table.check("c1", 2, "f2", 1)).toEqual({ kind: "new" });
    table.record("c2", 1, "g1", { type: "write_ok" }, 2); // evicts c1 while its seq 2 is in flight
    expect(() => table.record("c1", 2, "f2", { type: "write_ok" }, 3)).not.toThrow();
    expect(table.check("c1", 2, "f2", 4)).toEqual({ kind: "ended", reason: "evicted", lastSeq: 1 });
  });
});
