import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PersistOp, PersistentState } from "../../src/contract.js";
import { spawn } from "node:child_process";
import { FileStorage, StorageCorruptError, StorageLockedError, crc32 } from "../../src/storage/index.js";
import { entries } from "./helpers.js";

let dir: string;
const open: FileStorage[] = [];
const logs: string[] = [];

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-wal-"));
  logs.length = 0;
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  await fsp.rm(dir, { recursive: true, force: true });
});

/** Plain appends (no preallocation) unless asked: the file size is then the end of the last record. */
async function openStorage(preallocateBytes = 0): Promise<{ storage: FileStorage; state: PersistentState }> {
  const storage = new FileStorage(dir, { log: (l) => logs.push(l), preallocateBytes });
  open.push(storage);
  return { storage, state: await storage.load() };
}

async function reopen(previous: FileStorage): Promise<{ storage: FileStorage; state: PersistentState }> {
  await previous.close();
  return openStorage();
}

const walFile = async () => {
  const names = (await fsp.readdir(dir)).filter((n) => n.startsWith("wal-"));
  expect(names).toHaveLength(1);
  return path.join(dir, names[0]!);
};
const indexes = (s: PersistentState) => s.entries.map((e) => e.index);
/** The term/vote a node persists before any entry of its term (storage refuses a log its term does not cover). */
const HARD_STATE: PersistOp = { type: "hardState", hardState: { term: 5, votedFor: "n1" } };

describe("crc32", () => {
  it("matches the standard check value for '123456789'", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });
});

