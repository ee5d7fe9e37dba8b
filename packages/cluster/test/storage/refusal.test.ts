/**
 * FileStorage refuses to start on anything but a clean log or a proven torn
 * tail, and a refusal changes nothing on disk: every file keeps its bytes.
 */
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PersistOp, PersistentState } from "../../src/contract.js";
import { FileStorage } from "../../src/storage/index.js";
import { crc32 } from "../../src/storage/crc32.js";
import { entries } from "./helpers.js";

let dir: string;
const open: FileStorage[] = [];
const logs: string[] = [];

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-refuse-"));
  logs.length = 0;
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  await fsp.rm(dir, { recursive: true, force: true });
});

const WAL = () => path.join(dir, "wal-00000001.log");
const HARD_STATE: PersistOp = { type: "hardState", hardState: { term: 4, votedFor: "n2" } };

async function openStorage(preallocateBytes = 0): Promise<{ storage: FileStorage; state: PersistentState }> {
  const storage = new FileStorage(dir, { log: (l) => logs.push(l), preallocateBytes, lockWaitMs: 0 });
  open.push(storage);
  return { storage, state: await storage.load() };
}

/** Three batches (hard state + entries 1-2, entry 3, entry 4); the offsets where each record starts. */
async function writeThreeRecords(preallocateBytes = 0): Promise<number[]> {
  const { storage } = await openStorage(preallocateBytes);
  const starts: number[] = [];
  const end = async () => (preallocateBytes === 0 ? (await fsp.stat(WAL())).size : writtenEnd(await fsp.readFile(WAL())));
  starts.push(await end());
  await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 2, 4) }]);
  starts.push(await end());
  await storage.persist([{ type: "append", entries: entries(3, 3, 4) }]);
  starts.push(await end());
  await storage.persist([{ type: "append", entries: entries(4, 4, 4) }]);
  await storage.close();
  return starts;
}

function writtenEnd(buf: Buffer): number {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  return end;
}

/** Every file in the directory (LOCK aside) and its bytes. */
async function snapshotDir(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await fsp.readdir(dir)).sort()) {
    if (name === "LOCK") continue;
    const p = path.join(dir, name);
    out.set(name, (await fsp.stat(p)).isDirectory() ? "<dir>" : (await fsp.readFile(p)).toString("hex"));
  }
  return out;
}

/** load() must reject with `code`; the directory must be byte for byte what it was. */
async function expectRefusal(code: string): Promise<Error & { code: string; file?: string; offset?: number | null }> {
  const before = await snapshotDir();
  const storage = new FileStorage(dir, { log: (l) => logs.push(l), lockWaitMs: 0 });
  const err = (await storage.load().then(
    () => {
      open.push(storage);
      return null;
    },
    (e: unknown) => e,
  )) as (Error & { code: string }) | null;
  expect(err, "load() should refuse").not.toBeNull();
  expect(err!.code).toBe(code);
  expect(err!.message).not.toContain("\n");
  expect(await snapshotDir()).toEqual(before);
  expect(await fsp.readdir(dir)).not.toContain("LOCK"); // a refusal releases the directory
  return err!;
}

const flip = async (file: string, offset: number, mask: number) => {
  const buf = await fsp.readFile(file);
  buf[offset]! ^= mask;
  await fsp.writeFile(file, buf);
};

