// `grader site` on files it cannot read: a visible test file (week-12/test/*.test.ts)
// or a lesson file that is a FIFO, a device, a directory, a dangling link or
// larger than a test file may be stops the build in one line naming it (exit 4),
// never a hang, never exit 70.
import { execFile, execFileSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIXTURES, grader, REPO } from "../helpers/cli.js";

const COURSE = path.join(FIXTURES, "course");
const BUILD_SITE = fileURLToPath(new URL("./build-site.ts", import.meta.url));
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "grader-site-unreadable-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Builds the site of COURSE against a repository whose week-12/test/ holds `x.test.ts` as `make` leaves it; killed after 30 s. */
async function siteWithTest(name: string, make: (file: string) => Promise<void>): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = path.join(tmp, name);
  const dir = path.join(root, "week-12", "test");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "a.test.ts"), 'test("fx-retry#1 retries", () => {});\n');
  await make(path.join(dir, "x.test.ts"));
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", BUILD_SITE, COURSE, root], { cwd: REPO, timeout: 30_000, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("grader site: a visible test file that cannot be read", () => {
  test("a readable week-12/test/ builds the site", async () => {
    const r = await siteWithTest("fine", (file) => writeFile(file, "// no criterion here\n"));
    expect(r).toMatchObject({ code: 0, stderr: "", stdout: "3 lessons, 5 files\n" });
  });

  test.each([
    ["a FIFO", (file: string) => Promise.resolve(void execFileSync("mkfifo", [file])), "it is a FIFO (named pipe), not a regular file"],
    ["a link to /dev/zero", (file: string) => symlink("/dev/zero", file), "it is a character device, not a regular file"],
    ["a directory", (file: string) => mkdir(file), "it is a directory, not a regular file"],
    ["a dangling link", (file: string) => symlink("gone.ts", file), "it does not exist (a dangling symbolic link?)"],
    ["a loop of links", (file: string) => symlink("x.test.ts", file), "it is a loop of symbolic links"],
    [
      "a file of 1 GB",
      async (file: string) => {
        await writeFile(file, "");
        await truncate(file, 1024 ** 3);
      },
      "it is 1,073,741,824 bytes, more than the 4,194,304 bytes a test file may be",
    ],
  ] as const)("%s named x.test.ts stops the build in one line naming it (exit 4), unread", async (name, make, why) => {
    const r = await siteWithTest(name.replace(/\W+/g, "-"), make);
    const file = path.relative(REPO, path.join(tmp, name.replace(/\W+/g, "-"), "week-12", "test", "x.test.ts"));
    expect(r).toMatchObject({ code: 4, stdout: "", stderr: `grader site: cannot read the visible test file ${file}: ${why}; nothing written\n` });
  });
});

/** A copy of the fixture course with `extra` entries made by their functions. */
async function course(name: string, extra: Record<string, (file: string) => Promise<unknown>>): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(COURSE)) await copyFile(path.join(COURSE, f), path.join(dir, f));
  for (const [f, make] of Object.entries(extra)) await make(path.join(dir, f));
  return dir;
}

describe("grader site: a lesson file that cannot be read", () => {
  test.each([
    ["a FIFO", (file: string) => Promise.resolve(execFileSync("mkfifo", [file])), "it is a FIFO (named pipe), not a regular file; a lesson is a Markdown file"],
    ["a link to /dev/zero", (file: string) => symlink("/dev/zero", file), "it is a character device, not a regular file; a lesson is a Markdown file"],
    ["a dangling link", (file: string) => symlink("gone.md", file), "a symbolic link to gone.md, which does not exist"],
  ] as const)("%s stops the build in one line naming it (exit 4), and nothing is written", async (name, make, why) => {
    const dir = await course(`lesson-${name.replace(/\W+/g, "-")}`, { "bad.md": make });
    const out = path.join(tmp, `out-${name.replace(/\W+/g, "-")}`);
    const r = await grader(["site", "--lessons", dir, "--out", out], { timeoutMs: 30_000 });
    const file = path.relative(REPO, path.join(dir, "bad.md"));
    expect(r).toMatchObject({ code: 4, stdout: "", stderr: `grader site: ${file}: ${why}; nothing written (\`grader lint\` lists every problem of the course)\n` });
    await expect(readdir(out)).rejects.toThrow();
  });
});