describe("FileStorage: the WAL keeps what was persisted across restarts and refuses damage", () => {
  it("an empty directory loads as an empty state", async () => {
    const { state } = await openStorage();
    expect(state).toEqual({ hardState: { term: 0, votedFor: null }, snapshot: null, entries: [] });
  });

  it("hard state and entries persisted before a restart are there after it, conflict truncation included", async () => {
    const { storage } = await openStorage();
    await storage.persist([{ type: "hardState", hardState: { term: 2, votedFor: "n1" } }, { type: "append", entries: entries(1, 4, 1) }]);
    await storage.persist([{ type: "append", entries: entries(3, 3, 2) }]);
    const { state } = await reopen(storage);
    expect(state.hardState).toEqual({ term: 2, votedFor: "n1" });
    expect(state.entries.map((e) => `${e.index}@${e.term}`)).toEqual(["1@1", "2@1", "3@2"]);
  });

  it.each([
    { name: "a record cut inside its payload", damage: (b: Buffer) => b.subarray(0, b.length - 5) },
    { name: "a record cut inside its header", damage: (b: Buffer, lastStart: number) => b.subarray(0, lastStart + 3) },
    {
      name: "a last record whose end never reached the disk (zeros), followed by zeroed blocks",
      damage: (b: Buffer) => {
        const c = Buffer.concat([b, Buffer.alloc(64)]);
        c.fill(0, b.length - 6, b.length);
        return c;
      },
    },
  ])("a torn last record ($name) is dropped with a log line and the file truncated", async ({ damage }) => {
    const { storage } = await openStorage();
    await storage.persist([{ type: "hardState", hardState: { term: 5, votedFor: "n1" } }, { type: "append", entries: entries(1, 2, 1) }]);
    const file = await walFile();
    const lastStart = (await fsp.stat(file)).size;
    await storage.persist([{ type: "append", entries: entries(3, 3, 1) }]);
    await storage.close();
    await fsp.writeFile(file, damage(await fsp.readFile(file), lastStart));

    const { storage: again, state } = await openStorage();
    expect(indexes(state)).toEqual([1, 2]);
    expect(logs.join("\n")).toMatch(new RegExp(`dropped a torn last record at offset ${lastStart}`));
    expect((await fsp.stat(file)).size).toBe(lastStart);
    expect(logs).toHaveLength(1);
    // The WAL keeps working after the repair.
    await again.persist([{ type: "append", entries: entries(3, 4, 2) }]);
    const { state: after } = await reopen(again);
    expect(indexes(after)).toEqual([1, 2, 3, 4]);
  });

  it("corruption in the middle of the WAL is an error naming the file and the offset", async () => {
    const { storage } = await openStorage();
    await storage.persist([{ type: "hardState", hardState: { term: 5, votedFor: "n1" } }, { type: "append", entries: entries(1, 1, 1) }]);
    const file = await walFile();
    const secondStart = (await fsp.stat(file)).size;
    await storage.persist([{ type: "append", entries: entries(2, 2, 1) }]);
    await storage.persist([{ type: "append", entries: entries(3, 3, 1) }]);
    await storage.close();
    const buf = await fsp.readFile(file);
    buf[secondStart + 12]! ^= 0xff;
    await fsp.writeFile(file, buf);

    const storage2 = new FileStorage(dir, { log: (l) => logs.push(l) });
    const err = await storage2.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageCorruptError);
    expect((err as StorageCorruptError).code).toBe("E_STORAGE_CORRUPT");
    expect((err as Error).message).toContain(`${file}: offset ${secondStart}: damaged record`);
  });

  it("a snapshot compacts the WAL and, with the entries after it, survives a restart", async () => {
    const { storage } = await openStorage();
    await storage.persist([{ type: "hardState", hardState: { term: 3, votedFor: "n3" } }, { type: "append", entries: entries(1, 10, 3) }]);
    const walBefore = (await fsp.stat(await walFile())).size;
    const snapshot = { lastIncludedIndex: 8, lastIncludedTerm: 3, nodeIds: ["n1", "n2", "n3"], data: { kv: { x: [1, 2] }, sessions: {} } };
    await storage.persist([{ type: "snapshot", snapshot }]);
    // A compaction's new segment and snapshot are made durable in the background.
    await storage.settled();
    expect(storage.stats.rotations).toBe(1);
    expect((await fsp.stat(await walFile())).size).toBeLessThan(walBefore);
    await storage.persist([{ type: "append", entries: entries(11, 12, 3) }]);

    const { state } = await reopen(storage);
    expect(state.snapshot).toEqual(snapshot);
    expect(state.hardState).toEqual({ term: 3, votedFor: "n3" });
    expect(indexes(state)).toEqual([9, 10, 11, 12]);
    expect((await fsp.readdir(dir)).sort()).toEqual(["LOCK", "snapshot.bin", "wal-00000002.log"]);
  });

  it("an interrupted rotation (new segment written, snapshot not renamed) loads the old state", async () => {
    const { storage } = await openStorage();
    await storage.persist([{ type: "hardState", hardState: { term: 5, votedFor: "n1" } }, { type: "append", entries: entries(1, 3, 1) }]);
    await storage.close();
    // What a crash between the two renames leaves behind.
    await fsp.writeFile(path.join(dir, "wal-00000002.log"), Buffer.from("garbage"));
    await fsp.writeFile(path.join(dir, "snapshot.bin.tmp"), Buffer.from("partial"));
    const { state } = await openStorage();
    expect(indexes(state)).toEqual([1, 2, 3]);
    expect((await fsp.readdir(dir)).sort()).toEqual(["LOCK", "wal-00000001.log"]);
  });

  it("group commit: persist calls made in one turn of the event loop share one fsync", async () => {
    const { storage } = await openStorage();
    const calls = 64;
    await Promise.all(
      Array.from({ length: calls }, (_, i) => storage.persist([...(i === 0 ? [HARD_STATE] : []), { type: "append", entries: entries(i + 1, i + 1, 1) }])),
    );
    expect(storage.stats.persistCalls).toBe(calls);
    // All 64 were made in one turn: one write, one fsync.
    expect(storage.stats.fsyncs).toBe(1);
    // The next turn's calls go in the next fsync.
    await Promise.all([2, 3].map((k) => storage.persist([{ type: "append", entries: entries(calls + k - 1, calls + k - 1, 1) }])));
    expect(storage.stats.fsyncs).toBe(2);
    const { state } = await reopen(storage);
    expect(indexes(state)).toEqual(Array.from({ length: calls + 2 }, (_, i) => i + 1));
  });

  describe("with preallocation (the segment is extended with zeros ahead of the writes)", () => {
    const PREALLOC = 64 * 1024;

    it("treats the zeros after the last record as the clean end: no log line, writes continue after the last record", async () => {
      const { storage } = await openStorage(PREALLOC);
      await storage.persist([{ type: "hardState", hardState: { term: 5, votedFor: "n1" } }, { type: "append", entries: entries(1, 3, 1) }]);
      expect((await fsp.stat(await walFile())).size).toBe(12 + PREALLOC); // the file header, then the zeros
      const { storage: again, state } = await reopen(storage);
      expect(indexes(state)).toEqual([1, 2, 3]);
      await again.persist([{ type: "append", entries: entries(4, 5, 1) }]);
      const { state: after } = await reopen(again);
      expect(indexes(after)).toEqual([1, 2, 3, 4, 5]);
      expect(logs).toEqual([]);
    });

    it("grows the segment when a batch does not fit in what is preallocated", async () => {
      const { storage } = await openStorage(1024);
      for (let i = 1; i <= 40; i++) await storage.persist([...(i === 1 ? [HARD_STATE] : []), { type: "append", entries: entries(i, i, 1) }]);
      expect((await fsp.stat(await walFile())).size).toBeGreaterThan(1024);
      const { state } = await reopen(storage);
      expect(indexes(state)).toHaveLength(40);
      expect(logs).toEqual([]);
    });

    it("drops a record torn inside preallocated space (its tail still zeros) with a log line", async () => {
      const { storage } = await openStorage(PREALLOC);
      await storage.persist([{ type: "hardState", hardState: { term: 5, votedFor: "n1" } }, { type: "append", entries: entries(1, 2, 1) }]);
      await storage.persist([{ type: "append", entries: entries(3, 3, 1) }]);
      await storage.close();
      const file = await walFile();
      const buf = await fsp.readFile(file);
      let end = buf.length;
      while (end > 0 && buf[end - 1] === 0) end--; // the end of the last record
      buf.fill(0, end - 10, end);
      await fsp.writeFile(file, buf);
      const { storage: again, state } = await openStorage(PREALLOC);
      expect(indexes(state)).toEqual([1, 2]);
      expect(logs.join("\n")).toMatch(/dropped a torn last record at offset \d+ \(incomplete payload/);
      await again.persist([{ type: "append", entries: entries(3, 3, 2) }]);
      const { state: after } = await reopen(again);
      expect(after.entries.map((e) => `${e.index}@${e.term}`)).toEqual(["1@1", "2@1", "3@2"]);
    });

    it("still reports corruption in the middle, with valid records after it", async () => {
      const { storage } = await openStorage(PREALLOC);
      await storage.persist([{ type: "hardState", hardState: { term: 5, votedFor: "n1" } }, { type: "append", entries: entries(1, 1, 1) }]);
      await storage.persist([{ type: "append", entries: entries(2, 2, 1) }]);
      await storage.close();
      const file = await walFile();
      const buf = await fsp.readFile(file);
      buf[20]! ^= 0xff; // inside the first record's header (the file header is 12 bytes)
      await fsp.writeFile(file, buf);
      const err = await new FileStorage(dir, { log: (l) => logs.push(l) }).load().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageCorruptError);
      expect((err as Error).message).toContain(`${file}: offset 12: damaged record: header checksum mismatch`);
    });
  });

  describe("the next segment, preallocated in the background (spare-segment.tmp)", () => {
    const PREALLOC = 64 * 1024;
    const SPARE = "spare-segment.tmp";
    const snapshotAt = (index: number) => ({
      type: "snapshot" as const,
      snapshot: { lastIncludedIndex: index, lastIncludedTerm: 5, nodeIds: ["n1", "n2", "n3"], data: { kv: { [`k${index}`]: index }, sessions: {} } },
    });
    const names = async () => (await fsp.readdir(dir)).sort();

    it("a rotation takes the spare as its new segment, already preallocated, and the log continues in it across restarts", async () => {
      const { storage } = await openStorage(PREALLOC);
      await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 10, 5) }]);
      for (const [at, next, from, to] of [[8, 2, 11, 12], [12, 3, 13, 14]] as const) {
        await storage.persist([snapshotAt(at)]);
        await storage.settled();
        // The records of the entries after the snapshot, then the spare's zeros: no write waits to extend it.
        expect((await fsp.stat(path.join(dir, `wal-0000000${next}.log`))).size).toBe(PREALLOC);
        await storage.persist([{ type: "append", entries: entries(from, to, 5) }]);
      }
      expect(storage.stats.rotations).toBe(2);
      await storage.close();
      // A clean shutdown leaves no spare behind, and the next start has nothing to say.
      expect(await names()).toEqual(["snapshot.bin", "wal-00000003.log"]);
      const { state } = await openStorage(PREALLOC);
      expect(state.snapshot?.lastIncludedIndex).toBe(12);
      expect(indexes(state)).toEqual([13, 14]);
      expect(logs).toEqual([]);
    });

    it("a new segment larger than the spare is written whole, past the spare's zeros", async () => {
      const { storage } = await openStorage(1024);
      await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 60, 5) }]);
      await storage.persist([snapshotAt(2)]);
      expect((await fsp.stat(path.join(dir, "wal-00000002.log"))).size).toBeGreaterThan(1024);
      await storage.persist([{ type: "append", entries: entries(61, 61, 5) }]);
      const { state } = await reopen(storage);
      expect(indexes(state)).toEqual(Array.from({ length: 59 }, (_, i) => i + 3));
      expect(logs).toEqual([]);
    });

    it("a spare left by a crash (here holding a rotation's records that were never renamed) is deleted on start with a log line, and the log is the old one", async () => {
      const { storage } = await openStorage(PREALLOC);
      await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 3, 5) }]);
      const segment = await fsp.readFile(await walFile());
      await storage.close();
      await fsp.writeFile(path.join(dir, SPARE), segment);
      const { storage: again, state } = await openStorage(PREALLOC);
      expect(indexes(state)).toEqual([1, 2, 3]);
      expect(logs).toEqual([`[wal] ${path.join(dir, SPARE)}: deleting the spare segment of a run that did not shut down cleanly (a new one is prepared)`]);
      await again.persist([snapshotAt(3)]);
      await again.persist([{ type: "append", entries: entries(4, 4, 5) }]);
      const { state: after } = await reopen(again);
      expect(indexes(after)).toEqual([4]);
    });

    it("writes go on while a compaction's snapshot is made durable, to both segments, so a crash before or after its commit keeps every acknowledged record", async () => {
      // Hold the rotation at its commit point (the snapshot's rename).
      let reached!: () => void;
      const atCommit = new Promise<void>((resolve) => (reached = resolve));
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const storage = new FileStorage(dir, { log: (l) => logs.push(l), preallocateBytes: PREALLOC, beforeCommit: () => (reached(), held) });
      open.push(storage);
      await storage.load();
      await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 10, 5) }]);
      await storage.persist([snapshotAt(8)]);
      await atCommit;
      // Acknowledged while the rotation waits: durable in both segments.
      await storage.persist([{ type: "append", entries: entries(11, 11, 5) }]);
      await storage.persist([{ type: "append", entries: entries(12, 12, 5) }]);
      const crashed = new Map<string, Buffer>();
      for (const name of await names()) if (name !== "LOCK") crashed.set(name, await fsp.readFile(path.join(dir, name)));
      // The spare became the new segment, already named; the next spare is prepared after the switch.
      expect([...crashed.keys()]).toEqual(["snapshot.bin.tmp", "wal-00000001.log", "wal-00000002.log"]);
      release();
      await storage.settled();
      expect(storage.stats.rotations).toBe(1);
      await storage.persist([{ type: "append", entries: entries(13, 13, 5) }]);
      await storage.close();
      expect(await names()).toEqual(["snapshot.bin", "wal-00000002.log"]);

      // The clean restart: the new pair.
      const after = await openStorage(PREALLOC);
      expect(after.state.snapshot?.lastIncludedIndex).toBe(8);
      expect(indexes(after.state)).toEqual([9, 10, 11, 12, 13]);
      await after.storage.close();

      // The directory as a crash before the commit point leaves it: the old segment holds every record.
      for (const name of await names()) await fsp.rm(path.join(dir, name));
      for (const [name, bytes] of crashed) await fsp.writeFile(path.join(dir, name), bytes);
      const before = await openStorage(PREALLOC);
      expect(before.state.snapshot).toBeNull();
      expect(indexes(before.state)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(logs.join("\n")).toContain("deleting the segment of an unfinished rotation");
      await before.storage.close();

      // And as a crash right after it (the snapshot renamed, the old segment not yet deleted): the new segment holds them too.
      for (const name of await names()) await fsp.rm(path.join(dir, name));
      for (const [name, bytes] of crashed) await fsp.writeFile(path.join(dir, name === "snapshot.bin.tmp" ? "snapshot.bin" : name), bytes);
      const renamed = await openStorage(PREALLOC);
      expect(renamed.state.snapshot?.lastIncludedIndex).toBe(8);
      expect(indexes(renamed.state)).toEqual([9, 10, 11, 12]);
    });

    it("a snapshot that replaces the log (installed from the leader) is in place before any later write", async () => {
      const { storage } = await openStorage(PREALLOC);
      await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 3, 5) }]);
      // Index 20 is not in this log: the log is discarded, so the old segment cannot continue it.
      await storage.persist([snapshotAt(20)]);
      expect(storage.stats.rotations).toBe(1);
      expect((await names()).filter((n) => n !== SPARE)).toEqual(["LOCK", "snapshot.bin", "wal-00000002.log"]);
      await storage.persist([{ type: "append", entries: entries(21, 21, 5) }]);
      const { state } = await reopen(storage);
      expect(state.snapshot?.lastIncludedIndex).toBe(20);
      expect(indexes(state)).toEqual([21]);
    });

    it("without preallocation there is no spare: a rotation writes its segment whole", async () => {
      const { storage } = await openStorage(0);
      await storage.persist([HARD_STATE, { type: "append", entries: entries(1, 4, 5) }]);
      await storage.persist([snapshotAt(3)]);
      await storage.settled();
      expect(await names()).toEqual(["LOCK", "snapshot.bin", "wal-00000002.log"]);
      const { state } = await reopen(storage);
      expect(indexes(state)).toEqual([4]);
    });
  });

  describe("one process per data directory (LOCK)", () => {
    it("refuses a directory whose LOCK names a live process, naming it", async () => {
      const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
      try {
        await fsp.writeFile(path.join(dir, "LOCK"), `${other.pid}\n`);
        const err = await new FileStorage(dir, { lockWaitMs: 100 }).load().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StorageLockedError);
        expect((err as StorageLockedError).code).toBe("E_STORAGE_LOCKED");
        expect((err as Error).message).toContain(`in use by process ${other.pid}`);
      } finally {
        other.kill("SIGKILL");
      }
    });

    it("waits for a holder that is shutting down, then takes the directory", async () => {
      const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 300)"], { stdio: "ignore" });
      await fsp.writeFile(path.join(dir, "LOCK"), `${other.pid}\n`);
      const { state } = await openStorage();
      expect(state.entries).toEqual([]);
      expect((await fsp.readFile(path.join(dir, "LOCK"), "utf8")).split(" ")[0]).toBe(String(process.pid));
    });

    it("takes over the stale LOCK of a process that died (SIGKILL), and releases it on close", async () => {
      const dead = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
      await new Promise((r) => dead.once("exit", r));
      await fsp.writeFile(path.join(dir, "LOCK"), `${dead.pid}\n`);
      const { storage } = await openStorage();
      expect((await fsp.readFile(path.join(dir, "LOCK"), "utf8")).split(" ")[0]).toBe(String(process.pid));
      await storage.close();
      expect(await fsp.readdir(dir)).not.toContain("LOCK");
    });
  });
});