describe("FileStorage refuses damage that is not a torn tail, and changes nothing", () => {
  it.each([
    ["the middle record", 1],
    ["the first record", 0],
  ])("a damaged length field in %s is refused, naming the file and the offset, and nothing is truncated", async (_name, which) => {
    const starts = await writeThreeRecords();
    // The length's high byte: the record now seems to run far past the end of the file.
    await flip(WAL(), starts[which]! + 3, 0x40);
    const err = await expectRefusal("E_STORAGE_CORRUPT");
    expect(err.message).toContain(`${WAL()}: offset ${starts[which]}: damaged record: header checksum mismatch`);
    expect(err.message).toMatch(/remove the directory/);
  });

  it("a damaged length field that still points inside the file is refused too (with preallocated zeros after the log)", async () => {
    const starts = await writeThreeRecords(64 * 1024);
    await flip(WAL(), starts[1]!, 0x01);
    const err = await expectRefusal("E_STORAGE_CORRUPT");
    expect(err.message).toContain(`offset ${starts[1]}:`);
  });

  it("a complete last record whose payload checksum fails is refused, not dropped as if it were torn", async () => {
    const starts = await writeThreeRecords();
    const size = (await fsp.stat(WAL())).size;
    expect(size).toBeGreaterThan(starts[2]! + 20);
    await flip(WAL(), size - 2, 0x04);
    const err = await expectRefusal("E_STORAGE_CORRUPT");
    expect(err.message).toContain(`offset ${starts[2]}: damaged record: payload checksum mismatch`);
    expect(err.message).toContain("the record is complete, so this is not a torn write");
  });

  it.each([
    {
      name: "a header of zeros (a block that was never written)",
      damage: (b: Buffer, at: number) => b.fill(0, at, at + 12),
    },
    {
      name: "a payload with a whole 512-byte block of zeros",
      damage: (b: Buffer, at: number) => b.fill(0, Math.ceil((at + 12) / 512) * 512, Math.ceil((at + 12) / 512) * 512 + 512),
    },
  ])("a record that looks torn ($name) but has valid records after it is refused", async ({ damage }) => {
    const { storage } = await openStorage();
    await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 1, 4) }]);
    const at = (await fsp.stat(WAL())).size;
    await storage.persist([{ type: "append", entries: entries(2, 40, 4) }]); // a long record: > 1 KiB of payload
    const next = (await fsp.stat(WAL())).size;
    await storage.persist([{ type: "append", entries: entries(41, 41, 4) }]);
    await storage.close();
    const buf = await fsp.readFile(WAL());
    damage(buf, at);
    await fsp.writeFile(WAL(), buf);
    const err = await expectRefusal("E_STORAGE_CORRUPT");
    expect(err.message).toContain(`offset ${at}:`);
    expect(err.message).toContain(`a valid record follows at offset ${next}, so this is not a torn last write`);
  });

  it.each([
    ["random bytes", () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761 + 12345) >>> 24))],
    ["a README", () => Buffer.from("# My notes\n\nThis directory holds the node's data. Do not edit.\n")],
    ["an empty file", () => Buffer.alloc(0)],
    ["a file of zeros", () => Buffer.alloc(8192)],
  ])("%s in place of the WAL is refused as not a WAL, and the file is left as it is", async (_name, bytes) => {
    await fsp.writeFile(WAL(), bytes());
    const err = await expectRefusal("E_STORAGE_FORMAT");
    expect(err.message).toMatch(new RegExp(`^${WAL()}: offset 0: (not a dslab WAL segment|the file is empty)`));
    expect(err.message).toContain("If the data directory's content is disposable, remove the directory and start again");
  });

  it("a WAL of the previous format (no file header, no header checksums) is refused with what to do", async () => {
    const body = Buffer.from(JSON.stringify({ t: "h", term: 3, votedFor: "n1" }));
    const record = Buffer.alloc(8 + body.length);
    record.writeUInt32LE(body.length, 0);
    record.writeUInt32LE(crc32(body), 4);
    body.copy(record, 8);
    await fsp.writeFile(WAL(), record);
    const err = await expectRefusal("E_STORAGE_FORMAT");
    expect(err.message).toContain("in format 1 (records without a header checksum, written by an earlier dslab); this version reads format 2 only");
    expect(err.message).toContain("remove the directory");
  });

  it("a missing snapshot.bin while the directory holds a later segment is refused, and the segment is not deleted", async () => {
    const { storage } = await openStorage();
    await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 10, 4) }]);
    const snapshot = { lastIncludedIndex: 8, lastIncludedTerm: 4, nodeIds: ["n1", "n2", "n3"], data: { kv: {}, sessions: {} } };
    await storage.persist([{ type: "snapshot", snapshot }]);
    await storage.close();
    expect((await fsp.readdir(dir)).sort()).toEqual(["snapshot.bin", "wal-00000002.log"]);
    await fsp.rm(path.join(dir, "snapshot.bin"));
    const err = await expectRefusal("E_STORAGE_CORRUPT");
    expect(err.message).toContain(`${path.join(dir, "snapshot.bin")}: is missing, but the directory holds wal-00000002.log`);
    expect(await fsp.readdir(dir)).toEqual(["wal-00000002.log"]);
  });

  it("a missing WAL segment named by snapshot.bin is refused", async () => {
    const { storage } = await openStorage();
    await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 4, 4) }]);
    await storage.persist([{ type: "snapshot", snapshot: { lastIncludedIndex: 3, lastIncludedTerm: 4, nodeIds: ["n1"], data: {} } }]);
    await storage.close();
    await fsp.rm(path.join(dir, "wal-00000002.log"));
    const err = await expectRefusal("E_STORAGE_CORRUPT");
    expect(err.message).toContain(`${path.join(dir, "wal-00000002.log")}: is missing, but snapshot.bin names it`);
  });

  it("a WAL segment that is neither current nor a rotation leftover is refused, not deleted", async () => {
    await writeThreeRecords();
    await fsp.copyFile(WAL(), path.join(dir, "wal-00000007.log"));
    const err = await expectRefusal("E_STORAGE_CORRUPT");
    expect(err.message).toContain(`${path.join(dir, "wal-00000007.log")}: a WAL segment that is neither the current one (wal-00000001.log)`);
  });

  it("a log without its term and vote is refused: the node must not come back with entries but an empty term/vote", async () => {
    const { storage } = await openStorage();
    await storage.persist([{ type: "append", entries: entries(1, 3, 2) }]);
    await storage.close();
    const err = await expectRefusal("E_STORAGE_CORRUPT");
    expect(err.message).toContain(`${WAL()}: the log holds entries of term 2 but no term/vote record`);
  });

  it("a term/vote record older than the log's last term is refused", async () => {
    const { storage } = await openStorage();
    await storage.persist([{ type: "hardState", hardState: { term: 1, votedFor: null } }, { type: "append", entries: entries(1, 3, 3) }]);
    await storage.close();
    const err = await expectRefusal("E_STORAGE_CORRUPT");
    expect(err.message).toContain("the log holds entries of term 3 but term 1");
  });

  it("a damaged snapshot.bin is refused, naming it and the offset", async () => {
    const { storage } = await openStorage();
    await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 4, 4) }]);
    await storage.persist([{ type: "snapshot", snapshot: { lastIncludedIndex: 3, lastIncludedTerm: 4, nodeIds: ["n1"], data: { kv: { a: 1 } } } }]);
    await storage.close();
    const file = path.join(dir, "snapshot.bin");
    await flip(file, (await fsp.stat(file)).size - 3, 0x10);
    const err = await expectRefusal("E_STORAGE_CORRUPT");
    expect(err.message).toContain(`${file}: offset 12: damaged record: payload checksum mismatch`);
  });
});

