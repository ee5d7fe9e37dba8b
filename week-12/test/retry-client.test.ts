/**
 * The retrying client's criteria, each through its check against the
 * workbook `DSLAB_WORKBOOK` names (the reference solutions under `npm test`).
 */
import { describe, expect, it } from "vitest";
import { RETRY_CLIENT_CHECKS } from "../checks/retry-client.js";
import { expectCheckPasses } from "../checks/vitest.js";
import { workbookFromEnv } from "../checks/workbook.js";
import { clientFactoryFor } from "../plug/client.js";
import { lostReplyScenario } from "../plug/lost-reply.js";

const CHECK_BY_ID = Object.fromEntries(RETRY_CLIENT_CHECKS.map((c) => [c.criterion, c]));
const check = (n: number) => CHECK_BY_ID[`w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#${n}`]!;

describe("the retrying client", () => {
  it("w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#1 all retries reuse the original request id", () => expectCheckPasses(check(1)));
  it("w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#2 the client follows a redirect to the correct leader", () => expectCheckPasses(check(2)));
  it("w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#3 exponential backoff with jitter on network timeout", () => expectCheckPasses(check(3)));
  it("w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#4 a retry limit prevents infinite retry loops", () => expectCheckPasses(check(4)));
  it("w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#5 server-side dedup ensures at-most-once application", () => expectCheckPasses(check(5)));
});

describe("the lost-reply scenario (the day file's proof)", () => {
  it("w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#5 prints a retry of a lost reply answered from the session table, as the proof asks", async () => {
    const lines = await lostReplyScenario(await clientFactoryFor(workbookFromEnv()));
    expect(lines).not.toBeNull();
    const text = lines!.join("\n");
    expect(text).toMatch(/\[dedup\] client \S+ seq \d+ is duplicate, returning cached result/);
    expect(text).toMatch(/\bretry(ing)?\b/);
    const [, client, seq] = /\[dedup\] client (\S+) seq (\d+)/.exec(text)!;
    expect(lines![0]).toContain(`client_id=${client} seq=${seq} attempt=1`);
    expect(lines![0]).toMatch(/outcome=timeout/);
    expect(lines!.at(-1)).toMatch(/action=succeed/);
  });
});
