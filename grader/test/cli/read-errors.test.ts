// Every command says why a file could not be read or written in the same
// words (unreadableReason), the rare system errors too: real failures made
// here through the real CLI (a read and a write that fail with EIO, a name
// too long for the file system) for the inputs and outputs of every command,
// and every code Node knows from the error objects it builds for them.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getSystemErrorMap } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { abbreviatePath, ReadRegularError } from "@dslab/protocol/cli";
import { unreadableReason } from "../../src/cli/args.js";
import { unreadableReason as reasonOfFs } from "../../src/fs/reasons.js";
import { typecheckWorkbook } from "../../src/check/types.js";
import { FIXTURES, grader, REPO } from "../helpers/cli.js";
import { systemError } from "../helpers/system-error.js";

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

/** A copy of the fixture course in `name` under the temporary directory, with `bad.md` made by `make`. */
async function courseWith(name: string, make: (file: string) => Promise<unknown>): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(COURSE)) await copyFile(path.join(COURSE, f), path.join(dir, f));
  await make(path.join(dir, "bad.md"));
  return dir;
}

describe("grader proofs and grader test --class: a gradebook.json whose read fails says why in words (exit 4)", () => {
  let grades: string;
  beforeAll(async () => {
    grades = path.join(tmp, "grades-eio");
    await mkdir(grades);
    await symlink(EIO_FILE, path.join(grades, "gradebook.json"));
  });

  test("grader proofs", async () => {
    const pastes = path.join(tmp, "pastes");
    await mkdir(pastes);
    await writeFile(path.join(pastes, "alice.txt"), "no evidence here\n");
    const r = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", pastes, "--out", grades, "--now", "2026-11-24"]);
    expect(r).toEqual({ code: 4, stdout: "", stderr: `grader proofs: ${path.join(grades, "gradebook.json")} cannot be read: ${EIO_READ}; fix or move it away\n` });
  });

  test("grader test --class", async () => {
    const klass = path.join(tmp, "class");
    await mkdir(path.join(klass, "alice", "src"), { recursive: true });
    const r = await grader(["test", "--class", klass, "--out", grades]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe(`grader test: ${path.join(grades, "gradebook.json")} cannot be read: ${EIO_READ}; fix or move it away`);
  });
});

describe("grader lint and grader site: a lesson file that cannot be read says why in words", () => {
  test("lint: --lessons with a name too long for the file system (exit 4)", async () => {
    const r = await grader(["lint", "--lessons", longName]);
    expect(r).toEqual({ code: 4, stdout: "", stderr: `grader lint: cannot read the lessons directory ${longName}: ${TOO_LONG}; pass --lessons DIR\n` });
  });

  test("lint: --lessons that does not exist (exit 4)", async () => {
    const r = await grader(["lint", "--lessons", path.join(tmp, "no-course")]);
    expect(r).toEqual({ code: 4, stdout: "", stderr: `grader lint: cannot read the lessons directory ${path.join(tmp, "no-course")}: no such directory; pass --lessons DIR\n` });
  });

  test("lint: a lesson whose read fails with EIO is that file's error", async () => {
    const dir = await courseWith("lint-eio", (file) => symlink(EIO_FILE, file));
    const r = await grader(["lint", "--lessons", dir, "--root", REPO]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${path.relative(REPO, path.join(dir, "bad.md"))}: error file: cannot be read: ${EIO_READ} [unreadable]\n`);
    expect(r.stdout).not.toMatch(SYSTEM_MESSAGE);
  });

  test("lint: a link to a name too long for the file system is that file's error", async () => {
    const dir = await courseWith("lint-long", (file) => symlink(longName, file));
    const r = await grader(["lint", "--lessons", dir, "--root", REPO]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${path.relative(REPO, path.join(dir, "bad.md"))}: error file: a symbolic link to ${longName}, which cannot be read (${TOO_LONG}) [broken-link]\n`);
    expect(r.stdout).not.toMatch(SYSTEM_MESSAGE);
  });

  test("site: a lesson whose read fails with EIO stops the build (exit 4), nothing written", async () => {
    const dir = await courseWith("site-eio", (file) => symlink(EIO_FILE, file));
    const out = path.join(tmp, "site-of-eio");
    const r = await grader(["site", "--lessons", dir, "--out", out]);
    expect(r).toEqual({
      code: 4,
      stdout: "",
      stderr: `grader site: ${path.relative(REPO, path.join(dir, "bad.md"))}: cannot be read: ${EIO_READ}; nothing written (\`grader lint\` lists every problem of the course)\n`,
    });
  });
});

describe("grader site: a picture that cannot be read is drawn as its text, with why in words", () => {
  test("a picture that is a loop of symbolic links", async () => {
    const dir = await courseWith("site-picture-loop", (file) => symlink("bad.md", file));
    await rm(path.join(dir, "bad.md"));
    await writeFile(path.join(dir, "retry.md"), `${await readFile(path.join(COURSE, "retry.md"), "utf8")}\n![the loop](loop.png)\n`);
    await symlink("loop.png", path.join(dir, "loop.png"));
    const r = await grader(["site", "--lessons", dir, "--out", path.join(tmp, "site-of-picture-loop")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("image loop.png cannot be read (it is a loop of symbolic links); drawn as its text\n");
  });
});

describe("grader lint: a reference the repository cannot answer says why in words", () => {
  let root: string;
  beforeAll(async () => {
    root = path.join(tmp, "refs");
    await mkdir(path.join(root, "lessons"), { recursive: true });
    await copyFile(path.join(COURSE, "retry.md"), path.join(root, "lessons", "retry.md"));
  });

  test("a root package.json whose read fails with EIO", async () => {
    await symlink(EIO_FILE, path.join(root, "package.json"));
    try {
      const r = await grader(["lint", "--lessons", path.join(root, "lessons"), "--root", root]);
      expect(r.stdout).toContain(`but the root package.json cannot be read: ${EIO_READ} (repository root: `);
      expect(r.stdout).not.toMatch(SYSTEM_MESSAGE);
    } finally {
      await rm(path.join(root, "package.json"));
    }
  });
});

describe("grader site --out and grader release --out: a file that cannot be written there says which and why in words (exit 4)", () => {
  test("site: index.html a link to a file whose write fails with EIO", async () => {
    const out = path.join(tmp, "site-write-eio");
    await mkdir(out);
    await symlink(EIO_FILE, path.join(out, "index.html"));
    const r = await grader(["site", "--lessons", COURSE, "--out", out]);
    expect(r).toEqual({ code: 4, stdout: "", stderr: `grader site: --out ${out}: cannot write the site there: index.html: ${EIO_WRITE}\n` });
  });

  test("release: a directory so deep that the path of a file in it is too long for the system", { timeout: 120_000 }, async () => {
    // 4,030 characters: the directory and its write check fit in the system's 4,095, a file of the release 65 characters long or more does not.
    let out = tmp;
    while (out.length < 4030 - 201) out = path.join(out, "d".repeat(200));
    out = path.join(out, "e".repeat(4030 - out.length - 1));
    expect(out.length).toBe(4030);
    await mkdir(out, { recursive: true });
    const r = await grader(["release", "--out", out], { timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toBe("");
    const m = /^grader release: --out (.*): cannot write (\S+) there: (.*); the release there is incomplete: remove it and write it again\n$/s.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    // The directory as every command shows a path too long: its start and end.
    expect([m![1], m![3]]).toEqual([abbreviatePath(out), TOO_LONG]);
    expect(out.length + 1 + m![2]!.length).toBeGreaterThan(4095);
  });
});

describe("grader schedule --out: a calendar that cannot be written says which and why in words (exit 4, not a crash)", () => {
  test("a directory so deep that a calendar's path in it is too long for the system", async () => {
    // 4,000 characters: the directory and its write check fit in the system's 4,095; a calendar of a 100-character id does not.
    let out = tmp;
    while (out.length < 4000 - 201) out = path.join(out, "c".repeat(200));
    out = path.join(out, "f".repeat(4000 - out.length - 1));
    await mkdir(out, { recursive: true });
    const student = "s".repeat(100);
    const csv = path.join(tmp, "long-student.csv");
    await writeFile(csv, `student,lesson,completed_at\n${student},fx-retry,2026-11-20\n`);
    const r = await grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", out]);
    expect(r).toEqual({ code: 4, stdout: "", stderr: `grader schedule: cannot write ${abbreviatePath(path.join(out, `${student}.ics`))}: ${TOO_LONG}\n` });
    expect(await readdir(out)).toEqual([]);
  });
});

describe("grader test --class: a student's report that cannot be written says which and why in words (exit 4, not a crash)", () => {
  test("the report a link to a file whose write fails with EIO", { timeout: 120_000 }, async () => {
    const klass = path.join(tmp, "class-of-one");
    await mkdir(path.join(klass, "alice", "src"), { recursive: true });
    const grades = path.join(tmp, "grades-report-eio");
    await mkdir(path.join(grades, "reports", "alice"), { recursive: true });
    await symlink(EIO_FILE, path.join(grades, "reports", "alice", "result.json"));
    const r = await grader(["test", "--class", klass, "--out", grades, "--lesson", "keys", "--skip-typecheck"], { timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe(`grader test: cannot write ${path.join(grades, "reports", "alice", "result.json")}: ${EIO_WRITE}`);
  });
});

describe("grader lesson pictures --out: a picture that cannot be written says which and why in words (exit 4, not a crash)", () => {
  test("a picture a link to a file whose write fails with EIO", async () => {
    const out = path.join(tmp, "pictures-eio");
    await mkdir(out);
    await symlink(EIO_FILE, path.join(out, "split-vote.svg"));
    const r = await grader(["lesson", "pictures", "--out", out]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toBe(`grader lesson pictures: --out ${out}: cannot write split-vote.svg there: ${EIO_WRITE}\n`);
  });
});

describe("grader test --submission: a directory that cannot be read says why in words (exit 4)", () => {
  test("a name too long for the file system", async () => {
    const r = await grader(["test", "--submission", longName]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe(`grader test: --submission ${longName}: ${TOO_LONG}`);
  });
});

describe("the type check of a workbook: a cache directory that cannot be written says why in words", () => {
  test("a cache directory with a name too long for the file system", async () => {
    const r = await typecheckWorkbook(path.join(tmp, "no-workbook"), { root: REPO, cacheDir: longName });
    expect(r.failure).toBe(`cannot write its tsconfig: ${TOO_LONG}`);
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

  test("an error that wraps the system's (a refused read of a regular file) is said from its code", () => {
    const wrapped = new ReadRegularError("EXDEV", "/x", "EXDEV: cross-device link not permitted, read", { cause: systemError("EXDEV") });
    expect(unreadableReason(wrapped)).toBe("the system could not read it: cross-device link not permitted (EXDEV)");
  });

  test("the commands' wording is the one of the grader's file modules", () => {
    expect(unreadableReason).toBe(reasonOfFs);
  });

  test("an error with no system code, or a code the system does not know, is said in words too", () => {
    expect(unreadableReason(new Error("something broke"))).toBe("the system could not read it");
    expect(unreadableReason(Object.assign(new Error("EWHAT: odd, write"), { code: "EWHAT" }), "write")).toBe("the system could not write it (EWHAT)");
    expect(unreadableReason(undefined)).toBe("the system could not read it");
  });
});
