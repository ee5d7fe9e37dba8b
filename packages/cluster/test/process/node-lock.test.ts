/**
 * The LOCK of a node's data directory (storage/lock.ts) on the command
 * line: a `kv-cluster node` that stops on its own after taking it (its port
 * or HTTP port taken, its core failing) removes the LOCK it made, so the
 * directory does not look held once the node is gone; a LOCK a live process
 * holds is never removed by another node's failure.
 */
import { promises as fsp } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KV_CLUSTER_BIN, ensureSecretIn, exited, freePortRun, killAll, spawnTracked, waitFor } from "../../src/testing/processes.js";

const THROWS_ON_TICK = fileURLToPath(new URL("../fixtures/cores/throws-on-tick.ts", import.meta.url));

let dir = "";
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-node-lock-"));
});
afterEach(async () => {
  await killAll();
});
afterAll(async () => {
  await killAll();
  await fsp.rm(dir, { recursive: true, force: true });
});

/** Runs a command to its end: exit code and stderr lines. */
async function run(args: string[]): Promise<{ code: number | null; stderr: string[] }> {
  const child = spawnTracked([KV_CLUSTER_BIN, ...args]);
  await exited(child);
  // The last lines arrive with the pipes' end, just after the exit.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { code: child.exitCode, stderr: child.stderrLines };
}

/** A data directory with its cluster secret, for `kv-cluster node --data-dir`. */
async function dataDir(name: string): Promise<string> {
  const data = await fsp.mkdtemp(path.join(dir, `${name}-`));
  await ensureSecretIn(data);
  return data;
}

/** Another program listening on 127.0.0.1:port until the returned close is called. */
async function occupy(port: number): Promise<() => Promise<void>> {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
  return () => new Promise<void>((resolve) => holder.close(() => resolve()));
}

/** The names in a node's data directory that belong to the lock (LOCK, its temp files and takeover markers). */
async function lockFiles(nodeDir: string): Promise<string[]> {
  return (await fsp.readdir(nodeDir)).filter((n) => n === "LOCK" || n.startsWith("LOCK."));
}

const nodeArgs = (data: string, base: number, extra: string[] = []) => ["node", "--id", "n1", "--nodes", "1", "--base-port", String(base), "--data-dir", data, ...extra];

describe("kv-cluster node and the LOCK of its data directory", () => {
  it("a node whose port another program holds exits 1 saying so and removes its LOCK; the next run on a free port starts and holds a LOCK of its own", async () => {
    const data = await dataDir("port");
    const base = await freePortRun(1);
    const release = await occupy(base);
    let r: Awaited<ReturnType<typeof run>>;
    try {
      r = await run(nodeArgs(data, base));
    } finally {
      await release();
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `n1 | cannot listen on 127.0.0.1:${base}: another program listens there (this node already running?); stop it, or give another --base-port (listen EADDRINUSE: address already in use 127.0.0.1:${base})`,
    );
    // The node did take the directory (it restored its storage) before it tried the port.
    expect(r.stderr.some((l) => l.startsWith("n1 | started: term 0"))).toBe(true);
    expect(await lockFiles(path.join(data, "n1"))).toEqual([]);

    const free = await freePortRun(1);
    const second = spawnTracked([KV_CLUSTER_BIN, ...nodeArgs(data, free)]);
    await waitFor("the second run listening", 20_000, async () => second.stderrLines.some((l) => l.startsWith(`n1 | listening on 127.0.0.1:${free}`)));
    expect((await fsp.readFile(path.join(data, "n1", "LOCK"), "utf8")).split(" ")[0]).toBe(String(second.pid));
    // Nothing to take over and nothing left to clean up: the failed run closed its storage.
    expect(second.stderrLines.filter((l) => /LOCK|stale|takeover|take over|took over|in use|\[wal\]/.test(l))).toEqual([]);
    second.kill("SIGTERM");
    await exited(second);
    expect(second.exitCode).toBe(0);
    expect(await lockFiles(path.join(data, "n1"))).toEqual([]);
  }, 60_000);

  it("a node whose HTTP port another program holds exits 1 and removes its LOCK", async () => {
    const data = await dataDir("http");
    const base = await freePortRun(2);
    const release = await occupy(base + 1);
    let r: Awaited<ReturnType<typeof run>>;
    try {
      r = await run(nodeArgs(data, base, ["--http-port", String(base + 1)]));
    } finally {
      await release();
    }
    expect(r.code).toBe(1);
    expect(r.stderr.some((l) => l.startsWith(`n1 | cannot serve HTTP on 127.0.0.1:${base + 1}: another program listens there`))).toBe(true);
    expect(await lockFiles(path.join(data, "n1"))).toEqual([]);
  }, 60_000);

  it("a node whose core fails once it runs exits 1 and removes its LOCK", async () => {
    const data = await dataDir("core");
    const r = await run(nodeArgs(data, await freePortRun(1), ["--core", THROWS_ON_TICK]));
    expect(r.code).toBe(1);
    expect(r.stderr.some((l) => l.startsWith("n1 | stopping: the core from --core"))).toBe(true);
    expect(await lockFiles(path.join(data, "n1"))).toEqual([]);
  }, 60_000);

  it("a node that fails to start never removes the LOCK of a live node: not on a directory that node holds, not on a port it listens on", async () => {
    const data = await dataDir("live");
    const base = await freePortRun(1);
    const first = spawnTracked([KV_CLUSTER_BIN, ...nodeArgs(data, base)]);
    await waitFor("the live node listening", 20_000, async () => first.stderrLines.some((l) => l.startsWith(`n1 | listening on 127.0.0.1:${base}`)));
    const lockFile = path.join(data, "n1", "LOCK");
    const held = await fsp.readFile(lockFile, "utf8");
    expect(held.split(" ")[0]).toBe(String(first.pid));

    // The same directory on another port: refused by the LOCK, which stays as it was.
    const sameDir = await run(nodeArgs(data, await freePortRun(1)));
    expect(sameDir.code).toBe(1);
    expect(sameDir.stderr.join("\n")).toContain(`is in use by process ${first.pid}`);
    expect(await fsp.readFile(lockFile, "utf8")).toBe(held);

    // Another directory on the live node's port: that node removes its own LOCK only.
    const other = await dataDir("other");
    const samePort = await run(nodeArgs(other, base));
    expect(samePort.code).toBe(1);
    expect(samePort.stderr.some((l) => l.startsWith(`n1 | cannot listen on 127.0.0.1:${base}`))).toBe(true);
    expect(await lockFiles(path.join(other, "n1"))).toEqual([]);
    expect(await fsp.readFile(lockFile, "utf8")).toBe(held);
    expect(first.exitCode).toBe(null);

    first.kill("SIGTERM");
    await exited(first);
    expect(first.exitCode).toBe(0);
  }, 90_000);
});
