/**
 * The retrying client's backoff check prints the range it holds a wait to:
 * ± 25% of 100 ms is 75..125 ms. Run on a workbook copy (the reference
 * solutions with one line changed), as `npm run check` runs it.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { RETRY_CLIENT_CHECKS } from "../../../week-12/checks/retry-client.js";
import { checkFailureOf, solutionsEdited } from "./helpers.js";

const ROOT = path.join(fileURLToPath(new URL("./.workbooks/", import.meta.url)), `retry-messages-${process.pid}`);
afterAll(() => rm(ROOT, { recursive: true, force: true }));

const solutionsWithEdit = (name: string, file: string, from: string, to: string): Promise<string> => solutionsEdited(path.join(ROOT, name), file, from, to);
const failureOf = (criterion: string, dir: string) => checkFailureOf(RETRY_CLIENT_CHECKS, criterion, dir);

describe("the retrying client's backoff check", () => {
  test("a first wait far below 100 ms ± 25% names the range as 75..125 ms, the tolerance itself", async () => {
    // Half of every jittered wait: the first retry waits 37..62 ms.
    const dir = await solutionsWithEdit("half", "src/retry-client.ts", "Math.floor(jittered)", "Math.floor(jittered / 2)");
    const f = await failureOf("w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#3", dir);
    expect(f?.message).toMatch(/^retry 1 waited \d+ ms; expected 100 ms ± 25% \(75\.\.125\): the wait starts at 100 ms and doubles per retry up to the 5000 ms cap$/);
  }, 60_000);

  test("a wait past the cap names the range of that retry, ± 25% of its exponential wait", async () => {
    // From the 6th retry on (100 × 2^5 = 3200 ms ± 25%), a wait far over the cap.
    const dir = await solutionsWithEdit("over-cap", "src/retry-client.ts", "return Math.max(policy.floorMs, Math.floor(jittered));", "return retry >= 6 ? 20000 : Math.max(policy.floorMs, Math.floor(jittered));");
    const f = await failureOf("w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#3", dir);
    expect(f?.message).toBe("retry 6 waited 20000 ms, above the 5000 ms cap: no wait is longer than the cap");
    expect(f?.expected).toBe("2400..4000 ms");
  }, 60_000);
});
