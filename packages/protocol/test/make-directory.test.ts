/**
 * Making a directory one level at a time: makeDirectorySync and
 * makeDirectory walk the same way and throw the same DirectoryError, naming
 * the path at fault, the errno and the reason; prepareOutDir says it in the
 * words of `--out`.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { abbreviatePath, DirectoryError, InputError, makeDirectory, makeDirectorySync, prepareOutDir } from "../src/cli/index.js";

const MODULE = fileURLToPath(new URL("../src/cli/index.ts", import.meta.url));
const TOO_LONG = "the path is too long (ENAMETOOLONG: the system allows 4095 bytes in all and 255 per name)";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "dslab-make-directory-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fresh = 0;
/** A new path in the temp dir that does not exist yet. */
function freshPath(name: string): string {
  fresh += 1;
  return join(dir, `${name}-${fresh}`);
}

const MAKERS: ReadonlyArray<[string, (path: string) => Promise<string[]>]> = [
  ["makeDirectorySync", async (path) => makeDirectorySync(path)],
  ["makeDirectory", makeDirectory],
];

async function refusal(make: (path: string) => Promise<string[]>, path: string): Promise<DirectoryError> {
  const e = await make(path).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DirectoryError);
  return e as DirectoryError;
}

/**
 * Runs both entry points on `path` in a child process, killed if it outlives
 * a generous bound, so a walk that loops for ever fails the test instead of
 * holding the test run. `wrap` runs the child inside another command
 * (unshare, to mount a read-only file system first).
 */
