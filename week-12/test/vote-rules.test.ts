/**
 * The vote-rules lesson's criteria, one test each: the same checks
 * `npm run check -- --lesson vote` runs, against the workbook DSLAB_WORKBOOK
 * names (the reference solutions under `npm test`).
 */
import { describe, it } from "vitest";
import { VOTE_RULES_CHECKS } from "../checks/vote-rules.js";
import { expectCheckPasses } from "../checks/vitest.js";

const CHECK_BY_ID = Object.fromEntries(VOTE_RULES_CHECKS.map((c) => [c.criterion, c]));
const check = (n: number) => CHECK_BY_ID[`w12-leader-election-client-idempotency-d02-quest-vote-rules-2h#${n}`]!;

describe("vote rules", () => {
  it("w12-leader-election-client-idempotency-d02-quest-vote-rules-2h#1 at most one vote per term: a second candidate in the same term is refused", () =>
    expectCheckPasses(check(1)));
  it("w12-leader-election-client-idempotency-d02-quest-vote-rules-2h#2 a candidate whose log is less up to date than the voter's is refused", () =>
    expectCheckPasses(check(2)));
  it("w12-leader-election-client-idempotency-d02-quest-vote-rules-2h#3 a higher term makes the node adopt it and step down before deciding", () =>
    expectCheckPasses(check(3)));
  it("w12-leader-election-client-idempotency-d02-quest-vote-rules-2h#4 the election timeout is drawn from the injected PRNG, within [min, max]", () =>
    expectCheckPasses(check(4)));
  it("w12-leader-election-client-idempotency-d02-quest-vote-rules-2h#5 under partitions and crashes, 3 and 5 nodes elect at most one leader per term and lose no committed entry", () =>
    expectCheckPasses(check(5)));
});
