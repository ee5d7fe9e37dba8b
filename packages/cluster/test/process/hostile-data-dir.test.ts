/**
 * A data directory a user mistyped or an adversary prepared: every node
 * program ends promptly with one line that names the path and what is
 * wrong (exit 4, or 2 for a path it cannot even print), never waits on a
 * file system call that cannot finish, prints no stack trace and leaves no
 * node process behind.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KV_CLUSTER_BIN, KV_NODE_BIN, ensureSecretIn, freePortRun, killAll, spawnTracked } from "../../src/testing/processes.js";

/** Far longer than any of these programs needs to refuse; a program still running after it is hung. */
const BOUND_MS = 20_000;
const TEST_MS = 60_000;

let dir = "";
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-hostile-dir-"));
});
afterEach(async () => {
  await killAll();
});
afterAll(async () => {
  await killAll();
  await fsp.rm(dir, { recursive: true, force: true });
});

type Tracked = ChildProcess & { stderrLines: string[] };

/** Waits up to BOUND_MS for the child to exit; a child still running then is killed, and the result says so. */
async function outcome(child: Tracked): Promise<{ code: number | null; hung: boolean; lines: string[] }> {
  const done = child.exitCode !== null || child.signalCode !== null;
  const exitedInTime = done
    ? true
    : await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), BOUND_MS);
        child.once("exit", () => (clearTimeout(timer), resolve(true)));
      });
  if (!exitedInTime) {
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
  }
  // The last lines arrive with the pipes' end, just after the exit.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { code: exitedInTime ? child.exitCode : null, hung: !exitedInTime, lines: child.stderrLines };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The node pids `kv-cluster start` announced (`cluster | n1 pid 4242 on ...`). */
function announcedPids(lines: readonly string[]): number[] {
  return lines.flatMap((l) => {
    const m = /^cluster \| n\d+ pid (\d+) /.exec(l);
    return m ? [Number(m[1])] : [];
  });
}

const stackLine = /^\s+at /;

async function start(dataDir: string, nodes = 2): Promise<{ code: number | null; hung: boolean; lines: string[]; pids: number[] }> {
  const base = await freePortRun(nodes);
  const child = spawnTracked([KV_CLUSTER_BIN, "start", "--nodes", String(nodes), "--base-port", String(base), "--data-dir", dataDir]);
  const r = await outcome(child);
  const pids = announcedPids(r.lines);
  // A node `start` spawned may still be on its way out: give it a moment, then make sure.
  for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const pid of pids.filter(alive)) process.kill(pid, "SIGKILL");
  return { ...r, pids };
}

function mkfifo(file: string): void {
  execFileSync("mkfifo", [file]);
}

