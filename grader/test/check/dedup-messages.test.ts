/**
 * The dedup quest's node check of a late request names the mistake a
 * student makes, run on a workbook copy (the reference solutions with one
 * line changed; no node/ of its own, so week-12/node/main.ts runs on its
 * store) through the node program, as `npm run check` runs it.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { DEDUP_STORE_CHECKS } from "../../../week-12/checks/dedup-store.js";
import { checkFailureOf, solutionsEdited } from "./helpers.js";

const DIR = path.join(fileURLToPath(new URL("./.workbooks/", import.meta.url)), `dedup-messages-${process.pid}`);
afterAll(() => rm(DIR, { recursive: true, force: true }));

const solutionsWithEdit = (file: string, from: string, to: string): Promise<string> => solutionsEdited(DIR, file, from, to);
const failureOf = (criterion: string, dir: string) => checkFailureOf(DEDUP_STORE_CHECKS, criterion, dir);

describe("the dedup store's node checks", () => {
  test("a tracker that dedups by client alone (every request of a known client answered from its cache): the late-request check names seq 2 answered with seq 1's cached reply, not the late seq 1", async () => {
    const dir = await solutionsWithEdit(
      "src/client-tracker.ts",
      "    if (seq < session.lastSeq) return { kind: \"stale\", lastSeq: session.lastSeq };\n    if (seq === session.lastSeq) {",
      "    if (true) {",
    );
    const f = await failureOf("w12-leader-election-client-idempotency-d04-quest-dedup-store-2h#2", dir);
    expect(f?.message).toMatch(/^the append of seq 2 \(client c1, after seq 1\) was answered with \{"type":"append_ok","value":\["a"\]\}, the cached reply of seq 1, not applied: only a repeat of the client's last seq is a duplicate; a higher seq is its next operation/);
    expect(f?.expected).toBe('{"type":"append_ok","value":["a","b"]}');
  }, 60_000);
});