function inChild(path: string, wrap: (node: string[]) => string[] = (node) => node): { killed: boolean; results: unknown[]; stderr: string } {
  const script = join(dir, "make-directory.mts");
  writeFileSync(
    script,
    `import { makeDirectory, makeDirectorySync } from ${JSON.stringify(MODULE)};
const outcome = async (f) => { try { return { created: await f() }; } catch (e) { return { name: e.name, at: e.at, reason: e.reason, errno: e.errno, message: e.message }; } };
const path = process.argv[2];
process.stdout.write(JSON.stringify([await outcome(() => makeDirectorySync(path)), await outcome(() => makeDirectory(path))]));
`,
  );
  const [command, ...args] = wrap([process.execPath, "--import", "tsx", script, path]);
  const r = spawnSync(command!, args, { encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL" });
  if (r.signal !== null) return { killed: true, results: [], stderr: r.stderr };
  expect(r.status, r.stderr).toBe(0);
  return { killed: false, results: JSON.parse(r.stdout) as unknown[], stderr: r.stderr };
}

describe.each(MAKERS)("%s", (_name, make) => {
  test("makes a directory and its missing parents, and returns those it made, outermost first", async () => {
    const top = freshPath("made");
    const leaf = join(top, "a", "b");
    expect(await make(leaf)).toEqual([top, join(top, "a"), leaf]);
    expect(statSync(leaf).isDirectory()).toBe(true);
    expect(await make(leaf)).toEqual([]);
    expect(await make(join(top, "a", "c"))).toEqual([join(top, "a", "c")]);
  });

  test("a regular file in the way, as the directory or as a parent, is named with what it is", async () => {
    const file = freshPath("plain");
    writeFileSync(file, "x\n");
    for (const path of [file, join(file, "below", "deeper")]) {
      const e = await refusal(make, path);
      expect(e).toMatchObject({ at: file, reason: "not-a-directory", errno: "ENOTDIR", details: { kind: "a regular file" } });
      expect(e.message).toBe(`${file} is a regular file, not a directory`);
    }
  });

  test("a FIFO in the way is named as a FIFO, and is not opened", async () => {
    const fifo = freshPath("pipe");
    execFileSync("mkfifo", [fifo]);
    const e = await refusal(make, join(fifo, "data"));
    expect(e).toMatchObject({ at: fifo, reason: "not-a-directory", errno: "ENOTDIR", details: { kind: "a FIFO (named pipe)" } });
    expect(e.message).toBe(`${fifo} is a FIFO (named pipe), not a directory`);
    const link = freshPath("link-to-pipe");
    symlinkSync(fifo, link);
    expect((await refusal(make, link)).message).toBe(`${link} (a symbolic link to ${fifo}) is a FIFO (named pipe), not a directory`);
  });

  test("a symbolic link to nothing, as the directory or as a parent, is named with where it points, and nothing is made", async () => {
    const link = freshPath("dangling");
    const target = join(dir, "gone", "away");
    symlinkSync(target, link);
    for (const path of [link, join(link, "below")]) {
      const e = await refusal(make, path);
      expect(e).toMatchObject({ at: link, reason: "dangling-link", errno: "ENOENT", details: { link: target } });
      expect(e.message).toBe(`${link} is a symbolic link to ${target}, which does not exist`);
    }
    expect(existsSync(join(dir, "gone"))).toBe(false);
  });

  test("a loop of symbolic links is named as one", async () => {
    const a = freshPath("loop-a");
    const b = freshPath("loop-b");
    symlinkSync(b, a);
    symlinkSync(a, b);
    const e = await refusal(make, join(a, "data"));
    expect(e).toMatchObject({ reason: "link-loop", errno: "ELOOP" });
    expect(e.message).toMatch(/: too many levels of symbolic links \(ELOOP; do they point at each other\?\)$/);
  });

  test("a name longer than the system allows is refused by its mkdir, with the path shown by its ends", async () => {
    const top = freshPath("long");
    const long = join(top, "d".repeat(300));
    const e = await refusal(make, join(long, "data"));
    expect(e).toMatchObject({ at: long, reason: "too-long", errno: "ENAMETOOLONG" });
    expect(e.message).toBe(`${long.slice(0, 60)}…${long.slice(-60)} (${long.length} bytes): ${TOO_LONG}`);
    expect(existsSync(long)).toBe(false);
  });

  test("a path longer in all than the system allows is refused, and nothing is made", async () => {
    const top = freshPath("longer");
    const path = join(top, ...Array.from({ length: 25 }, () => "d".repeat(200)));
    const e = await refusal(make, path);
    expect(e).toMatchObject({ reason: "too-long", errno: "ENAMETOOLONG" });
    expect(e.message.length).toBeLessThan(300);
    expect(existsSync(top)).toBe(false);
  });
});

test("makeDirectory accepts a level another caller makes between its walk and its mkdir (EEXIST)", async () => {
  const top = freshPath("race");
  const leaf = join(top, "a", "b", "c");
  // Every walk finds all four levels missing before any mkdir answers; then one mkdir of each level wins.
  const made = await Promise.all(Array.from({ length: 8 }, () => makeDirectory(leaf)));
  expect(statSync(leaf).isDirectory()).toBe(true);
  expect(made.flat().sort()).toEqual([top, join(top, "a"), join(top, "a", "b"), leaf]);
});

test("makeDirectory names a regular file another caller writes where its walk found nothing, rather than take it for a directory", async () => {
  const top = freshPath("race-file");
  mkdirSync(top);
  const path = join(top, "x");
  // The walk has started (its stat is under way) when the file is written: its mkdir then finds the file (EEXIST).
  const pending = makeDirectory(path).then(
    () => undefined,
    (err: unknown) => err,
  );
  writeFileSync(path, "x\n");
  const e = await pending;
  expect(e).toBeInstanceOf(DirectoryError);
  expect(e).toMatchObject({ at: path, reason: "not-a-directory", message: `${path} is a regular file, not a directory` });
});

describe("a directory that cannot be made below a directory that exists", () => {
  test("under /proc (mkdir answers ENOENT for a parent that exists), both entry points return at once naming /proc", () => {
    const r = inChild("/proc/dslab-no-such-dir/data");
    expect(r.killed, `the walk was still running after 30 s: ${r.stderr}`).toBe(false);
    const refused = {
      name: "DirectoryError",
      at: "/proc/dslab-no-such-dir",
      reason: "cannot-create",
      errno: "ENOENT",
      message: "cannot create /proc/dslab-no-such-dir: /proc allows no new directory there (ENOENT; /proc and /sys hold no data)",
    };
    expect(r.results).toEqual([refused, refused]);
  });

  test("on a read-only file system, both entry points say so (EROFS)", () => {
    const mountPoint = freshPath("read-only");
    mkdirSync(mountPoint);
    // A tmpfs mounted read-only in a mount namespace of its own (a user namespace lets any user mount one).
    const r = inChild(join(mountPoint, "a", "b"), (node) => [
      "unshare",
      "--user",
      "--map-root-user",
      "--mount",
      "sh",
      "-c",
      'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"',
      mountPoint,
      ...node,
    ]);
    expect(r.killed).toBe(false);
    const at = join(mountPoint, "a");
    const refused = { name: "DirectoryError", at, reason: "cannot-create", errno: "EROFS", message: `cannot create ${at}: the file system is read-only (EROFS)` };
    expect(r.results).toEqual([refused, refused]);
  });
});

describe("makeDirectorySync in processes that start at once", () => {
  test("each level of each directory is made by exactly one of them, and none fails on a level another made (EEXIST)", async () => {
    const base = freshPath("processes");
    mkdirSync(base);
    const paths = Array.from({ length: 150 }, (_, i) => join(base, `t${i}`, "a", "b", "c"));
    const script = join(dir, "make-many.mts");
    writeFileSync(
      script,
      `import { makeDirectorySync } from ${JSON.stringify(MODULE)};
const [start, ...paths] = process.argv.slice(2);
const nap = new Int32Array(new SharedArrayBuffer(4));
while (Date.now() < Number(start)) Atomics.wait(nap, 0, 0, 1);
const made = [];
const failed = [];
for (const p of paths) { try { made.push(...makeDirectorySync(p)); } catch (e) { failed.push(e.message); } }
process.stdout.write(JSON.stringify({ made, failed }));
`,
    );
    const start = Date.now() + 4_000;
    const runs = await Promise.all(
      Array.from(
        { length: 3 },
        () =>
          new Promise<{ made: string[]; failed: string[] }>((resolve, reject) => {
            const child = spawn(process.execPath, ["--import", "tsx", script, String(start), ...paths], { stdio: ["ignore", "pipe", "pipe"] });
            let out = "";
            let err = "";
            child.stdout.on("data", (d: Buffer) => (out += d.toString()));
            child.stderr.on("data", (d: Buffer) => (err += d.toString()));
            child.on("error", reject);
            child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`))));
          }),
      ),
    );
    expect(runs.flatMap((r) => r.failed)).toEqual([]);
    const levels = paths.flatMap((p) => [join(p, "..", "..", ".."), join(p, "..", ".."), join(p, ".."), p]);
    expect(runs.flatMap((r) => r.made).sort()).toEqual(levels.sort());
  });
});

describe("abbreviatePath", () => {
  test("shows a short path whole, and a long one by its first and last 60 characters and its length in bytes", () => {
    expect(abbreviatePath("/tmp/out")).toBe("/tmp/out");
    const long = `/data/${"é".repeat(100)}/${"x".repeat(100)}`;
    expect(abbreviatePath(long)).toBe(`/data/${"é".repeat(54)}…${"x".repeat(60)} (${6 + 200 + 1 + 100} bytes)`);
  });
});

describe("prepareOutDir", () => {
  function outError(out: string): InputError {
    try {
      prepareOutDir(out, []);
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return e as InputError;
    }
    throw new Error(`prepareOutDir(${out}) did not refuse it`);
  }

  test("makes the directory and its parents and returns those it made", () => {
    const top = freshPath("out");
    expect(prepareOutDir(join(top, "run"), ["history.edn"])).toEqual([top, join(top, "run")]);
  });

  test("a symbolic link to nothing is named as one, with where it points", () => {
    const link = freshPath("out-dangling");
    const target = join(dir, "out-gone");
    symlinkSync(target, link);
    expect(outError(link).message).toBe(`--out ${link}: ${link} is a symbolic link to ${target}, which does not exist; give a directory for the outputs`);
    expect(outError(join(link, "run")).message).toBe(`--out ${join(link, "run")}: ${link} is a symbolic link to ${target}, which does not exist; give a directory for the outputs`);
  });

  test("a path too long is shown by its ends and its length, not whole", () => {
    const out = join(freshPath("out-long"), "d".repeat(5000));
    const e = outError(out);
    expect(e.message).toBe(`--out ${out.slice(0, 60)}…${out.slice(-60)} (${out.length} bytes): ${TOO_LONG}; give a shorter path for the outputs`);
  });

  test("keeps its wording for a file in the way and a directory it cannot create", () => {
    const file = freshPath("out-file");
    writeFileSync(file, "x\n");
    expect(outError(join(file, "out")).message).toBe(`--out ${join(file, "out")}: ${file} exists and is not a directory; give a directory for the outputs`);
    expect(outError("/proc/self/grades").message).toBe(
      "--out /proc/self/grades: cannot create the directory /proc/self/grades: this file system does not allow it (ENOENT); give a directory you can write to",
    );
  });
});
