/**
 * `grader test --class` writes each student's report under reports/<name>/:
 * one folder per student on a file system that ignores case, and names
 * Windows takes.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SubmissionResult } from "../../src/report/index.js";
import { grader } from "../helpers/cli.js";

const work = mkdtempSync(join(tmpdir(), "dslab-grader-class-names-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("grader test --class: report folders", () => {
  it("folders that differ only by case, a device name and a trailing dot each get their own portable report folder, named on stderr; a unique plain name keeps its own", { timeout: 120_000 }, async () => {
    const klass = join(work, "class");
    // Folders that cannot be graded (no week-12/): each gets its report at once.
    const students = ["Alice", "alice", "con", "nul.txt", "dora.", "dora"];
    for (const s of students) mkdirSync(join(klass, s), { recursive: true });
    const out = join(work, "grades");
    const r = await grader(["test", "--class", klass, "--lesson", "keys", "--skip-typecheck", "--out", out], { timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(0);
    const folders = readdirSync(join(out, "reports")).sort();
    expect(folders).toHaveLength(students.length);
    // On a file system that ignores case, as many folders as students.
    expect(new Set(folders.map((f) => f.toLowerCase())).size).toBe(students.length);
    for (const f of folders) {
      expect(f).not.toMatch(/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i);
      expect(f).not.toMatch(/[. ]$/);
    }
    expect(folders).toContain("dora");
    for (const s of students) {
      const line = r.stderr.split("\n").find((l) => l.includes(`${JSON.stringify(s)} -> `));
      if (s === "dora") {
        expect(line).toBeUndefined();
        continue;
      }
      const folder = /-> reports\/(\S+)\/$/.exec(line ?? "")?.[1];
      expect(folder, `${s}: ${r.stderr}`).toMatch(/~[0-9a-f]{12}$/);
      const report = JSON.parse(readFileSync(join(out, "reports", folder!, "result.json"), "utf8")) as SubmissionResult;
      expect(report.submission).toBe(s);
    }
    expect((JSON.parse(readFileSync(join(out, "reports", "dora", "result.json"), "utf8")) as SubmissionResult).submission).toBe("dora");
  });
});
