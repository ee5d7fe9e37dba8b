/**
 * The known-bad session tables (test/known-bad/) plug into the state machine
 * through its `sessionStore` seam, as the workbook's tracker does. Each must
 * visibly break exactly-once where the reference keeps it, so the harness
 * has something to catch.
 */
import { describe, expect, test } from "vitest";
import { SessionTable, type SessionStoreFactory } from "../../src/state-machine/index.js";
import { LocalClockTable } from "../known-bad/local-clock-expiry.js";
import { NoDedupTable } from "../known-bad/no-sessions.js";
import { SeqLessThanTable } from "../known-bad/seq-less-than.js";
import { ForgetfulTable } from "../known-bad/sessions-not-in-snapshot.js";
import { Harness } from "./helpers.js";

const TIMEOUT = 1000;
const app = (client: string, seq: number, value: unknown) => ({ type: "append", key: "log", value, client_id: client, seq });
const reference: SessionStoreFactory = (o) => new SessionTable(o);

const scenarios: Array<{ title: string; buggy: SessionStoreFactory; run: (table: SessionStoreFactory) => unknown; kept: unknown; broken: unknown }> = [
  {
    title: "a table that never finds a duplicate applies a retry a second time",
    buggy: (o) => new NoDedupTable(o),
    run: (sessionStore) => {
      const h = new Harness({ sessionStore });
      h.req(app("c1", 1, "a"));
      h.req(app("c1", 1, "a"));
      return h.sm.read("log");
    },
    kept: ["a"],
    broken: ["a", "a"],
  },
  {
    title: "a table left out of snapshots: a replica restored from one applies the retry again",
    buggy: (o) => new ForgetfulTable(o),
    run: (sessionStore) => {
      const h = new Harness({ sessionStore });
      h.req(app("c1", 1, "a"));
      const copy = h.restoredCopy({ sessionStore });
      copy.req(app("c1", 1, "a"));
      return copy.sm.read("log");
    },
    kept: ["a"],
    broken: ["a", "a"],
  },
  {
    title: "a table that expires by the replica's own clock: two replicas answer the same entry differently",
    buggy: (o) => new LocalClockTable(o, () => localNowMs),
    run: (sessionStore) => {
      // Same entries, same leader ts; only the replicas' own clocks differ.
      return [0, 5 * TIMEOUT].map((skewMs) => {
        const h = new Harness({ sessionStore, sessionTimeoutMs: TIMEOUT });
        localNowMs = skewMs;
        h.req(app("c1", 1, "a"), 0);
        localNowMs = 10 + skewMs;
        return h.req(app("c1", 2, "b"), 10).type;
      });
    },
    kept: ["append_ok", "append_ok"],
    broken: ["append_ok", "error"],
  },
  {
    title: "a table comparing with `<` where `<=` is needed applies a retry of the last seq again",
    buggy: (o) => new SeqLessThanTable(o),
    run: (sessionStore) => {
      const h = new Harness({ sessionStore });
      h.req(app("c1", 1, "a"));
      h.req(app("c1", 1, "a"));
      return h.sm.read("log");
    },
    kept: ["a"],
    broken: ["a", "a"],
  },
];
/** The replica's own clock, read only by the known-bad LocalClockTable. */
let localNowMs = 0;

describe("known-bad session tables plugged in through the sessionStore seam", () => {
  test.each(scenarios)("$title; the reference keeps exactly-once", ({ buggy, run, kept, broken }) => {
    expect(run(reference)).toEqual(kept);
    expect(run(buggy)).toEqual(broken);
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