describe("FileStorage recovers a proven torn tail exactly", () => {
  it("a last record whose header block never reached the disk (zeros) while later blocks did is cut off, and the rest recovered", async () => {
    const { storage } = await openStorage(64 * 1024);
    await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 2, 4) }]);
    const at = writtenEnd(await fsp.readFile(WAL()));
    await storage.persist([{ type: "append", entries: entries(3, 40, 4) }]);
    await storage.close();
    const buf = await fsp.readFile(WAL());
    buf.fill(0, at, Math.ceil((at + 1) / 512) * 512); // the block holding the header was not written; the ones after it were
    await fsp.writeFile(WAL(), buf);

    const { storage: again, state } = await openStorage(64 * 1024);
    expect(state.hardState).toEqual({ term: 4, votedFor: "n2" });
    expect(state.entries.map((e) => e.index)).toEqual([1, 2]);
    expect(logs.join("\n")).toContain(`dropped a torn last record at offset ${at} (a header of zeros with data after it)`);
    expect((await fsp.stat(WAL())).size).toBe(at);
    await again.persist([{ type: "append", entries: entries(3, 3, 4) }]);
    await again.close();
    logs.length = 0;
    const { state: after } = await openStorage();
    expect(after.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(logs).toEqual([]);
  });

  it("a torn last record of a multi-record batch is cut off; the complete records before it are kept", async () => {
    const { storage } = await openStorage();
    await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 1, 4) }]);
    const batchStart = (await fsp.stat(WAL())).size;
    await storage.persist([{ type: "hardState", hardState: { term: 5, votedFor: null } }, { type: "append", entries: entries(2, 3, 5) }]);
    await storage.close();
    const buf = await fsp.readFile(WAL());
    await fsp.writeFile(WAL(), buf.subarray(0, buf.length - 7));
    const { state } = await openStorage();
    expect(state.hardState).toEqual({ term: 5, votedFor: null });
    expect(state.entries.map((e) => e.index)).toEqual([1]);
    expect(logs.join("\n")).toMatch(new RegExp(`dropped a torn last record at offset (\\d+)`));
    expect(Number(/at offset (\d+)/.exec(logs.join("\n"))![1])).toBeGreaterThan(batchStart);
  });
});

