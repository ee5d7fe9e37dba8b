/**
 * A data directory remembers which node of which cluster it belongs to, and
 * refuses to start as another node or with other members: a log and a vote
 * are only safe among the members they were made with.
 */
import { promises as fsp } from "node:fs";
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileStorage, StorageFormatError, StorageMembershipError, type Membership } from "../../src/storage/index.js";
import { entries } from "./helpers.js";

let dir: string;
const logs: string[] = [];
const open: FileStorage[] = [];

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-membership-"));
  logs.length = 0;
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  await fsp.rm(dir, { recursive: true, force: true });
});

const THREE: Membership = { id: "n2", nodeIds: ["n1", "n2", "n3"] };
const MEMBERSHIP = () => path.join(dir, "membership.json");
const WAL = () => path.join(dir, "wal-00000001.log");

function storage(member?: Membership): FileStorage {
  const s = new FileStorage(dir, { log: (l) => logs.push(l), preallocateBytes: 0, lockWaitMs: 0, ...(member ? { member } : {}) });
  open.push(s);
  return s;
}

/** A directory holding term 3 and two entries, written as node n2 of n1-n3. */
async function writtenAsThree(): Promise<void> {
  const s = storage(THREE);
  await s.load();
  await s.persist([{ type: "hardState", hardState: { term: 3, votedFor: "n2" } }, { type: "append", entries: entries(1, 2, 3) }]);
  await s.close();
}

/** A Unix socket listening at `file`; returns what closes it. */
async function listenOn(file: string): Promise<() => Promise<void>> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(file, listening));
  return () => new Promise((closed) => server.close(() => closed()));
}

/** Every file's bytes, by name. */
async function files(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await fsp.readdir(dir)).sort()) {
    if (name !== "LOCK") out[name] = (await fsp.readFile(path.join(dir, name))).toString("base64");
  }
  return out;
}

