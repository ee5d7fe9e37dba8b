/**
 * The node programs refuse a damaged data directory with one line that names
 * the file, the offset and what to do (no stack), exit 4, and leave the
 * directory as it was.
 */
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileStorage } from "../../src/storage/index.js";
import { KV_CLUSTER_BIN, KV_NODE_BIN, ensureSecretIn, exited, freePortRun, killAll, spawnTracked } from "../../src/testing/processes.js";
import { entries } from "../storage/helpers.js";

let dataDir = "";
beforeAll(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-refusal-"));
});
afterAll(async () => {
  await killAll();
  await fsp.rm(dataDir, { recursive: true, force: true });
});

/** A node directory whose WAL has a damaged length field in its second record; returns the WAL and that offset. */
async function damagedNodeDir(dir: string): Promise<{ wal: string; offset: number }> {
  const storage = new FileStorage(dir, { preallocateBytes: 0, log: () => {} });
  await storage.load();
  await storage.persist([{ type: "hardState", hardState: { term: 2, votedFor: "n1" } }]);
  const wal = path.join(dir, "wal-00000001.log");
  const offset = (await fsp.stat(wal)).size;
  await storage.persist([{ type: "append", entries: entries(1, 3, 2) }]);
  await storage.close();
  const buf = await fsp.readFile(wal);
  buf[offset + 3]! ^= 0x40;
  await fsp.writeFile(wal, buf);
  return { wal, offset };
}

const stackLine = /^\s+at /;