describe("FileStorage leaves files it does not know alone", () => {
  it("keeps unknown files and directories, says so in the log, and still deletes its own rotation leftovers", async () => {
    await writeThreeRecords();
    await fsp.writeFile(path.join(dir, "notes.tmp"), "mine");
    await fsp.writeFile(path.join(dir, "wal-backup.log"), "a copy I made");
    await fsp.mkdir(path.join(dir, "old"));
    await fsp.writeFile(path.join(dir, "snapshot.bin.tmp"), "partial");
    await openStorage();
    expect((await fsp.readdir(dir)).sort()).toEqual(["LOCK", "notes.tmp", "old", "wal-00000001.log", "wal-backup.log"]);
    for (const name of ["notes.tmp", "old", "wal-backup.log"]) {
      expect(logs).toContain(`[wal] ${path.join(dir, name)}: not a file of this storage; leaving it alone`);
    }
    expect(logs).toContain(`[wal] ${path.join(dir, "snapshot.bin.tmp")}: deleting a temp file of an unfinished rotation`);
  });
});

describe("storage errors name the path", () => {
  it("a directory in place of the WAL segment (EISDIR)", async () => {
    await fsp.mkdir(WAL());
    const err = await expectRefusal("E_STORAGE_IO");
    expect(err.message).toMatch(new RegExp(`^${WAL()}: cannot read it: EISDIR, it is a directory where a file belongs`));
  });

  it("a directory in place of snapshot.bin (EISDIR)", async () => {
    await fsp.mkdir(path.join(dir, "snapshot.bin"));
    const err = await expectRefusal("E_STORAGE_IO");
    expect(err.message).toMatch(new RegExp(`^${path.join(dir, "snapshot.bin")}: cannot read it: EISDIR`));
  });

  it("a file in place of the data directory", async () => {
    const file = path.join(dir, "not-a-dir");
    await fsp.writeFile(file, "x");
    const err = (await new FileStorage(file).load().catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe("E_STORAGE_IO");
    expect(err.message).toBe(`${file} is a regular file, not a directory; give the node a data directory it can create and write`);
  });

  it("a directory in place of LOCK", async () => {
    await fsp.mkdir(path.join(dir, "LOCK"));
    const err = (await new FileStorage(dir, { lockWaitMs: 0 }).load().catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe("E_STORAGE_IO");
    expect(err.message).toMatch(new RegExp(`^${path.join(dir, "LOCK")}: cannot read the lock file: EISDIR, it is a directory`));
  });
});