describe("kv-cluster start refuses a data directory it cannot use, at once", () => {
  it("a --data-dir under /proc, where mkdir answers ENOENT although the parent exists, is one line and exit 4, not a hang", async () => {
    const r = await start("/proc/dslab-no-such-dir");
    expect(r.hung).toBe(false);
    expect(r.code).toBe(4);
    expect(r.lines).toEqual([expect.stringMatching(/^kv-cluster: --data-dir: cannot create \/proc\/dslab-no-such-dir: \/proc allows no new directory there \(ENOENT/)]);
    expect(r.pids).toEqual([]);
  }, TEST_MS);

  it.each([
    ["a dangling symbolic link", async (n1: string) => fsp.symlink(path.join(path.dirname(n1), "nowhere"), n1), /is a symbolic link to .*nowhere, which does not exist/],
    ["a symbolic link into /proc", async (n1: string) => fsp.symlink("/proc/dslab-no-such-dir", n1), /is a symbolic link to \/proc\/dslab-no-such-dir, which does not exist/],
    ["a FIFO", async (n1: string) => mkfifo(n1), /is a FIFO \(named pipe\), not a directory/],
    ["a regular file", async (n1: string) => fsp.writeFile(n1, "x\n"), /is a regular file, not a directory/],
    [
      "a symbolic link to a FIFO",
      async (n1: string) => {
        mkfifo(`${n1}.fifo`);
        await fsp.symlink(`${n1}.fifo`, n1);
      },
      /\(a symbolic link to .*n1\.fifo\) is a FIFO \(named pipe\), not a directory/,
    ],
  ])("a node directory that is %s is one line naming it and exit 4, and no node is started", async (_what, make, reason) => {
    const data = await fsp.mkdtemp(path.join(dir, "start-"));
    const n1 = path.join(data, "n1");
    await make(n1);
    const r = await start(data);
    expect(r.hung).toBe(false);
    expect(r.code).toBe(4);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^kv-cluster: --data-dir: /);
    expect(r.lines[0]).toContain(n1);
    expect(r.lines[0]).toMatch(reason);
    expect(r.pids).toEqual([]);
  }, TEST_MS);

  it.each([
    ["/dev/null", () => "/dev/null", /\/dev\/null is a character device, not a directory/],
    ["a path under a FIFO", () => path.join(dir, "pipe", "data"), /pipe is a FIFO \(named pipe\), not a directory/],
    ["a regular file", () => path.join(dir, "plain-file"), /plain-file is a regular file, not a directory/],
  ])("a --data-dir that is %s is one line naming what is in the way and exit 4", async (_what, where, reason) => {
    await fsp.writeFile(path.join(dir, "plain-file"), "x\n").catch(() => {});
    await fsp.access(path.join(dir, "pipe")).catch(() => mkfifo(path.join(dir, "pipe")));
    const r = await start(where());
    expect(r.hung).toBe(false);
    expect(r.code).toBe(4);
    expect(r.lines).toEqual([expect.stringMatching(reason)]);
    expect(r.pids).toEqual([]);
  }, TEST_MS);

  it("a --data-dir longer than the system allows is one line and exit 4, and creates nothing", async () => {
    const long = path.join(dir, "long", ...Array.from({ length: 25 }, () => "d".repeat(200)));
    const r = await start(long);
    expect(r.hung).toBe(false);
    expect(r.code).toBe(4);
    expect(r.lines).toEqual([expect.stringMatching(/^kv-cluster: --data-dir: .*: the path is too long \(ENAMETOOLONG/)]);
    await expect(fsp.access(path.join(dir, "long"))).rejects.toThrow(/ENOENT/);
  }, TEST_MS);

  it("a --data-dir with a newline in it is a usage error (exit 2) that shows the newline escaped, and no node is started", async () => {
    const r = await start(path.join(dir, "new\nline"));
    expect(r.hung).toBe(false);
    expect(r.code).toBe(2);
    expect(r.lines[0]).toMatch(/^kv-cluster: --data-dir ".*new\\u000aline": holds a control character/);
    expect(r.pids).toEqual([]);
    await expect(fsp.access(path.join(dir, "new\nline"))).rejects.toThrow(/ENOENT/);
  }, TEST_MS);
});

describe("a node refuses a storage file that is not a regular file, at once", () => {
  const fifo = "it is a FIFO (named pipe) where a regular file belongs; remove or move it";
  it.each([
    ["a FIFO in place of the WAL segment", "wal-00000001.log", mkfifo, (file: string) => `cannot read it: ${fifo}`],
    ["a FIFO in place of snapshot.bin", "snapshot.bin", mkfifo, (file: string) => `cannot read it: ${fifo}`],
    ["a FIFO in place of LOCK", "LOCK", mkfifo, (file: string) => `cannot read the lock file: ${fifo}`],
    [
      "a symbolic link to nothing in place of LOCK",
      "LOCK",
      (file: string) => execFileSync("ln", ["-s", `${file}.gone`, file]),
      (file: string) => `cannot read the lock file: it is a symbolic link to ${file}.gone, which does not exist; remove it`,
    ],
  ])("kv-cluster node with %s: one line naming it and exit 4, not a hang", async (_what, name, make, reason) => {
    const data = await fsp.mkdtemp(path.join(dir, "file-"));
    await fsp.mkdir(path.join(data, "n1"));
    const file = path.join(data, "n1", name);
    make(file);
    await ensureSecretIn(data);
    const base = await freePortRun(1);
    const r = await outcome(spawnTracked([KV_CLUSTER_BIN, "node", "--id", "n1", "--nodes", "1", "--base-port", String(base), "--data-dir", data]));
    expect(r.hung).toBe(false);
    expect(r.code).toBe(4);
    const errors = r.lines.filter((l) => l.startsWith("kv-cluster: "));
    expect(errors).toEqual([`kv-cluster: ${file}: ${reason(file)} (E_STORAGE_IO)`]);
    expect(r.lines.filter((l) => stackLine.test(l))).toEqual([]);
  }, TEST_MS);

  it("kv-cluster node with a --data-dir under /proc (and its secret elsewhere): one line and exit 4, not a hang", async () => {
    const data = await fsp.mkdtemp(path.join(dir, "secret-"));
    const secret = await ensureSecretIn(data);
    const base = await freePortRun(1);
    const r = await outcome(
      spawnTracked([KV_CLUSTER_BIN, "node", "--id", "n1", "--nodes", "1", "--base-port", String(base), "--data-dir", "/proc/dslab-no-such-dir", "--secret-file", secret]),
    );
    expect(r.hung).toBe(false);
    expect(r.code).toBe(4);
    expect(r.lines.filter((l) => l.startsWith("kv-cluster: "))).toEqual([
      expect.stringMatching(/^kv-cluster: --data-dir: cannot create \/proc\/dslab-no-such-dir: \/proc allows no new directory there \(ENOENT/),
    ]);
  }, TEST_MS);
});

describe("kv-node --data-dir", () => {
  const init = `${JSON.stringify({ src: "c0", dest: "n1", body: { type: "init", msg_id: 1, node_id: "n1", node_ids: ["n1"] } })}\n`;

  it.each([
    ["under /proc", async () => "/proc/dslab-no-such-dir", /^n1 \| could not start: cannot create \/proc\/dslab-no-such-dir: \/proc allows no new directory there \(ENOENT.*\); give the node a data directory it can create and write \(E_STORAGE_IO\)$/],
    [
      "holding a FIFO in place of its WAL",
      async () => {
        const d = await fsp.mkdtemp(path.join(dir, "stdio-"));
        mkfifo(path.join(d, "wal-00000001.log"));
        return d;
      },
      /^n1 \| could not start: .*wal-00000001\.log: cannot read it: it is a FIFO \(named pipe\) where a regular file belongs; remove or move it \(E_STORAGE_IO\)$/,
    ],
  ])("%s: one line after init and exit 4, not a hang", async (_what, make, line) => {
    const child = spawnTracked([KV_NODE_BIN, "--data-dir", await make()]);
    child.stdin!.write(init);
    const r = await outcome(child);
    expect(r.hung).toBe(false);
    expect(r.code).toBe(4);
    expect(r.lines).toEqual([expect.stringMatching(line)]);
  }, TEST_MS);

  it("with a newline in it is a usage error (exit 2) before any input", async () => {
    const child = spawnTracked([KV_NODE_BIN, "--data-dir", path.join(dir, "new\nline")]);
    const r = await outcome(child);
    expect(r.hung).toBe(false);
    expect(r.code).toBe(2);
    expect(r.lines[0]).toMatch(/^kv-node: --data-dir ".*new\\u000aline": holds a control character/);
  }, TEST_MS);
});
