/**
 * `grader check --watch` reports the workbook's source files that changed,
 * not an editor's or `sed -i`'s temporary files, nor a file that was gone
 * again when the edits settled.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { watchWorkbook } from "../../src/check/watch.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("grader check --watch", () => {
  test("temporary files and files that vanish before the edits settle are not changes; a saved source is", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dslab-watch-"));
    dirs.push(dir);
    mkdirSync(path.join(dir, "src"));
    const calls: string[][] = [];
    const watching = watchWorkbook(dir, async (files) => {
      calls.push(files);
    });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const src = (f: string) => path.join(dir, "src", f);
      writeFileSync(src("sed175Dvs"), "x");
      writeFileSync(src("vote-rules.ts.swp"), "x");
      writeFileSync(src("vote-rules.ts~"), "x");
      writeFileSync(src("gone.ts"), "x");
      unlinkSync(src("gone.ts"));
      unlinkSync(src("sed175Dvs"));
      writeFileSync(src("vote-rules.ts"), "export {};\n");
      const deadline = Date.now() + 5_000;
      while (calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      expect(calls).toEqual([["src/vote-rules.ts"]]);
    } finally {
      watching.close();
    }
  });
});
