/**
 * The cluster secret on the command line: `kv-cluster start` creates it in
 * the data directory (mode 0600) and keeps it across runs; `kv-cluster node`
 * refuses to run without a usable one, with exit 4 and a message that says
 * which file and what to do.
 */
import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KV_CLUSTER_BIN, ask, exited, freePortRun, killAll, spawnTracked, waitFor } from "../../src/testing/processes.js";

let dir = "";
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-secret-"));
});
afterAll(async () => {
  await killAll();
  await fsp.rm(dir, { recursive: true, force: true });
});

/** Every path under `root` with its kind and mode, sorted: what a refused command must leave as it found it. */
async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const name of (await fsp.readdir(d)).sort()) {
      const p = path.join(d, name);
      const s = await fsp.lstat(p);
      const kind = s.isDirectory() ? "dir" : s.isSymbolicLink() ? `link -> ${await fsp.readlink(p)}` : s.isFile() ? `file ${s.size} bytes` : "other";
      out.push(`${path.relative(root, p)}: ${kind}, mode ${(s.mode & 0o777).toString(8)}`);
      if (s.isDirectory()) await walk(p);
    }
  };
  await walk(root);
  return out;
}

async function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawnTracked([KV_CLUSTER_BIN, ...args]);
  await exited(child);
  return { code: child.exitCode, stderr: child.stderrLines.join("\n") };
}