describe("node programs on a damaged data directory", () => {
  it("kv-cluster node refuses a README in place of the WAL with one line naming the file and what to do, and exit 4", async () => {
    const nodeDir = path.join(dataDir, "n1");
    await fsp.mkdir(nodeDir, { recursive: true });
    const wal = path.join(nodeDir, "wal-00000001.log");
    const readme = "# n1\nThe data of node n1.\n";
    await fsp.writeFile(wal, readme);
    await ensureSecretIn(dataDir);
    const base = await freePortRun(1);
    const child = spawnTracked([KV_CLUSTER_BIN, "node", "--id", "n1", "--nodes", "1", "--base-port", String(base), "--data-dir", dataDir]);
    await exited(child);
    expect(child.exitCode).toBe(4);
    const errors = child.stderrLines.filter((l) => l.startsWith("kv-cluster: "));
    expect(errors).toEqual([expect.stringMatching(new RegExp(`^kv-cluster: ${wal}: offset 0: not a dslab WAL segment: .*remove the directory and start again.*\\(E_STORAGE_FORMAT\\)$`))]);
    expect(child.stderrLines.filter((l) => stackLine.test(l))).toEqual([]);
    expect(await fsp.readFile(wal, "utf8")).toBe(readme);
  });

  it("kv-cluster node that refuses its data directory prints the refusal alone: no pid line for a node that never ran", async () => {
    const data = path.join(dataDir, "no-pid");
    const nodeDir = path.join(data, "n1");
    await fsp.mkdir(nodeDir, { recursive: true });
    const wal = path.join(nodeDir, "wal-00000001.log");
    await fsp.writeFile(wal, "# n1\n");
    await ensureSecretIn(data);
    const child = spawnTracked([KV_CLUSTER_BIN, "node", "--id", "n1", "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", data]);
    await exited(child);
    expect(child.exitCode).toBe(4);
    expect(child.stderrLines).toEqual([expect.stringMatching(new RegExp(`^kv-cluster: ${wal}: offset 0: not a dslab WAL segment: .*\\(E_STORAGE_FORMAT\\)$`))]);
  });

  it("kv-cluster start exits 4, as its nodes do, when every node refuses its data directory, each refusal said under its node id", async () => {
    const data = path.join(dataDir, "start");
    const readme = "# the data of this node\n";
    for (const id of ["n1", "n2"]) {
      await fsp.mkdir(path.join(data, id), { recursive: true });
      await fsp.writeFile(path.join(data, id, "wal-00000001.log"), readme);
    }
    const base = await freePortRun(2);
    const child = spawnTracked([KV_CLUSTER_BIN, "start", "--nodes", "2", "--base-port", String(base), "--data-dir", data]);
    await exited(child);
    // Each node's refusal is said with the node's id in front, as start shows every other line of a node.
    for (const id of ["n1", "n2"]) {
      const wal = path.join(data, id, "wal-00000001.log");
      expect(child.stderrLines.filter((l) => l.includes("(E_STORAGE_FORMAT)") && l.includes(wal))).toEqual([
        expect.stringMatching(new RegExp(`^${id} \\| kv-cluster: ${wal}: offset 0: not a dslab WAL segment: .*\\(E_STORAGE_FORMAT\\)$`)),
      ]);
    }
    expect(child.stderrLines.at(-1)).toBe("cluster | every node has exited");
    expect(child.exitCode).toBe(4);
    for (const id of ["n1", "n2"]) expect(await fsp.readFile(path.join(data, id, "wal-00000001.log"), "utf8")).toBe(readme);
  }, 60_000);

  it("kv-cluster node refuses the data directory of a 3-node cluster when started with --nodes 1, which would elect itself alone, and exit 4", async () => {
    const data = path.join(dataDir, "members");
    const nodeDir = path.join(data, "n1");
    const storage = new FileStorage(nodeDir, { preallocateBytes: 0, log: () => {}, member: { id: "n1", nodeIds: ["n1", "n2", "n3"] } });
    await storage.load();
    await storage.persist([{ type: "hardState", hardState: { term: 2, votedFor: "n2" } }, { type: "append", entries: entries(1, 3, 2) }]);
    await storage.close();
    const wal = await fsp.readFile(path.join(nodeDir, "wal-00000001.log"));
    await ensureSecretIn(data);
    const base = await freePortRun(1);
    const child = spawnTracked([KV_CLUSTER_BIN, "node", "--id", "n1", "--nodes", "1", "--base-port", String(base), "--data-dir", data]);
    await exited(child);
    expect(child.exitCode).toBe(4);
    expect(child.stderrLines.filter((l) => l.startsWith("kv-cluster: "))).toEqual([
      `kv-cluster: ${path.join(nodeDir, "membership.json")}: this data directory belongs to node n1 of a 3-node cluster (n1, n2, n3), ` +
        `not to node n1 of a 1-node cluster (n1); refusing to start, nothing was changed. A cluster keeps the members it first ` +
        `started with (another count is another majority, and could elect two leaders in one term): start the node with the ` +
        `members and the id it was created with, or give it a new --data-dir. (E_STORAGE_MEMBERSHIP)`,
    ]);
    expect(child.stderrLines.filter((l) => stackLine.test(l))).toEqual([]);
    expect(await fsp.readFile(path.join(nodeDir, "wal-00000001.log"))).toEqual(wal);
  });

  it("the README quotes what kv-cluster node prints for a WAL with a damaged length field, word for word but for the path, offset and checksums", async () => {
    const data = await fsp.mkdtemp(path.join(dataDir, "readme-"));
    await damagedNodeDir(path.join(data, "n1"));
    await ensureSecretIn(data);
    const child = spawnTracked([KV_CLUSTER_BIN, "node", "--id", "n1", "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", data]);
    await exited(child);
    expect(child.exitCode).toBe(4);
    const printed = child.stderrLines.filter((l) => l.startsWith("kv-cluster: "));
    expect(printed).toHaveLength(1);
    // The README's example is a node directory /data/n1 with other numbers.
    const shape = (line: string) => line.replace(/offset \d+/g, "offset N").replace(/0x[0-9a-f]{8}/g, "0xCRC");
    const readme = (await fsp.readFile(new URL("../../README.md", import.meta.url), "utf8")).split("\n").map(shape);
    expect(readme).toContain(shape(printed[0]!.split(data).join("/data")));
  });

  it("kv-node refuses a WAL with a damaged length field with one line naming the file and the offset, and exit 4", async () => {
    const dir = path.join(dataDir, "stdio-n1");
    const { wal, offset } = await damagedNodeDir(dir);
    const before = await fsp.readFile(wal);
    const child = spawnTracked([KV_NODE_BIN, "--data-dir", dir]);
    child.stdin!.write(`${JSON.stringify({ src: "c0", dest: "n1", body: { type: "init", msg_id: 1, node_id: "n1", node_ids: ["n1"] } })}\n`);
    await exited(child);
    expect(child.exitCode).toBe(4);
    expect(child.stderrLines).toEqual([
      expect.stringMatching(new RegExp(`^n1 \\| could not start: ${wal}: offset ${offset}: damaged record: header checksum mismatch .*remove the directory.*\\(E_STORAGE_CORRUPT\\)$`)),
    ]);
    expect(await fsp.readFile(wal)).toEqual(before);
  });
});
