/**
 * The dedup quest's node check of a late request names the mistake a
 * student makes, run on a workbook copy (the reference solutions with one
 * line changed; no node/ of its own, so week-12/node/main.ts runs on its
 * store) through the node program, as `npm run check` runs it.
 */
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { CheckFailure, openWorkbook, type CheckContext } from "../../../week-12/checks/index.js";
import { DEDUP_STORE_CHECKS } from "../../../week-12/checks/dedup-store.js";
import { REPO } from "../helpers/cli.js";

const DIR = path.join(fileURLToPath(new URL("./.workbooks/", import.meta.url)), `dedup-messages-${process.pid}`);
afterAll(() => rm(DIR, { recursive: true, force: true }));

/** The reference solutions, with `file`'s text `from` replaced by `to`. */
async function solutionsWithEdit(file: string, from: string, to: string): Promise<string> {
  await rm(DIR, { recursive: true, force: true });
  await mkdir(DIR, { recursive: true });
  await cp(path.join(REPO, "grader", "solutions", "week-12", "src"), path.join(DIR, "src"), { recursive: true });
  const text = await readFile(path.join(DIR, file), "utf8");
  expect(text).toContain(from);
  await writeFile(path.join(DIR, file), text.replace(from, to));
  return DIR;
}

async function failureOf(criterion: string, dir: string): Promise<CheckFailure | undefined> {
  const check = DEDUP_STORE_CHECKS.find((c) => c.criterion === criterion)!;
  const ctx: CheckContext = { workbook: openWorkbook({ source: dir }), seeds: undefined, outDir: path.join(dir, "out"), progress: () => {} };
  try {
    await check.run(ctx);
    return undefined;
  } catch (e) {
    if (e instanceof CheckFailure) return e;
    throw e;
  }
}

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
