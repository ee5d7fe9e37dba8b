// Every command says why a file could not be read or written in the same
// words (unreadableReason), the rare system errors too: real failures made
// here through the real CLI (a read and a write that fail with EIO, a name
// too long for the file system), and every code Node knows from the error
// objects it builds for them.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getSystemErrorMap } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { unreadableReason } from "../../src/cli/args.js";
import { FIXTURES, grader } from "../helpers/cli.js";

const COURSE = path.join(FIXTURES, "course");
/** Reading or writing a process's own memory at address 0 (unmapped) fails with EIO: a real input/output error, with no broken device. */
const EIO_FILE = "/proc/self/mem";
const EIO_READ = "reading it failed with an input/output error (of the disk, network share or device it is on)";
const EIO_WRITE = "writing it failed with an input/output error (of the disk, network share or device it is on)";
const TOO_LONG = "its name is too long for the file system";
/** The system's own wording: `EIO: i/o error, read`, `ENAMETOOLONG: name too long, open '...'`. */
const SYSTEM_MESSAGE = /\bE[A-Z0-9]+: /;
let tmp: string;
/** A path whose last name is longer than any file system takes (255 bytes). */
let longName: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "grader-read-errors-"));
  longName = path.join(tmp, "n".repeat(300));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Node's own error object for a failed system call, as fs builds it. */
function systemError(code: string, syscall = "read"): NodeJS.ErrnoException {
  const entry = [...getSystemErrorMap()].find(([, [name]]) => name === code);
  const err: NodeJS.ErrnoException = new Error(`${code}: ${entry?.[1][1] ?? "unknown error"}, ${syscall}`);
  err.code = code;
  if (entry) err.errno = entry[0];
  err.syscall = syscall;
  return err;
}

describe("grader schedule: a completions or state file that cannot be read is named, and what happened said in words (exit 4)", () => {
  const csv = () => path.join(tmp, "completions.csv");
  beforeAll(async () => {
    await writeFile(csv(), "student,lesson,completed_at\nalice,fx-retry,2026-11-20\n");
  });

  test.each([
    ["a read that fails with an input/output error (EIO)", () => EIO_FILE, EIO_READ],
    ["a name too long for the file system", () => `${longName}.csv`, TOO_LONG],
  ])("--completions: %s", async (_what, file, words) => {
    const r = await grader(["schedule", "--lessons", COURSE, "--completions", file(), "--out", path.join(tmp, "schedule-out")]);
    expect(r).toEqual({ code: 4, stdout: "", stderr: `grader schedule: cannot read ${file()}: ${words}\n` });
  });

  test("the state file: a link to a file whose read fails with EIO", async () => {
    const out = path.join(tmp, "schedule-eio");
    await mkdir(out);
    await symlink(EIO_FILE, path.join(out, ".schedule-state.json"));
    const r = await grader(["schedule", "--lessons", COURSE, "--completions", csv(), "--out", out]);
    expect(r).toEqual({ code: 4, stdout: "", stderr: `grader schedule: cannot read ${path.join(out, ".schedule-state.json")}: ${EIO_READ}; move it away to start the sequences over\n` });
  });
});

describe("grader test: a class directory that cannot be read, or a report that cannot be written, says why in words (exit 4)", () => {
  test("--class with a name too long for the file system", async () => {
    const r = await grader(["test", "--class", longName, "--out", path.join(tmp, "grades-long")]);
    expect(r).toEqual({ code: 4, stdout: "", stderr: `grader test: --class ${longName}: cannot read it: ${TOO_LONG}\n` });
  });

  test("--class that is a file, not a directory", async () => {
    const r = await grader(["test", "--class", EIO_FILE, "--out", path.join(tmp, "grades-file")]);
    expect(r).toEqual({ code: 4, stdout: "", stderr: `grader test: --class ${EIO_FILE}: it is not a directory; give the directory that holds one folder per student\n` });
  });

  test.each([
    ["a write that fails with an input/output error (EIO)", () => EIO_FILE, EIO_WRITE],
    ["a name too long for the file system", () => `${longName}.json`, TOO_LONG],
  ])("--submission with --out: %s", { timeout: 120_000 }, async (_what, out, words) => {
    // The smallest submission: an empty src/, graded against the workbook's stubs.
    const submission = path.join(tmp, "submission");
    await mkdir(path.join(submission, "src"), { recursive: true });
    const r = await grader(["test", "--submission", submission, "--lesson", "keys", "--skip-typecheck", "--out", out()], { timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe(`grader test: --out ${out()}: cannot write the report there: ${words}`);
  });
});

describe("grader autograder gradescope: a zip that cannot be written says why in words (exit 4)", () => {
  test("--out with a name too long for the file system", async () => {
    const out = `${longName}.zip`;
    const r = await grader(["autograder", "gradescope", "--out", out]);
    expect(r).toEqual({ code: 4, stdout: "", stderr: `grader autograder gradescope: --out ${out}: cannot write the zip: ${TOO_LONG}\n` });
  });
});

describe("unreadableReason: every system error in words, for a read and for a write", () => {
  test.each([
    ["EIO", "read", EIO_READ],
    ["EIO", "write", EIO_WRITE],
    ["ENAMETOOLONG", "read", TOO_LONG],
    ["ENOENT", "read", "no such file"],
    ["EACCES", "write", "permission denied"],
    ["EMFILE", "read", "too many files are open in this process to open it"],
    ["ESTALE", "read", "the network file system it is on no longer knows it (a stale file handle)"],
    ["ENOSPC", "write", "the disk it is on is full"],
    ["EROFS", "write", "the file system it is on is read-only"],
    // A code with no words of its own is said from the system's description of it, without the call.
    ["EXDEV", "read", "the system could not read it: cross-device link not permitted (EXDEV)"],
    ["EXDEV", "write", "the system could not write it: cross-device link not permitted (EXDEV)"],
  ] as const)("%s (%s)", (code, op, words) => {
    expect(unreadableReason(systemError(code), op)).toBe(words);
  });

  test("no system error is shown in the system's own wording: each one is said in words", () => {
    for (const [, [code]] of getSystemErrorMap()) {
      for (const op of ["read", "write"] as const) {
        const err = systemError(code, op);
        const words = unreadableReason(err, op);
        expect(words, code).not.toMatch(SYSTEM_MESSAGE);
        expect(words, code).not.toContain(err.message);
      }
    }
  });

  test("an error with no system code, or a code the system does not know, is said in words too", () => {
    expect(unreadableReason(new Error("something broke"))).toBe("the system could not read it");
    expect(unreadableReason(Object.assign(new Error("EWHAT: odd, write"), { code: "EWHAT" }), "write")).toBe("the system could not write it (EWHAT)");
    expect(unreadableReason(undefined)).toBe("the system could not read it");
  });
});
