// sweepRenamed on real files: an earlier output is removed only when it lies
// in the output directory itself, never through a symbolic link.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sha256, sweepRenamed } from "../../src/fs/outputs.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "grader-outputs-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const REPORT = "# report of alice\n";

describe("sweepRenamed: an output whose owner's name changed", () => {
  test("a recorded report whose folder is a real folder is removed, the emptied folder too", async () => {
    const out = path.join(tmp, "plain");
    await mkdir(path.join(out, "Alice"), { recursive: true });
    await writeFile(path.join(out, "Alice", "report.md"), REPORT);
    const record = { "Alice/report.md": { owner: "student:alice", sha256: sha256(REPORT) } };
    const { stale, kept } = await sweepRenamed(out, record, new Map([["student:alice", "alice-2"]]));
    expect(stale).toEqual([{ file: "Alice/report.md", owner: "student:alice", now: "alice-2", removed: true, reason: "unchanged since the grader wrote it" }]);
    expect(kept).toEqual({});
    await expect(readFile(path.join(out, "Alice", "report.md"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  test("a recorded report whose folder was replaced by a symbolic link to a folder outside is listed as stale, and the file outside, with exactly the recorded content, survives", async () => {
    const out = path.join(tmp, "linked");
    const outside = path.join(tmp, "outside");
    await mkdir(out, { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, "report.md"), REPORT);
    await symlink(outside, path.join(out, "Alice"), "dir");
    const record = { "Alice/report.md": { owner: "student:alice", sha256: sha256(REPORT) } };
    const { stale, kept } = await sweepRenamed(out, record, new Map([["student:alice", "alice-2"]]));
    expect(stale).toEqual([
      { file: "Alice/report.md", owner: "student:alice", now: "alice-2", removed: false, reason: "a folder in its path (Alice) is a symbolic link now; left as it is" },
    ]);
    expect(kept).toEqual(record);
    expect(await readFile(path.join(outside, "report.md"), "utf8")).toBe(REPORT);
  });

  test("a symbolic link deeper in the path is not followed either", async () => {
    const out = path.join(tmp, "deep");
    const outside = path.join(tmp, "outside-deep");
    await mkdir(path.join(out, "Bob"), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, "report.md"), REPORT);
    await symlink(outside, path.join(out, "Bob", "logs"), "dir");
    const record = { "Bob/logs/report.md": { owner: "student:bob", sha256: sha256(REPORT) } };
    const { stale } = await sweepRenamed(out, record, new Map([["student:bob", "bob-2"]]));
    expect(stale).toMatchObject([{ file: "Bob/logs/report.md", removed: false, reason: "a folder in its path (Bob/logs) is a symbolic link now; left as it is" }]);
    expect(await readFile(path.join(outside, "report.md"), "utf8")).toBe(REPORT);
  });
});
