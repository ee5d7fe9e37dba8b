// A paste that cannot be read is named, and what happened is said in words,
// for every failure: real ones made here (a missing file, a directory, a
// loop of symbolic links, a name too long, a read that fails with EIO), and
// the rare system errors from the error objects Node builds for them.
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getSystemErrorMap } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { pasteUnreadableReason } from "../../src/cli/commands/proof.js";
import { FIXTURES, grader } from "../helpers/cli.js";
import { systemError } from "../helpers/system-error.js";

const COURSE = path.join(FIXTURES, "course");
const PASTES = path.join(FIXTURES, "pastes");
/** Reading a process's own memory from address 0 (unmapped) fails with EIO: a real input/output error, with no broken device. */
const EIO_FILE = "/proc/self/mem";
const EIO_WORDS = "reading it failed with an input/output error (of the disk, network share or device it is on)";
/** The system's own wording: `EIO: i/o error, read`, `ENAMETOOLONG: name too long, open '...'`. */
const SYSTEM_MESSAGE = /\bE[A-Z0-9]+: /;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "grader-proof-read-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});


describe("grader proof: a paste that cannot be read is named, and what happened said in words (exit 4)", () => {
  test.each([
    ["a missing file", async () => path.join(tmp, "nope.txt"), "no such file"],
    ["a directory", async () => tmp, "it is a directory, not a regular file; give the paste as a file"],
    ["a path through a file", async () => {
      const file = path.join(tmp, "plain.txt");
      await writeFile(file, "retrying\n");
      return path.join(file, "paste.txt");
    }, "a parent is not a directory"],
    ["a loop of symbolic links", async () => {
      const loop = path.join(tmp, "loop.txt");
      await symlink(loop, loop);
      return loop;
    }, "it is a loop of symbolic links"],
    ["a name too long for the file system", async () => path.join(tmp, `${"p".repeat(300)}.txt`), "its name is too long for the file system"],
    ["a read that fails with an input/output error (EIO)", async () => EIO_FILE, EIO_WORDS],
  ])("%s", async (_what, make, words) => {
    const file = await make();
    const r = await grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", file]);
    expect(r).toEqual({ code: 4, stdout: "", stderr: `grader proof: cannot read ${file}: ${words}\n` });
  });
});

describe("grader proofs: a student's paste that cannot be read is that student's fail, said in words", () => {
  test("a paste that is a link to a file whose read fails with EIO", async () => {
    const dir = path.join(tmp, "pastes-eio");
    await mkdir(dir);
    await copyFile(path.join(PASTES, "alice.txt"), path.join(dir, "alice.txt"));
    await symlink(EIO_FILE, path.join(dir, "mallory.txt"));
    const r = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", dir, "--out", path.join(tmp, "grades-eio"), "--json"]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).rows as { student: string; status: string; reasons: string[] }[];
    expect(rows.find((x) => x.student === "alice")?.status).toBe("pass");
    expect(rows.find((x) => x.student === "mallory")).toMatchObject({ status: "fail", reasons: [`paste refused: ${EIO_WORDS}`] });
  });
});

describe("pasteUnreadableReason: every system error in words", () => {
  test.each([
    ["EIO", EIO_WORDS],
    ["ENAMETOOLONG", "its name is too long for the file system"],
    ["ENOENT", "no such file"],
    ["EACCES", "permission denied"],
    ["EMFILE", "too many files are open in this process to open it"],
    ["ESTALE", "the network file system it is on no longer knows it (a stale file handle)"],
    // A code with no words of its own is said from the system's description of it, without the call.
    ["EXDEV", "the system could not read it: cross-device link not permitted (EXDEV)"],
  ])("%s", (code, words) => {
    expect(pasteUnreadableReason(systemError(code))).toBe(words);
  });

  test("no system error is shown in the system's own wording: each one is said in words", () => {
    for (const [, [code]] of getSystemErrorMap()) {
      const err = systemError(code);
      const words = pasteUnreadableReason(err);
      expect(words, code).not.toMatch(SYSTEM_MESSAGE);
      expect(words, code).not.toContain(err.message);
    }
  });

  test("an error with no system code, or a code the system does not know, is said in words too", () => {
    expect(pasteUnreadableReason(new Error("something broke"))).toBe("the system could not read it");
    expect(pasteUnreadableReason(Object.assign(new Error("EWHAT: odd, read"), { code: "EWHAT" }))).toBe("the system could not read it (EWHAT)");
    expect(pasteUnreadableReason(undefined)).toBe("the system could not read it");
  });
});
