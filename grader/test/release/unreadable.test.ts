// `grader release` on repository files it cannot read: a FIFO, a link to
// /dev/zero or a file over the release's bound where the release reads (the
// root package.json and lock, a shipped file, a protected file the leak scan
// fingerprints) stops the release in one line naming it (exit 4), never a
// hang, never exit 70; a FIFO where files ship is not left out in silence.
import { execFile, execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { REPO } from "../helpers/cli.js";

const COLLECT = fileURLToPath(new URL("./collect-release.ts", import.meta.url));
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "grader-release-unreadable-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A small repository (a root package and lock, a lesson, a solution), with `file` (relative) replaced by what `make` leaves. */
async function repository(name: string, file: string, make: (file: string) => Promise<unknown>): Promise<string> {
  const root = path.join(tmp, name);
  for (const dir of ["lessons", "grader/solutions/week-12/src", "week-12/src"]) await mkdir(path.join(root, dir), { recursive: true });
  await writeFile(path.join(root, "package.json"), '{ "name": "course", "workspaces": [] }\n');
  await writeFile(path.join(root, "package-lock.json"), '{ "name": "course", "lockfileVersion": 3, "packages": { "": { "name": "course" } } }\n');
  await writeFile(path.join(root, "lessons/a.md"), "# A lesson\n");
  await writeFile(path.join(root, "grader/solutions/week-12/src/retry.ts"), "export const answer = 42;\n");
  await rm(path.join(root, file), { force: true });
  await make(path.join(root, file));
  return root;
}

/** The release of `root` built and leak-scanned in a child process, killed after 30 s. */
function release(root: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", COLLECT, root], { cwd: REPO, timeout: 30_000, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const fifo = (file: string) => Promise.resolve(execFileSync("mkfifo", [file]));
const devZero = (file: string) => symlink("/dev/zero", file);
const gigabyte = async (file: string) => {
  await writeFile(file, "");
  await truncate(file, 1024 ** 3);
};
const TOO_LARGE = "it is 1,073,741,824 bytes, more than the 67,108,864 bytes a file of the release may be";

describe("grader release: a repository file that cannot be read", () => {
  test("a readable repository builds its release", async () => {
    const root = await repository("fine", "lessons/b.md", (f) => writeFile(f, "# Another\n"));
    expect(await release(root)).toMatchObject({ code: 0, stderr: "", stdout: "6 files, 0 leaks\n" });
  });

  test.each([
    ["package.json", "a link to /dev/zero", devZero, "cannot read package.json: it is a character device, not a regular file; nothing written"],
    ["package.json", "a FIFO", fifo, "cannot read package.json: it is a FIFO (named pipe), not a regular file; nothing written"],
    ["package-lock.json", "a FIFO", fifo, "cannot read package-lock.json: it is a FIFO (named pipe), not a regular file; nothing written"],
    ["package-lock.json", "a file of 1 GB", gigabyte, `cannot read package-lock.json: ${TOO_LARGE}; nothing written`],
    ["package.json", "not JSON", (f: string) => writeFile(f, "{\n"), /^package\.json is not valid JSON: .*; nothing written$/],
    ["lessons/b.md", "a file of 1 GB", gigabyte, `cannot read lessons/b.md: ${TOO_LARGE}; nothing written`],
    ["grader/solutions/week-12/src/big.ts", "a file of 1 GB", gigabyte, `cannot read grader/solutions/week-12/src/big.ts: ${TOO_LARGE}; nothing written`],
    [
      "lessons/b.md",
      "a FIFO",
      fifo,
      "lessons/b.md is a FIFO (named pipe), not a regular file, where the release ships files (the course (answer keys and instructor-only passages removed)); replace it with the file",
    ],
  ] as const)("%s as %s stops the release in one line naming it (exit 4), unread", async (file, name, make, message) => {
    const root = await repository(`${file}-${name}`.replace(/\W+/g, "-"), file, make);
    const r = await release(root);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 4, stdout: "" });
    const line = r.stderr.replace(/^grader release: /, "").replace(/\n$/, "");
    if (typeof message === "string") expect(line).toBe(message);
    else expect(line).toMatch(message);
    expect(r.stderr.split("\n")).toHaveLength(2);
  });
});