describe("kv-cluster and the cluster secret", () => {
  it("start creates DATA/cluster.secret with mode 0600, and a second start keeps the same secret", async () => {
    const data = path.join(dir, "start");
    const secretFile = path.join(data, "cluster.secret");
    const contents: string[] = [];
    for (let round = 0; round < 2; round++) {
      const base = await freePortRun(3);
      const cluster = spawnTracked([KV_CLUSTER_BIN, "start", "--nodes", "3", "--base-port", String(base), "--data-dir", data]);
      await waitFor("a leader", 15_000, async () => {
        for (let i = 0; i < 3; i++) if ((await ask(base + i, { type: "status" }))?.role === "leader") return true;
        return null;
      });
      expect(cluster.stderrLines).toContain(`cluster | cluster secret: ${secretFile}${round === 0 ? " (created, mode 0600)" : ""}`);
      cluster.kill("SIGTERM");
      await exited(cluster);
      expect(cluster.exitCode).toBe(0);
      const stat = await fsp.stat(secretFile);
      expect(stat.mode & 0o777).toBe(0o600);
      contents.push(await fsp.readFile(secretFile, "utf8"));
    }
    expect(contents[0]).toMatch(/^[0-9a-f]{64}\n$/);
    expect(contents[1]).toBe(contents[0]);
  }, 60_000);

  it.each<[string, (data: string) => Promise<string[]>, RegExp]>([
    [
      "a data directory without a secret",
      async () => [],
      /^kv-cluster: .*cluster\.secret: no cluster secret\. Peers prove this secret to each other; `kv-cluster start` creates it in the data directory, or pass --secret-file FILE/m,
    ],
    [
      "a secret file others can read",
      async (data) => {
        const f = path.join(data, "loose.secret");
        await fsp.writeFile(f, "s".repeat(64), { mode: 0o644 });
        await fsp.chmod(f, 0o644);
        return ["--secret-file", f];
      },
      /^kv-cluster: .*loose\.secret: the cluster secret is readable by others \(mode 644\); run chmod 600/m,
    ],
    [
      "a secret that is too short to be one",
      async (data) => {
        const f = path.join(data, "short.secret");
        await fsp.writeFile(f, "hunter2\n", { mode: 0o600 });
        return ["--secret-file", f];
      },
      /^kv-cluster: .*short\.secret:1: the cluster secret has 7 characters; it needs at least 32/m,
    ],
    [
      "a named pipe as the secret file (refused without waiting for a writer)",
      async (data) => {
        const f = path.join(data, "pipe.secret");
        execFileSync("mkfifo", ["-m", "600", f]);
        return ["--secret-file", f];
      },
      /^kv-cluster: .*pipe\.secret: the cluster secret is a FIFO \(named pipe\), not a regular file$/m,
    ],
    [
      "a secret file over 64 KiB (refused by its size, unread)",
      async (data) => {
        const f = path.join(data, "large.secret");
        await fsp.writeFile(f, "s".repeat(64 * 1024 + 1), { mode: 0o600 });
        return ["--secret-file", f];
      },
      /^kv-cluster: .*large\.secret: the cluster secret is 65537 bytes, more than the limit of 65536 bytes$/m,
    ],
    [
      "a device as the secret file (refused unread)",
      async () => ["--secret-file", "/dev/zero"],
      /^kv-cluster: \/dev\/zero: the cluster secret is a character device, not a regular file$/m,
    ],
    [
      "a directory as the secret file",
      async (data) => ["--secret-file", data],
      /^kv-cluster: .*node-\w+: the cluster secret is a directory, not a regular file$/m,
    ],
  ])("node refuses to start with %s: exit 4 and what to do", async (_what, setup, message) => {
    const data = await fsp.mkdtemp(path.join(dir, "node-"));
    const extra = await setup(data);
    const base = await freePortRun(3);
    const r = await run(["node", "--id", "n1", "--nodes", "3", "--base-port", String(base), "--data-dir", data, ...extra]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for an expected failure
  }, 30_000);

  it.each([["start"], ["node"]])("%s with a --secret-file that does not exist says the option's file is missing and how to make one, exit 4", async (command) => {
    const data = await fsp.mkdtemp(path.join(dir, "named-missing-"));
    const missing = path.join(data, "nowhere.secret");
    const r = await run([command!, ...(command === "node" ? ["--id", "n1"] : []), "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", data, "--secret-file", missing]);
    expect(r.code).toBe(4);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("kv-cluster: "))).toEqual([
      `kv-cluster: ${missing}: no cluster secret: the file --secret-file names does not exist. Create it (at least 32 characters, readable by its owner only: ` +
        "openssl rand -hex 32 > FILE && chmod 600 FILE) and give every node the same file, or leave out --secret-file and `kv-cluster start` creates DIR/cluster.secret",
    ]);
  }, 30_000);

  it("start --secret-file uses the file it names and does not create one in the data directory", async () => {
    const data = await fsp.mkdtemp(path.join(dir, "named-"));
    const missing = path.join(data, "nowhere.secret");
    const r = await run(["start", "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", data, "--secret-file", missing]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/nowhere\.secret: no cluster secret/);
    await expect(fsp.stat(path.join(data, "cluster.secret"))).rejects.toThrow();
  }, 30_000);

  it.each<[string, (outside: string) => string]>([
    ["an absolute path", (outside) => path.join(outside, "cluster.secret")],
    ["a relative path", () => "../elsewhere/cluster.secret"],
  ])("a cluster.secret that is a symbolic link to nothing (%s): start and node say so and what to do, exit 4, and start writes nothing through it", async (_what, target) => {
    const root = await fsp.mkdtemp(path.join(dir, "dangling-"));
    const data = path.join(root, "data");
    // The directory the link points into exists: a write through the link would land there.
    const outside = path.join(root, "outside");
    await fsp.mkdir(data);
    await fsp.mkdir(outside);
    const link = path.join(data, "cluster.secret");
    await fsp.symlink(target(outside), link);
    const resolved = path.resolve(data, target(outside));
    const shown = path.isAbsolute(target(outside)) ? target(outside) : `${target(outside)} (${resolved})`;
    const line = `kv-cluster: ${link} is a symbolic link to ${shown}, which does not exist; remove the link (\`kv-cluster start\` then creates a new secret in the data directory) or point it at the cluster's secret file`;
    const base = await freePortRun(1);
    for (const command of [
      ["start", "--nodes", "1", "--base-port", String(base), "--data-dir", data],
      ["node", "--id", "n1", "--nodes", "1", "--base-port", String(base), "--data-dir", data],
    ]) {
      const r = await run(command);
      expect(r.code).toBe(4);
      expect(r.stderr.split("\n").filter((l) => l.startsWith("kv-cluster: "))).toEqual([line]);
      expect(r.stderr).not.toMatch(/no cluster secret/);
    }
    expect(await fsp.readdir(outside)).toEqual([]);
    await expect(fsp.lstat(resolved)).rejects.toThrow(/ENOENT/);
    expect(await fsp.readlink(link)).toBe(target(outside));
  }, 60_000);

  it("--secret-file naming a symbolic link to nothing: node says so and what to do, exit 4", async () => {
    const data = await fsp.mkdtemp(path.join(dir, "dangling-named-"));
    const link = path.join(data, "named.secret");
    await fsp.symlink(path.join(data, "gone.secret"), link);
    const r = await run(["node", "--id", "n1", "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", data, "--secret-file", link]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(
      `kv-cluster: ${link} is a symbolic link to ${path.join(data, "gone.secret")}, which does not exist; remove the link or point it at the cluster's secret file`,
    );
  }, 30_000);

  it("a cluster.secret that links to a symbolic link to nothing: node names the first link and says the second leads nowhere, exit 4", async () => {
    const data = await fsp.mkdtemp(path.join(dir, "dangling-chain-"));
    const link = path.join(data, "cluster.secret");
    await fsp.symlink(path.join(data, "gone"), path.join(data, "middle"));
    await fsp.symlink(path.join(data, "middle"), link);
    const r = await run(["node", "--id", "n1", "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", data]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`kv-cluster: ${link} is a symbolic link to ${path.join(data, "middle")}, which is a symbolic link to nothing in turn; remove the link`);
  }, 30_000);

  it.each<[string, (root: string) => Promise<{ data: string; args: string[] }>]>([
    [
      "start with a cluster.secret that is a symbolic link to nothing",
      async (root) => {
        const data = path.join(root, "data");
        await fsp.mkdir(data);
        await fsp.symlink(path.join(root, "gone.secret"), path.join(data, "cluster.secret"));
        return { data, args: ["start", "--nodes", "3"] };
      },
    ],
    [
      "start with a cluster.secret others can read",
      async (root) => {
        const data = path.join(root, "data");
        await fsp.mkdir(data);
        await fsp.writeFile(path.join(data, "cluster.secret"), "s".repeat(64), { mode: 0o644 });
        await fsp.chmod(path.join(data, "cluster.secret"), 0o644);
        return { data, args: ["start", "--nodes", "3"] };
      },
    ],
    [
      "start with a --secret-file that does not exist, on a data directory not made yet",
      async (root) => ({ data: path.join(root, "a", "b", "data"), args: ["start", "--nodes", "3", "--secret-file", path.join(root, "missing.secret")] }),
    ],
    [
      "start with a --secret-file that is a directory",
      async (root) => ({ data: path.join(root, "data"), args: ["start", "--nodes", "2", "--secret-file", root] }),
    ],
    [
      "start whose DIR/n3 is a regular file (after n1 and n2 could be made)",
      async (root) => {
        const data = path.join(root, "data");
        await fsp.mkdir(data);
        await fsp.writeFile(path.join(data, "n3"), "not a directory\n");
        return { data, args: ["start", "--nodes", "3"] };
      },
    ],
    [
      "node on a data directory not made yet, without a secret",
      async (root) => ({ data: path.join(root, "fresh", "data"), args: ["node", "--id", "n2", "--nodes", "3"] }),
    ],
    [
      "node with a --core that cannot be loaded",
      async (root) => ({ data: path.join(root, "data"), args: ["node", "--id", "n1", "--nodes", "1", "--core", path.join(root, "no-such-core.ts")] }),
    ],
  ])("%s is refused and leaves the data directory exactly as it was", async (_what, setup) => {
    const root = await fsp.mkdtemp(path.join(dir, "untouched-"));
    const { data, args } = await setup(root);
    const before = await listTree(root);
    const r = await run([...args, "--base-port", String(await freePortRun(3)), "--data-dir", data]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^kv-cluster: /m);
    expect(await listTree(root)).toEqual(before);
  }, 30_000);

  it.each<[string, (root: string) => Promise<string[]>]>([
    ["a data directory without a secret", async (root) => (await fsp.mkdir(path.join(root, "data")), [])],
    [
      "a cluster.secret that is a relative symbolic link to nothing",
      async (root) => {
        await fsp.mkdir(path.join(root, "data"));
        await fsp.symlink("../keys/kv.secret", path.join(root, "data", "cluster.secret"));
        return [];
      },
    ],
    ["a --secret-file that does not exist", async (root) => ["--secret-file", path.join(root, "kv.secret")]],
  ])("the README quotes, line for line, what node prints for %s", async (_what, setup) => {
    // The README's example lives in /home/me: the same layout under a temp directory, then the path put back.
    const root = await fsp.mkdtemp(path.join(dir, "readme-"));
    const extra = await setup(root);
    const r = await run(["node", "--id", "n1", "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", path.join(root, "data"), ...extra]);
    expect(r.code).toBe(4);
    const printed = r.stderr.split("\n").filter((l) => l.startsWith("kv-cluster: "));
    expect(printed).toHaveLength(1);
    const readme = (await fsp.readFile(new URL("../../README.md", import.meta.url), "utf8")).split("\n");
    expect(readme).toContain(printed[0]!.split(root).join("/home/me"));
  }, 30_000);

  it("node --help documents the secret file and the connection bounds", async () => {
    const child = spawnTracked([KV_CLUSTER_BIN, "node", "--help"]);
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    await exited(child);
    for (const flag of ["--secret-file FILE", "--max-client-connections N", "--max-buffered-input-bytes B", "--idle-timeout-ms MS", "--max-http-connections N"]) {
      expect(out).toContain(flag);
    }
  });
});