describe("a data directory's membership", () => {
  it("is recorded on the first start, and a restart with the same members in another order starts", async () => {
    await writtenAsThree();
    expect(JSON.parse(await fsp.readFile(MEMBERSHIP(), "utf8"))).toEqual({ node: "n2", nodes: ["n1", "n2", "n3"] });
    const state = await storage({ id: "n2", nodeIds: ["n3", "n1", "n2"] }).load();
    expect(state.hardState.term).toBe(3);
    expect(state.entries).toHaveLength(2);
    expect(logs).toEqual([]);
  });

  it("refuses a restart with another member count, naming both memberships, and changes nothing", async () => {
    await writtenAsThree();
    const before = await files();
    const error = await storage({ id: "n2", nodeIds: ["n1", "n2", "n3", "n4", "n5"] }).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageMembershipError);
    expect((error as StorageMembershipError).code).toBe("E_STORAGE_MEMBERSHIP");
    expect((error as Error).message).toBe(
      `${MEMBERSHIP()}: this data directory belongs to node n2 of a 3-node cluster (n1, n2, n3), not to node n2 of a ` +
        `5-node cluster (n1, n2, n3, n4, n5); refusing to start, nothing was changed. A cluster keeps the members it first ` +
        `started with (another count is another majority, and could elect two leaders in one term): start the node with ` +
        `the members and the id it was created with, or give it a new --data-dir.`,
    );
    expect(await files()).toEqual(before);
    // The refusal let go of the directory: the right membership starts at once.
    expect((await storage(THREE).load()).hardState.term).toBe(3);
  });

  it("refuses a one-node cluster on the directory of a three-node one, which would elect itself alone", async () => {
    await writtenAsThree();
    await expect(storage({ id: "n2", nodeIds: ["n2"] }).load()).rejects.toThrow(/belongs to node n2 of a 3-node cluster .* not to node n2 of a 1-node cluster \(n2\)/);
  });

  it("refuses a start as another node of the same cluster", async () => {
    await writtenAsThree();
    await expect(storage({ id: "n1", nodeIds: ["n1", "n2", "n3"] }).load()).rejects.toThrow(/belongs to node n2 of a 3-node cluster \(n1, n2, n3\), not to node n1 of/);
  });

  it("records the membership of a directory written before memberships were recorded, keeping its log", async () => {
    const old = storage();
    await old.load();
    await old.persist([{ type: "hardState", hardState: { term: 5, votedFor: null } }, { type: "append", entries: entries(1, 4, 5) }]);
    await old.close();
    await expect(fsp.stat(MEMBERSHIP())).rejects.toThrow(/ENOENT/);
    const state = await storage(THREE).load();
    expect(state.entries).toHaveLength(4);
    expect(JSON.parse(await fsp.readFile(MEMBERSHIP(), "utf8"))).toEqual({ node: "n2", nodes: ["n1", "n2", "n3"] });
  });

  it("deletes the temp file of a first start that crashed before recording it, and records it", async () => {
    await fsp.writeFile(`${MEMBERSHIP()}.tmp`, '{"node":"n2","no');
    await storage(THREE).load();
    expect(await fsp.readdir(dir)).not.toContain("membership.json.tmp");
    expect(logs).toEqual([expect.stringContaining("membership.json.tmp: deleting a temp file of an unfinished first start")]);
    expect(JSON.parse(await fsp.readFile(MEMBERSHIP(), "utf8"))).toEqual({ node: "n2", nodes: ["n1", "n2", "n3"] });
  });

  it.each([
    ["not JSON", "n1,n2,n3\n", /membership\.json: offset 0: is not JSON/],
    ["JSON of another shape", '{"node":"n2","nodes":"n1,n2,n3"}', /does not hold \{"node": ID, "nodes": \[ID, \.\.\.\]\}/],
    ["a node id that is not a string", '{"node":2,"nodes":["n1"]}', /does not hold/],
    ["null", "null", /does not hold/],
    ["larger than any membership", `{"node":"n2","nodes":[${'"n",'.repeat(20_000)}"n"]}`, /is larger than 65536 bytes/],
  ])("refuses a membership file holding %s, naming it, and changes nothing", async (_what, text, message) => {
    await writtenAsThree();
    await fsp.writeFile(MEMBERSHIP(), text);
    const before = await files();
    const error = await storage(THREE).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageFormatError);
    expect((error as Error).message).toMatch(message);
    expect(await files()).toEqual(before);
  });

  it("refuses a membership path that is a named pipe rather than waiting for a writer", async () => {
    execFileSync("mkfifo", [MEMBERSHIP()]);
    const error = await storage(THREE).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageFormatError);
    expect((error as Error).message).toMatch(/membership\.json: offset 0: is not a regular file/);
  });

  it("refuses a membership file whose reported size is 0 but that holds megabytes (a link to /proc/kallsyms) at 64 KiB, not read whole", async () => {
    await writtenAsThree();
    await fsp.rm(MEMBERSHIP());
    await fsp.symlink("/proc/kallsyms", MEMBERSHIP());
    const error = await storage(THREE).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageFormatError);
    expect((error as Error).message).toMatch(/membership\.json: offset 0: is larger than 65536 bytes, so not a file this storage wrote; refusing to start/);
    expect((await fsp.lstat(MEMBERSHIP())).isSymbolicLink()).toBe(true);
  });

  it.each([
    ["a directory", async () => fsp.mkdir(MEMBERSHIP())],
    ["a symbolic link to /dev/zero, which never ends", async () => fsp.symlink("/dev/zero", MEMBERSHIP())],
    ["a Unix socket", async () => listenOn(MEMBERSHIP())],
  ])("refuses a membership path that is %s without reading it, and leaves it where it is", async (_what, make) => {
    await writtenAsThree();
    await fsp.rm(MEMBERSHIP());
    const close = await make();
    try {
      const error = await storage(THREE).load().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageFormatError);
      expect((error as Error).message).toMatch(/membership\.json: offset 0: is not a regular file; refusing to start, nothing was changed/);
      expect(await fsp.readdir(dir)).toContain("membership.json");
    } finally {
      if (typeof close === "function") await close();
    }
  });

  it("is neither recorded nor checked for a storage started without one", async () => {
    await writtenAsThree();
    await storage().load();
    await open.pop()!.close();
    await fsp.rm(MEMBERSHIP());
    await storage().load();
    expect(await fsp.readdir(dir)).not.toContain("membership.json");
  });
});
