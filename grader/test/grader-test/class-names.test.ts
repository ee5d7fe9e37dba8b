/**
 * `grader test --class` writes each student's report under reports/<name>/:
 * one folder per student on a file system that ignores case, and names
 * Windows takes.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

  it("a student keeps their report folder from run to run, whoever arrives or leaves; a new student gets no folder that was ever another's", { timeout: 240_000 }, async () => {
    const klass = join(work, "kept-class");
    const out = join(work, "kept-grades");
    const run = () => grader(["test", "--class", klass, "--lesson", "keys", "--skip-typecheck", "--out", out], { timeoutMs: 110_000 });
    const folders = () => readdirSync(join(out, "reports")).sort();
    const owner = (folder: string) => (JSON.parse(readFileSync(join(out, "reports", folder, "result.json"), "utf8")) as SubmissionResult).submission;
    mkdirSync(join(klass, "alice"), { recursive: true });
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(folders()).toEqual(["alice"]);
    // Alice arrives: alice keeps her folder, and Alice, whose name differs only by case, gets one with a hash.
    mkdirSync(join(klass, "Alice"));
    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    const aliceCap = folders().find((f) => f !== "alice")!;
    expect(folders()).toEqual(["alice", aliceCap].sort());
    expect(aliceCap).toMatch(/^Alice~[0-9a-f]{12}$/);
    expect([owner("alice"), owner(aliceCap)]).toEqual(["alice", "Alice"]);
    expect(second.stderr).not.toContain("removed");
    expect(second.stderr).not.toContain("left stale");
    // grader proofs writing to the same grades directory keeps the folder names.
    const pastes = join(work, "kept-pastes");
    mkdirSync(pastes);
    writeFileSync(join(pastes, "alice.txt"), "n1 | became leader for term 1\n");
    const proofs = await grader(["proofs", "--lesson", "vote", pastes, "--out", out]);
    expect(proofs.code, proofs.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, ".grader-outputs.json"), "utf8")).reportFolders).toEqual({ Alice: aliceCap, alice: "alice" });
    // alice leaves: Alice keeps hers too, and alice's report stays where it is.
    rmSync(join(klass, "alice"), { recursive: true });
    const third = await run();
    expect(third.code, third.stderr).toBe(0);
    expect(folders()).toEqual(["alice", aliceCap].sort());
    expect(owner(aliceCap)).toBe("Alice");
    // ALICE, new, gets none of the recorded folders (not "ALICE", which is "alice" on a file system that ignores case); alice comes back to hers.
    mkdirSync(join(klass, "ALICE"));
    mkdirSync(join(klass, "alice"));
    const fourth = await run();
    expect(fourth.code, fourth.stderr).toBe(0);
    const aliceUpper = folders().find((f) => f !== "alice" && f !== aliceCap)!;
    expect(aliceUpper).toMatch(/^ALICE~[0-9a-f]{12}$/);
    expect([owner("alice"), owner(aliceCap), owner(aliceUpper)]).toEqual(["alice", "Alice", "ALICE"]);
    expect(JSON.parse(readFileSync(join(out, ".grader-outputs.json"), "utf8")).reportFolders).toEqual({ ALICE: aliceUpper, Alice: aliceCap, alice: "alice" });
  });

  it("a recorded folder name that is a path, not a folder's name, is refused naming the record (exit 4), before any grading", async () => {
    const klass = join(work, "bad-record-class");
    const out = join(work, "bad-record-grades");
    mkdirSync(join(klass, "alice"), { recursive: true });
    mkdirSync(out);
    const record = join(out, ".grader-outputs.json");
    writeFileSync(record, JSON.stringify({ version: 1, outputs: {}, reportFolders: { alice: "../elsewhere" } }));
    const r = await grader(["test", "--class", klass, "--lesson", "keys", "--skip-typecheck", "--out", out]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      `grader test: ${record}: expected {"version":1,"outputs":{"<file>":{"owner":"...","sha256":"<64 hex>"}},"reportFolders":{"<student>":"<folder>"}}; fix or move it away (the grader then only lists, never removes, files left under an earlier name, and names report folders afresh)\n`,
    );
    expect(existsSync(join(out, "reports"))).toBe(false);
  });

  it("a report folder a student no longer has (a record that keeps no folder names) is removed when the grader recorded its files and they are unchanged; a changed or unrecorded one is left and listed", { timeout: 240_000 }, async () => {
    const klass = join(work, "renamed-class");
    const out = join(work, "renamed-grades");
    const run = () => grader(["test", "--class", klass, "--lesson", "keys", "--skip-typecheck", "--out", out], { timeoutMs: 110_000 });
    const folders = () => readdirSync(join(out, "reports")).sort();
    // The outputs record without its folder names: each student's folder is named afresh.
    const forgetFolders = () => {
      const file = join(out, ".grader-outputs.json");
      const { reportFolders: _f, ...rest } = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify(rest));
    };
    mkdirSync(join(klass, "alice"), { recursive: true });
    mkdirSync(join(klass, "bob"), { recursive: true });
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(folders()).toEqual(["alice", "bob"]);
    // A keepsake of the instructor's in bob's folder: not the grader's, so the folder stays with it.
    writeFileSync(join(out, "reports", "bob", "notes.txt"), "mine\n");
    // Alice and Bob arrive: alice and bob now need folders with a hash of their name.
    mkdirSync(join(klass, "Alice"));
    mkdirSync(join(klass, "Bob"));
    forgetFolders();
    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    const now = folders();
    const aliceNow = now.find((f) => /^alice~[0-9a-f]{12}$/.test(f))!;
    const bobNow = now.find((f) => /^bob~[0-9a-f]{12}$/.test(f))!;
    // alice's old report (recorded, unchanged) is removed with its folder; bob's report goes, his folder stays with the note.
    expect(now).toEqual([expect.stringMatching(/^Alice~/), expect.stringMatching(/^Bob~/), aliceNow, "bob", bobNow].sort());
    expect(readdirSync(join(out, "reports", "bob"))).toEqual(["notes.txt"]);
    expect(second.stderr).toContain(`grader test: removed ${join(out, "reports", "alice", "result.json")}: "alice"'s report of an earlier run, now in reports/${aliceNow}/; unchanged since the grader wrote it\n`);
    expect(second.stderr).toContain(`grader test: removed ${join(out, "reports", "bob", "result.json")}: "bob"'s report`);
    // Alice and Bob leave again: alice and bob get their plain folders back; a changed report is left and listed.
    writeFileSync(join(out, "reports", bobNow, "result.json"), "edited\n");
    rmSync(join(klass, "Alice"), { recursive: true });
    rmSync(join(klass, "Bob"), { recursive: true });
    forgetFolders();
    const third = await run();
    expect(third.code, third.stderr).toBe(0);
    expect(existsSync(join(out, "reports", aliceNow))).toBe(false);
    expect(readFileSync(join(out, "reports", bobNow, "result.json"), "utf8")).toBe("edited\n");
    expect(third.stderr).toContain(`grader test: left stale ${join(out, "reports", bobNow, "result.json")}: "bob"'s report of an earlier run, now in reports/bob/; changed since the grader wrote it; left as it is\n`);
    // With no record (written before outputs were recorded), an earlier folder is only listed.
    rmSync(join(out, ".grader-outputs.json"));
    mkdirSync(join(klass, "Alice"));
    const fourth = await run();
    expect(fourth.code, fourth.stderr).toBe(0);
    expect(existsSync(join(out, "reports", "alice", "result.json"))).toBe(true);
    expect(fourth.stderr).toContain(`grader test: left stale ${join(out, "reports", "alice")}: "alice"'s report of an earlier run, now in reports/${aliceNow}/; named as the grader named this output before, but not recorded as its own; left as it is\n`);
  });
});
