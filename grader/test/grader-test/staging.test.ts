/**
 * Staging a submission: the files it may not replace (checks/, plug/, test/,
 * the package files) are compared with the reference's only to say they are
 * ignored, so a hostile one (far larger than any the reference has, a FIFO)
 * is named as ignored without being read.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stageSubmission } from "../../src/test-run/submission.js";
import { makeSubmission, WORKBOOK } from "./submissions.js";

const work = mkdtempSync(join(tmpdir(), "dslab-staging-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("staging a submission", () => {
  it("a 3 GB file where a reference check belongs, and a FIFO beside it, are named as ignored without being read", { timeout: 60_000 }, async () => {
    const dir = makeSubmission(join(work, "huge-check"));
    // Sparse: 3 GB by its size, nothing on disk.
    writeFileSync(join(dir, "checks", "index.ts"), "");
    truncateSync(join(dir, "checks", "index.ts"), 3 * 2 ** 30);
    execFileSync("mkfifo", [join(dir, "checks", "fifo.ts")]);
    const staged = await stageSubmission(dir, WORKBOOK);
    try {
      expect(staged.ignored).toEqual(expect.arrayContaining(["checks/index.ts", "checks/fifo.ts"]));
      expect(staged.notes.join("\n")).toMatch(/ignored \(the reference checks.*week-12\/checks\/(index|fifo)\.ts/);
    } finally {
      await staged.cleanup();
    }
  });
});
