/**
 * The retrying client's backoff check prints the range it holds a wait to:
 * ± 25% of 100 ms is 75..125 ms. Run on a workbook copy (the reference
 * solutions with one line changed), as `npm run check` runs it.
 */
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { CheckFailure, openWorkbook, type CheckContext } from "../../../week-12/checks/index.js";
import { RETRY_CLIENT_CHECKS } from "../../../week-12/checks/retry-client.js";
import { REPO } from "../helpers/cli.js";

const ROOT = path.join(fileURLToPath(new URL("./.workbooks/", import.meta.url)), `retry-messages-${process.pid}`);
afterAll(() => rm(ROOT, { recursive: true, force: true }));

/** The reference solutions in ROOT/`name` (a module imported once is cached by its path), with `file`'s text `from` replaced by `to`. */
async function solutionsWithEdit(name: string, file: string, from: string, to: string): Promise<string> {
  const DIR = path.join(ROOT, name);
  await rm(DIR, { recursive: true, force: true });
  await mkdir(DIR, { recursive: true });
  await cp(path.join(REPO, "grader", "solutions", "week-12", "src"), path.join(DIR, "src"), { recursive: true });
  const text = await readFile(path.join(DIR, file), "utf8");
  expect(text).toContain(from);
  await writeFile(path.join(DIR, file), text.replace(from, to));
  return DIR;
}

async function failureOf(criterion: string, dir: string): Promise<CheckFailure | undefined> {
  const check = RETRY_CLIENT_CHECKS.find((c) => c.criterion === criterion)!;
  const ctx: CheckContext = { workbook: openWorkbook({ source: dir }), seeds: undefined, outDir: path.join(dir, "out"), progress: () => {} };
  try {
    await check.run(ctx);
    return undefined;
  } catch (e) {
    if (e instanceof CheckFailure) return e;
    throw e;
  }
}

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
