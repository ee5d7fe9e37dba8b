/**
 * The client tracker and the dedup store (w11-l04; d04 of the leader
 * election and client idempotency week): one test per criterion, each
 * running the check `npm run check` runs, against the workbook
 * `DSLAB_WORKBOOK` names (the reference solutions under `npm test`).
 */
import { describe, it } from "vitest";
import { DEDUP_STORE_CHECKS } from "../checks/dedup-store.js";
import { expectCheckPasses } from "../checks/vitest.js";

const check = (id: string) => {
  const found = DEDUP_STORE_CHECKS.find((c) => c.criterion === id);
  if (!found) throw new Error(`no check for ${id}`);
  return found;
};

describe("w11-l04: idempotent writes", () => {
  it("w11-l04#1 a repeated write (same client_id and seq) is answered from the table and not applied again", () => expectCheckPasses(check("w11-l04#1")));
  it("w11-l04#2 the table keeps, per client, the last seq and its cached result; a newer seq replaces them", () => expectCheckPasses(check("w11-l04#2")));
  it("w11-l04#3 reads are not deduplicated: a read always returns the latest value", () => expectCheckPasses(check("w11-l04#3")));
});

describe("d04: the dedup store", () => {
  it("w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#1 a repeated (client, seq) is answered from the cache and not applied again, in the node program", () =>
    expectCheckPasses(check("w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#1")));
  it("w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#2 a late request with a lower seq is refused (error 1000), never applied", () =>
    expectCheckPasses(check("w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#2")));
  it("w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#3 sessions live in the replicated state machine: a retry is answered from the session after a leader change, a restart and a snapshot install", () =>
    expectCheckPasses(check("w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#3")));
  it("w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#4 sessions idle longer than the timeout are collected by the time in the log, the same on every replica", () =>
    expectCheckPasses(check("w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#4")));
  it("w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#5 the sample case: init then a write from c1 with seq 1 give exactly the expected init_ok and write_ok lines", () =>
    expectCheckPasses(check("w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#5")));
});
