/**
 * Reading an input file: only a regular file is read, within its size
 * bound; a FIFO, a device or a directory is refused at once with what it is,
 * and every failure is a ReadRegularError with a code.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openRegularFile, readRegularFile, readRegularFileSync, ReadRegularError, type ReadRegularOptions, type RegularFile } from "../src/cli/index.js";

const MODULE = fileURLToPath(new URL("../src/cli/index.ts", import.meta.url));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "dslab-read-regular-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The two readers, run the same way: the error a read throws, or the file read. */
const READERS: ReadonlyArray<[string, (path: string, options: ReadRegularOptions) => Promise<RegularFile>]> = [
  ["readRegularFileSync", async (path, options) => readRegularFileSync(path, options)],
  ["readRegularFile", readRegularFile],
];

async function refusal(read: (path: string, options: ReadRegularOptions) => Promise<RegularFile>, path: string, options: ReadRegularOptions): Promise<ReadRegularError> {
  const e = await read(path, options).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ReadRegularError);
  return e as ReadRegularError;
}

describe.each(READERS)("%s", (_name, read) => {
  test("reads a regular file whole, with its stat", async () => {
    const file = join(dir, "text.txt");
    writeFileSync(file, "héllo\n", { mode: 0o640 });
    const r = await read(file, { maxBytes: 100 });
    expect(r.bytes.toString("utf8")).toBe("héllo\n");
    expect(r.stats.isFile()).toBe(true);
    expect(r.stats.mode & 0o777).toBe(0o640);
  });

  test("reads a file of exactly the limit, and an empty file as no bytes", async () => {
    const exact = join(dir, "exact.txt");
    writeFileSync(exact, "x".repeat(64));
    expect((await read(exact, { maxBytes: 64 })).bytes.length).toBe(64);
    const empty = join(dir, "empty.txt");
    writeFileSync(empty, "");
    const r = await read(empty, { maxBytes: 64 });
    expect(r.bytes.length).toBe(0);
    expect(r.stats.size).toBe(0);
  });

  test("a missing file is the system's ENOENT, with its message and cause", async () => {
    const missing = join(dir, "nope.txt");
    const e = await refusal(read, missing, { maxBytes: 100 });
    expect(e.code).toBe("ENOENT");
    expect(e.path).toBe(missing);
    expect(e.message).toMatch(/^ENOENT: no such file or directory/);
    expect((e.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  test("a path under a regular file is the system's ENOTDIR", async () => {
    const file = join(dir, "plain.txt");
    writeFileSync(file, "x");
    expect((await refusal(read, join(file, "below"), { maxBytes: 100 })).code).toBe("ENOTDIR");
  });

  test("a directory is refused as NOT_A_FILE, saying what it is", async () => {
    const sub = join(dir, "a-directory");
    mkdirSync(sub, { recursive: true });
    const e = await refusal(read, sub, { maxBytes: 100 });
    expect(e.code).toBe("NOT_A_FILE");
    expect(e.message).toBe("it is a directory, not a regular file");
    expect(e.details.stats?.isDirectory()).toBe(true);
  });

  test("a character device (/dev/zero, which never ends) is refused unread, with the label in place of 'it'", async () => {
    const e = await refusal(read, "/dev/zero", { maxBytes: 100, label: "the cluster secret" });
    expect(e.code).toBe("NOT_A_FILE");
    expect(e.message).toBe("the cluster secret is a character device, not a regular file");
  });

  test("a file over the limit is refused by its size, unread", async () => {
    const big = join(dir, "big.bin");
    writeFileSync(big, Buffer.alloc(101, 1));
    const e = await refusal(read, big, { maxBytes: 100, label: "the trace file" });
    expect(e.code).toBe("TOO_LARGE");
    expect(e.message).toBe("the trace file is 101 bytes, more than the limit of 100 bytes");
    expect(e.details).toMatchObject({ size: 101, limit: 100 });
    expect(e.details.grew).toBeUndefined();
  });

  test("a sparse file far over the limit is refused by its size, unread", async () => {
    const sparse = join(dir, "sparse.bin");
    writeFileSync(sparse, "");
    execFileSync("truncate", ["-s", "8G", sparse]);
    const e = await refusal(read, sparse, { maxBytes: 1 << 20 });
    expect(e.code).toBe("TOO_LARGE");
    expect(e.details.size).toBe(8 * 2 ** 30);
  });

  test("a file that gives more bytes than its size said when opened (it grew) is refused once past the limit, having read the limit and one byte", async () => {
    // A /proc file has the size 0 when opened and its text when read: to the reader, a file that grew after it was opened.
    const file = "/proc/self/status";
    expect(statSync(file).size).toBe(0);
    const e = await refusal(read, file, { maxBytes: 100 });
    expect(e.code).toBe("TOO_LARGE");
    expect(e.message).toBe("it grew past the limit of 100 bytes while it was read");
    expect(e.details).toMatchObject({ size: 101, limit: 100, grew: true });
    // Within the limit, the same kind of file is read whole.
    const whole = await read(file, { maxBytes: 1 << 20 });
    expect(whole.bytes.toString("utf8")).toMatch(/^Name:/);
  });
});

describe("openRegularFile", () => {
  test("opens a regular file for a partial read, and refuses a directory as NOT_A_FILE", async () => {
    const file = join(dir, "part.txt");
    writeFileSync(file, "0123456789");
    const { handle, stats } = await openRegularFile(file);
    try {
      const buffer = Buffer.alloc(4);
      await handle.read(buffer, 0, 4, 0);
      expect(buffer.toString()).toBe("0123");
      expect(stats.size).toBe(10);
    } finally {
      await handle.close();
    }
    await expect(openRegularFile(dir, { label: "the paste" })).rejects.toMatchObject({ code: "NOT_A_FILE", message: "the paste is a directory, not a regular file" });
  });
});

/**
 * A FIFO with no writer: opening it for reading without O_NONBLOCK would
 * block (the sync reader, the whole thread), so the readers run in a child
 * process that is killed if it outlives a generous bound: a hang fails the
 * test instead of holding the test run.
 */
describe("a FIFO with no writer", () => {
  test("is refused at once by every reader, directly and through a symlink", () => {
    const fifo = join(dir, "pipe");
    execFileSync("mkfifo", [fifo]);
    const link = join(dir, "link-to-pipe");
    symlinkSync(fifo, link);
    const script = join(dir, "read-fifo.mts");
    writeFileSync(
      script,
      `import { openRegularFile, readRegularFile, readRegularFileSync } from ${JSON.stringify(MODULE)};
const outcome = async (f) => { try { await f(); return "read"; } catch (e) { return [e.code, e.message]; } };
const results = [];
for (const path of ${JSON.stringify([fifo, link])}) {
  results.push(await outcome(() => readRegularFileSync(path, { maxBytes: 100 })));
  results.push(await outcome(() => readRegularFile(path, { maxBytes: 100 })));
  results.push(await outcome(async () => (await openRegularFile(path)).handle.close()));
}
process.stdout.write(JSON.stringify(results));
`,
    );
    const started = Date.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL" });
    expect(r.signal, `the readers waited on the FIFO until killed after ${Date.now() - started} ms`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const refused = ["NOT_A_FILE", "it is a FIFO (named pipe), not a regular file"];
    expect(JSON.parse(r.stdout)).toEqual([refused, refused, refused, refused, refused, refused]);
  });
});
