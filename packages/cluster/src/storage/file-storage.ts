/**
 * `FileStorage`: the durable `Storage`, a write-ahead log in a data directory.
 *
 * Files in the directory (their bytes: wal.ts and records.ts):
 *   wal-<segment>.log   a file header, then framed records: {"t":"h"} hard
 *                       state and {"t":"a"} appended entries, replayed in
 *                       order on load.
 *   snapshot.bin        a file header and one record {walSegment, snapshot};
 *                       the WAL segment it names holds everything after the
 *                       snapshot. Without it, the log is wal-00000001.log.
 *   LOCK                the process using the directory (lock.ts): a second
 *                       process refuses to start; exactly one process takes
 *                       over the stale lock of a dead one.
 *   membership.json     which node of which cluster the directory belongs to
 *                       (`{"node":"n2","nodes":["n1","n2","n3"]}`), written
 *                       on the first start: a later start as another node,
 *                       or with other members, is refused, since a log and a
 *                       vote are only safe among the members they were made
 *                       with (another count is another majority).
 *
 * Durability: `persist()` resolves only after the records are written and
 * fdatasync'ed. Group commit: every persist call made in one turn of the
 * event loop goes to disk in one write and one fdatasync, in call order,
 * and the calls made while that fdatasync runs go together in the next, so
 * N callers cost one fsync, not N. The batch is written at the end of the
 * turn (setImmediate, after the turn's input and the messages it sent) with
 * a synchronous `write` into the page cache, a few microseconds, rather
 * than a thread-pool round trip (two thread wake-ups, which on a busy
 * machine cost more than the write); only the fdatasync, which waits for
 * the disk, runs on the thread pool, so the event loop keeps reading input
 * meanwhile.
 *
 * Preallocation (as etcd's WAL does): the segment is extended with zeros
 * (and fsynced) ahead of the writes, so a record overwrites allocated blocks
 * and fdatasync has no file size to commit: about 10x cheaper than an
 * appending fdatasync on ext4. The zeros after the last record are the clean
 * end of the log. The next segment is prepared the same way in the
 * background, as a spare file of zeros (`spare-segment.tmp`, like etcd's file
 * pipeline): a rotation writes the new segment's records into it and renames
 * it, so the writes after a snapshot never wait for megabytes of zeros, and
 * the zeros are never dirty pages of the segment being fdatasync'ed.
 *
 * Snapshots: a batch that installs a snapshot rotates the WAL. A new segment
 * holding the hard state and the entries after the snapshot is written
 * (into the spare) and named, and snapshot.bin is written to a temp file;
 * the segment, the temp file and the directory are synced at once; then
 * the temp file is renamed to snapshot.bin and the directory synced again.
 * The snapshot rename is the commit point: a crash before it leaves the old
 * snapshot + old segment (the new segment and the temp file are deleted on
 * start), a crash after it the new pair. The old segment is deleted
 * afterwards. A snapshot that only compacts the log (the node's own, every
 * snapshotEveryEntries) rotates in the background: the entries it covers are
 * durable already, so its batch resolves once its other records are, and
 * until the commit every later batch is written and fdatasync'ed to both
 * segments. A snapshot that replaces the log (installed from the leader)
 * rotates before anything else is written.
 *
 * Recovery changes nothing on disk but a proven torn tail (the last record,
 * showing bytes that never reached the disk, with nothing valid after it:
 * cut off with a log line) and the rotation's own leftovers (the segment
 * before or after the current one, its temp files: deleted with a log line).
 * Everything else is a refusal that names the file, the offset and what to
 * do, checked before anything is changed: a damaged record, a file that
 * does not start like a WAL, a missing snapshot or segment, a segment that
 * is neither current nor a leftover, a term/vote that does not cover the
 * log. Files the storage does not know are left alone, with a log line.
 */
import fs, { constants as fsc, promises as fsp } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { readRegularFile, ReadRegularError } from "@dslab/protocol/cli";
import type { PersistOp, PersistentState, Snapshot, Storage } from "../contract.js";
import { StorageCorruptError, StorageFormatError, StorageIoError, StorageMembershipError } from "./errors.js";
import { ensureDirectory, readStorageFile } from "./directory.js";
import { acquireLock, isLockFile, releaseLock, type HeldLock } from "./lock.js";
import { applyOps, cloneState, emptyState, snapshotKeepsLog } from "./state.js";
import { FILE_HEADER_BYTES, decodeSnapshotFile, encodeSegment, encodeSnapshotFile, encodeWalOps, fileHeader, recoverState } from "./wal.js";

export interface FileStorageOptions {
  /** Where recovery notes go (a torn record cut off, a leftover deleted, an unknown file left alone). Default: stderr. */
  log?: (line: string) => void;
  /** Extend the WAL with zeros in steps of this many bytes (0: plain appends). Default 8 MiB. */
  preallocateBytes?: number;
  /** How long to wait for a live process holding the directory's LOCK to exit. Default 2000 ms. */
  lockWaitMs?: number;
  /**
   * A failpoint for tests: awaited in a rotation once the new segment and the
   * snapshot's temp file are durable, before the snapshot is renamed into
   * place (the commit point), so a test can hold a rotation there and see
   * what a crash would leave.
   */
  beforeCommit?: () => Promise<void>;
  /**
   * The node this directory belongs to and its cluster's members. On the
   * first start they are recorded (membership.json); on a later one they
   * must match, in any order, or `load()` refuses with a
   * StorageMembershipError. Without it, nothing is recorded or checked.
   */
  member?: Membership;
}

/** Which node of which cluster a data directory belongs to. */
export interface Membership {
  id: string;
  nodeIds: readonly string[];
}

export const DEFAULT_PREALLOCATE_BYTES = 8 * 1024 * 1024;

export interface FileStorageStats {
  /** fdatasync calls on the WAL for appended records (group commit makes this < persist calls). */
  fsyncs: number;
  /** persist() calls received. */
  persistCalls: number;
  /** WAL rotations (snapshots installed). */
  rotations: number;
}

/**
 * A compaction's new segment, open and named, while the snapshot that names
 * it is made durable in the background: every batch meanwhile is written to
 * it as well as to the current segment, so whichever pair a crash leaves
 * holds every acknowledged record.
 */
interface NextSegment {
  fd: number;
  /** Where its next record goes. */
  offset: number;
  /** Its size on disk. */
  size: number;
  /** Resolves once the snapshot names it (`done`), or once that failed (`FileStorage.failed`). */
  committed: Promise<void>;
  done: boolean;
}

interface Pending {
  ops: PersistOp[];
  resolve: () => void;
  reject: (e: Error) => void;
}

const SNAPSHOT_FILE = "snapshot.bin";
const segmentName = (segment: number): string => `wal-${String(segment).padStart(8, "0")}.log`;
const SEGMENT_NAME = /^wal-(\d{8})\.log$/;
/** The next segment, preallocated in the background; renamed to its segment name by a rotation. */
const SPARE_FILE = "spare-segment.tmp";
const MEMBERSHIP_FILE = "membership.json";
/** More than any membership file this storage writes: a bigger one is not ours. */
const MEMBERSHIP_MAX_BYTES = 64 * 1024;

/** What recovery found, before it changes anything. */
interface Plan {
  state: PersistentState;
  segment: number;
  walPath: string;
  /** The segment does not exist yet (a fresh directory): write its header. */
  create: boolean;
  writeOffset: number;
  torn: { offset: number; reason: string; fileBytes: number } | null;
  leftovers: { name: string; why: string }[];
  unknown: string[];
  /** The membership to record: the directory has none yet. */
  recordMember: Membership | null;
}

export class FileStorage implements Storage {
  readonly dir: string;
  readonly stats: FileStorageStats = { fsyncs: 0, persistCalls: 0, rotations: 0 };
  private readonly log: (line: string) => void;
  private mirror: PersistentState = emptyState();
  private segment = 1;
  /**
   * The open segment, as a raw fd: the callback API costs about half of
   * what FileHandle's promise API does per write + fdatasync.
   */
  private fd: number | null = null;
  private readonly preallocateBytes: number;
  private readonly lockWaitMs: number;
  private readonly beforeCommit: (() => Promise<void>) | undefined;
  private readonly member: Membership | undefined;
  /** Where the next record goes: the end of the last good record. */
  private writeOffset = 0;
  /** The segment's size on disk, preallocated zeros included. */
  private fileBytes = 0;
  private queue: Pending[] = [];
  private lock: HeldLock | null = null;
  /** A background extension of the segment, while one runs. */
  private extending: Promise<void> | null = null;
  /** The spare segment being prepared or ready: true once it is all zeros on disk, false if preparing it failed. */
  private spare: Promise<boolean> | null = null;
  /** The new segment of a rotation running in the background, while one does. */
  private next: NextSegment | null = null;
  private flushing: Promise<void> | null = null;
  private failed: Error | null = null;
  private closed = false;

  constructor(dir: string, opts: FileStorageOptions = {}) {
    this.dir = dir;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.preallocateBytes = opts.preallocateBytes ?? DEFAULT_PREALLOCATE_BYTES;
    this.lockWaitMs = opts.lockWaitMs ?? 2000;
    this.beforeCommit = opts.beforeCommit;
    this.member = opts.member;
  }

  /**
   * Reads the data directory (cutting off a proven torn tail); must be called
   * once before persist(). Refuses with a `StorageError` on anything else.
   */
  async load(): Promise<PersistentState> {
    await io(this.dir, "create the data directory", ensureDirectory(this.dir));
    this.lock = await acquireLock(this.dir, this.lockWaitMs);
    try {
      return await this.recover();
    } catch (e) {
      await releaseLock(this.lock).catch(() => {});
      this.lock = null;
      throw e;
    }
  }

  private async recover(): Promise<PersistentState> {
    const plan = await this.plan();
    // Everything is checked; only now does anything change on disk.
    if (plan.create) {
      await io(plan.walPath, "create the WAL segment", writeFileDurably(plan.walPath, fileHeader("wal")));
    }
    if (plan.torn) {
      const { offset, reason, fileBytes } = plan.torn;
      this.log(
        `[wal] ${plan.walPath}: dropped a torn last record at offset ${offset} (${reason}); ` +
          `truncating the file from ${fileBytes} to ${offset} bytes`,
      );
      await io(plan.walPath, "cut off the torn record", truncateDurably(plan.walPath, offset));
    }
    for (const { name, why } of plan.leftovers) {
      this.log(`[wal] ${path.join(this.dir, name)}: deleting ${why}`);
      await io(path.join(this.dir, name), "delete it", fsp.rm(path.join(this.dir, name), { force: true }));
    }
    for (const name of plan.unknown) {
      this.log(`[wal] ${path.join(this.dir, name)}: not a file of this storage; leaving it alone`);
    }
    if (plan.recordMember) {
      const file = path.join(this.dir, MEMBERSHIP_FILE);
      const { id, nodeIds } = plan.recordMember;
      const text = `${JSON.stringify({ node: id, nodes: [...nodeIds] })}\n`;
      await io(file, "record the node's membership", writeFileDurably(file, Buffer.from(text)));
    }
    this.segment = plan.segment;
    this.mirror = plan.state;
    this.writeOffset = plan.writeOffset;
    await this.openSegment(plan.walPath);
    await io(this.dir, "sync the data directory", fsyncDir(this.dir));
    this.prepareSpare();
    return cloneState(plan.state);
  }

  /** Reads and checks the directory without changing it. */
  private async plan(): Promise<Plan> {
    const names = await io(this.dir, "list the data directory", fsp.readdir(this.dir));
    const snapshotPath = path.join(this.dir, SNAPSHOT_FILE);
    const snapshotBytes = await readIfExists(snapshotPath);
    const snap = snapshotBytes ? decodeSnapshotFile(snapshotBytes, snapshotPath) : null;
    const segment = snap ? snap.walSegment : 1;
    const segments = names.flatMap((n) => (SEGMENT_NAME.test(n) ? [Number(SEGMENT_NAME.exec(n)![1])] : [])).sort((a, b) => a - b);
    if (!snapshotBytes && segments.length > 0 && !segments.includes(1)) {
      throw new StorageCorruptError(
        snapshotPath,
        null,
        `is missing, but the directory holds ${segments.map(segmentName).join(", ")} and no ${segmentName(1)}; ` +
          `a later segment only exists with the snapshot that names it, so starting would lose the snapshot and the log`,
      );
    }
    const leftovers: Plan["leftovers"] = [];
    const unknown: string[] = [];
    for (const name of names.sort()) {
      const n = SEGMENT_NAME.exec(name);
      if (n) {
        const s = Number(n[1]);
        if (s === segment) continue;
        if (s === segment - 1) leftovers.push({ name, why: `the segment before ${segmentName(segment)}, left by a finished rotation` });
        else if (s === segment + 1) leftovers.push({ name, why: `the segment of an unfinished rotation (${SNAPSHOT_FILE} does not name it)` });
        else {
          throw new StorageCorruptError(
            path.join(this.dir, name),
            null,
            `a WAL segment that is neither the current one (${segmentName(segment)}${snapshotBytes ? `, named by ${SNAPSHOT_FILE}` : ""}) ` +
              `nor a leftover of a rotation next to it`,
          );
        }
      } else if (name === `${SNAPSHOT_FILE}.tmp` || (name.endsWith(".log.tmp") && SEGMENT_NAME.test(name.slice(0, -4)))) {
        leftovers.push({ name, why: "a temp file of an unfinished rotation" });
      } else if (name === `${MEMBERSHIP_FILE}.tmp`) {
        leftovers.push({ name, why: "a temp file of an unfinished first start" });
      } else if (name === SPARE_FILE) {
        leftovers.push({ name, why: "the spare segment of a run that did not shut down cleanly (a new one is prepared)" });
      } else if (name !== SNAPSHOT_FILE && name !== MEMBERSHIP_FILE && !isLockFile(name)) unknown.push(name);
    }
    const recordMember = await this.checkMembership();

    const walPath = path.join(this.dir, segmentName(segment));
    const walBytes = await readIfExists(walPath);
    if (!walBytes) {
      if (snap) throw new StorageCorruptError(walPath, null, `is missing, but ${SNAPSHOT_FILE} names it as the log after the snapshot`);
      return { state: emptyState(), segment, walPath, create: true, writeOffset: FILE_HEADER_BYTES, torn: null, leftovers, unknown, recordMember };
    }
    const { state, replay } = recoverState(snap ? snap.snapshot : null, { file: walPath, bytes: walBytes });
    const torn = replay.torn ? { ...replay.torn, fileBytes: walBytes.length } : null;
    return { state, segment, walPath, create: false, writeOffset: replay.end, torn, leftovers, unknown, recordMember };
  }

  /**
   * Compares the recorded membership with `member`: a refusal when they
   * differ, the membership to record when none is (a new directory, or one
   * written before memberships were recorded), null when they match.
   */
  private async checkMembership(): Promise<Membership | null> {
    const member = this.member;
    if (member === undefined) return null;
    const file = path.join(this.dir, MEMBERSHIP_FILE);
    const bytes = await readMembershipFile(file);
    if (bytes === null) return member;
    const recorded = parseMembership(bytes, file);
    const sorted = (ids: readonly string[]): string => JSON.stringify([...ids].sort());
    if (recorded.id === member.id && sorted(recorded.nodeIds) === sorted(member.nodeIds)) return null;
    throw new StorageMembershipError(file, recorded, member);
  }

  persist(ops: PersistOp[]): Promise<void> {
    this.stats.persistCalls++;
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new Error(`FileStorage ${this.dir}: persist() after close()`));
    if (this.fd === null) return Promise.reject(new Error(`FileStorage ${this.dir}: persist() before load()`));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /** Resolves when no write is in flight and no rotation runs in the background (the directory holds one segment). */
  async settled(): Promise<void> {
    while (this.flushing || (this.next && !this.failed)) {
      if (this.flushing) await this.flushing;
      else await this.next!.committed;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
    if (this.next) await fdClose(this.next.fd).catch(() => {});
    this.next = null;
    if (this.extending) await this.extending.catch(() => {});
    if (this.fd !== null) await fdClose(this.fd);
    this.fd = null;
    // A clean shutdown leaves no spare: one found on start is a crash's leftover.
    if (this.spare) {
      await this.spare;
      this.spare = null;
      await fsp.rm(path.join(this.dir, SPARE_FILE), { force: true }).catch(() => {});
    }
    if (this.lock) await releaseLock(this.lock);
    this.lock = null;
  }

  // ------------------------------------------------------------ writing ----

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // The rest of this turn: its other persist calls join the batch.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0);
        try {
          await this.writeBatch(batch.flatMap((p) => p.ops));
          for (const p of batch) p.resolve();
        } catch (e) {
          // After a failed write or fsync the disk state is unknown: refuse
          // everything from now on (as etcd and PostgreSQL do) rather than
          // acknowledge writes that may not be durable.
          // A snapshot that failed in the background already says so.
          const failed =
            this.failed !== null && e === this.failed
              ? this.failed
              : new Error(`FileStorage ${this.dir}: write failed, storage is unusable: ${(e as Error).message}`, { cause: e });
          this.failed = failed;
          for (const p of [...batch, ...this.queue.splice(0)]) p.reject(failed);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private async writeBatch(ops: PersistOp[]): Promise<void> {
    if (this.failed) throw this.failed;
    // A rotation that finished in the background takes effect between batches.
    if (this.next?.done) await this.switchToNext();
    if (ops.length === 0) return;
    const at = ops.findIndex((op) => op.type === "snapshot");
    if (at === -1) {
      applyOps(this.mirror, ops);
      return this.appendRecords(encodeWalOps(ops));
    }
    // A second snapshot waits for the rotation of the first.
    if (this.next) await this.finishRotation();
    applyOps(this.mirror, ops.slice(0, at));
    const snapshot = (ops[at] as Extract<PersistOp, { type: "snapshot" }>).snapshot;
    const compaction = snapshotKeepsLog(this.mirror, snapshot) && ops.every((op, i) => i === at || op.type !== "snapshot");
    applyOps(this.mirror, ops.slice(at));
    if (!compaction) {
      // A snapshot installed from the leader replaces the log: the current
      // segment's records no longer continue it, so nothing else is written
      // until the new pair is in place.
      await this.rotate();
      return;
    }
    // A compaction: the entries it covers are already durable in the
    // current segment, which stays a valid log with the records after it.
    // The batch's records go there as usual, and the new pair is made
    // durable in the background instead of stalling every write behind it.
    await this.appendRecords(encodeWalOps(ops));
    await this.startRotation();
  }

  /** Records written and fdatasync'ed: to the current segment, and to the next one while a rotation runs. */
  private async appendRecords(buf: Buffer): Promise<void> {
    if (buf.length === 0) return;
    await this.ensureSpace(buf.length);
    writeAtSync(this.fd!, buf, this.writeOffset);
    this.writeOffset += buf.length;
    const next = this.next;
    if (next === null) {
      await fdDatasync(this.fd!);
    } else {
      writeAtSync(next.fd, buf, next.offset);
      next.offset += buf.length;
      next.size = Math.max(next.size, next.offset);
      await Promise.all([fdDatasync(this.fd!), fdDatasync(next.fd)]);
    }
    this.stats.fsyncs++;
  }

  /** Makes room for `bytes` more at writeOffset; the file must not grow inside a data write's fdatasync. */
  private async ensureSpace(bytes: number): Promise<void> {
    const needed = this.writeOffset + bytes;
    if (needed > this.fileBytes && this.extending) await this.extending;
    if (needed > this.fileBytes) {
      if (this.preallocateBytes === 0) this.fileBytes = needed; // plain appends: the write grows the file
      else await this.extend(Math.max(needed, this.fileBytes + this.preallocateBytes));
    }
    // Extend ahead, in the background, once half of the preallocated space is used,
    // so a batch rarely waits for zeros to be written.
    const free = this.fileBytes - needed;
    if (this.preallocateBytes > 0 && !this.extending && free < this.preallocateBytes / 2) {
      const done = this.extend(this.fileBytes + this.preallocateBytes).finally(() => {
        if (this.extending === done) this.extending = null;
      });
      this.extending = done;
      done.catch(() => {}); // a failure surfaces through the next write that needs the space
    }
  }

  /** Writes zeros from the current end up to `target` and fsyncs (the size changes). */
  private async extend(target: number): Promise<void> {
    const from = this.fileBytes;
    if (target <= from) return;
    await writeZeros(this.fd!, from, target);
    await fdFsync(this.fd!);
    this.fileBytes = Math.max(this.fileBytes, target);
  }

  private async openSegment(file: string): Promise<void> {
    const fd = await io(file, "open the WAL segment", fdOpen(file, fsc.O_RDWR));
    this.fd = fd;
    this.fileBytes = await fdSize(fd);
  }

  /**
   * Starts preparing the spare segment in the background: preallocateBytes
   * of zeros, fsynced. A failure is logged, and the next rotation writes its
   * segment in full instead.
   */
  private prepareSpare(): void {
    if (this.preallocateBytes === 0 || this.closed || this.failed || this.spare) return;
    const file = path.join(this.dir, SPARE_FILE);
    const bytes = this.preallocateBytes;
    this.spare = (async () => {
      const fd = await fdOpen(file, fsc.O_RDWR | fsc.O_CREAT | fsc.O_TRUNC);
      try {
        await writeZeros(fd, 0, bytes);
        await fdFsync(fd);
      } finally {
        await fdClose(fd);
      }
      return true;
    })().catch((e: unknown) => {
      this.log(`[wal] ${file}: could not prepare the next segment (${(e as Error).message}); the next rotation writes it in full`);
      return false;
    });
  }

  /**
   * The new segment's records at `walPath`, in the page cache: written into
   * the spare (overwriting its zeros, so the zeros after them are the
   * segment's clean end) when one is ready, otherwise into a new file. It is
   * named at once: until the snapshot that names it is in place, recovery
   * deletes it as the leftover of an unfinished rotation. `sync` makes the
   * records durable.
   */
  private async newSegment(walPath: string, content: Buffer): Promise<{ fd: number; size: number; sync: () => Promise<void> }> {
    const spare = this.spare ? await this.spare : false;
    this.spare = null;
    const file = spare ? path.join(this.dir, SPARE_FILE) : walPath;
    const flags = spare ? fsc.O_RDWR : fsc.O_RDWR | fsc.O_CREAT | fsc.O_TRUNC;
    const fd = await fdOpen(file, flags);
    try {
      const before = await fdSize(fd);
      writeAtSync(fd, content, 0);
      if (spare) await fsp.rename(file, walPath);
      // Within the preallocated size only the data changed; past it the size did too.
      const dataOnly = content.length <= before;
      return { fd, size: Math.max(before, content.length), sync: () => (dataOnly ? fdDatasync(fd) : fdFsync(fd)) };
    } catch (e) {
      await fdClose(fd).catch(() => {});
      throw e;
    }
  }

  /**
   * Writes a new WAL segment from the mirror, then the snapshot that names
   * it (the commit point). Crash safety rests on one order: the segment's
   * records and name, and the snapshot's temp file, are durable before the
   * snapshot is renamed into place; so those three syncs run at once, and
   * the rename and its directory sync follow.
   */
  private async rotate(): Promise<void> {
    // The background rotation, waited for before anything else is written.
    await this.startRotation();
    await this.finishRotation();
  }

  /** The segment's records, the snapshot's temp file and the directory synced at once; then the rename that commits the pair. */
  private async commitSnapshot(syncSegment: () => Promise<void>, snapshotFile: Buffer): Promise<void> {
    const snapshotPath = path.join(this.dir, SNAPSHOT_FILE);
    const [, snapshotTmp] = await Promise.all([syncSegment(), writeTempDurably(snapshotPath, snapshotFile), fsyncDir(this.dir)]);
    await this.beforeCommit?.();
    await fsp.rename(snapshotTmp, snapshotPath);
    await fsyncDir(this.dir);
  }

  /** Starts a rotation: the new segment is written (in the page cache) and named now, and committed in the background. */
  private async startRotation(): Promise<void> {
    const content = encodeSegment(this.mirror);
    const snapshotFile = encodeSnapshotFile(this.segment + 1, this.mirror.snapshot as Snapshot);
    const segment = await this.newSegment(path.join(this.dir, segmentName(this.segment + 1)), content);
    const next: NextSegment = { fd: segment.fd, offset: content.length, size: segment.size, done: false, committed: Promise.resolve() };
    next.committed = this.commitSnapshot(segment.sync, snapshotFile).then(
      () => {
        next.done = true;
        this.stats.rotations++;
        // The switch happens in the flush loop, between batches: queue an empty one.
        this.queue.push({ ops: [], resolve: () => {}, reject: () => {} });
        if (!this.flushing) this.flushing = this.flushLoop();
      },
      (e: unknown) => {
        this.failed ??= new Error(`FileStorage ${this.dir}: writing a snapshot failed, storage is unusable: ${(e as Error).message}`, { cause: e });
      },
    );
    this.next = next;
  }

  /** Waits for the rotation running in the background, then makes its segment the current one. */
  private async finishRotation(): Promise<void> {
    await this.next!.committed;
    if (this.failed) throw this.failed;
    await this.switchToNext();
  }

  /** The rotation's new segment, committed, becomes the current one; the old one is closed and deleted. */
  private async switchToNext(): Promise<void> {
    const next = this.next!;
    this.next = null;
    const old = this.segment;
    if (this.extending) await this.extending.catch(() => {});
    await fdClose(this.fd!);
    this.fd = next.fd;
    this.fileBytes = next.size;
    this.writeOffset = next.offset;
    this.segment = old + 1;
    await fsp.rm(path.join(this.dir, segmentName(old)), { force: true });
    this.prepareSpare();
  }
}

/** Runs an fs call; its failure becomes a `StorageIoError` naming `file` (Node's EISDIR, for one, names no path). */
async function io<T>(file: string, action: string, op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (e) {
    if (e instanceof StorageIoError) throw e;
    throw new StorageIoError(file, action, e);
  }
}

/**
 * A file of the directory, or null when it does not exist. Only a regular
 * file is read: a FIFO (whose open would wait for a writer), a device or a
 * directory in its place is a StorageIoError naming what it is.
 */
async function readIfExists(file: string): Promise<Buffer | null> {
  try {
    return await readStorageFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new StorageIoError(file, "read it", e);
  }
}

/**
 * membership.json's bytes, null when there is none, through readRegularFile
 * of @dslab/protocol/cli: what is not a regular file (a FIFO is never waited
 * on) or is over MEMBERSHIP_MAX_BYTES (never read past the bound, even if it
 * grows while it is read) is a StorageFormatError, and the file is left
 * where it is: storage never deletes what it does not understand.
 */
async function readMembershipFile(file: string): Promise<Buffer | null> {
  try {
    return (await readRegularFile(file, { maxBytes: MEMBERSHIP_MAX_BYTES })).bytes;
  } catch (e) {
    if (!(e instanceof ReadRegularError)) throw e;
    if (e.code === "ENOENT") return null;
    if (e.code === "NOT_A_FILE") throw new StorageFormatError(file, "is not a regular file");
    if (e.code === "TOO_LARGE") throw new StorageFormatError(file, `is larger than ${MEMBERSHIP_MAX_BYTES} bytes, so not a file this storage wrote`);
    throw new StorageIoError(file, "read it", e.cause ?? e);
  }
}

/** membership.json's content, or a StorageFormatError naming what is wrong with it. */
function parseMembership(bytes: Buffer, file: string): Membership {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new StorageFormatError(file, `is not JSON (${(e as Error).message})`);
  }
  const v = value as { node?: unknown; nodes?: unknown } | null;
  const ids = v !== null && typeof v === "object" && Array.isArray(v.nodes) ? v.nodes : null;
  if (typeof v?.node !== "string" || ids === null || !ids.every((n): n is string => typeof n === "string")) {
    throw new StorageFormatError(file, `does not hold {"node": ID, "nodes": [ID, ...]}`);
  }
  return { id: v.node, nodeIds: ids };
}

async function truncateDurably(file: string, bytes: number): Promise<void> {
  const fh = await fsp.open(file, "r+");
  try {
    await fh.truncate(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let written = 0;
  while (written < buf.length) {
    const { bytesWritten } = await fh.write(buf, written, buf.length - written);
    written += bytesWritten;
  }
}

function fdWriteAt(fd: number, buf: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (written: number): void => {
      if (written >= buf.length) return resolve();
      fs.write(fd, buf, written, buf.length - written, position + written, (err, n) => (err ? reject(err) : step(written + n)));
    };
    step(0);
  });
}

/** Zeros from `from` up to `to`, a MiB at a time. */
async function writeZeros(fd: number, from: number, to: number): Promise<void> {
  const zeros = Buffer.alloc(Math.min(to - from, 1024 * 1024));
  for (let at = from; at < to; at += zeros.length) await fdWriteAt(fd, zeros.subarray(0, Math.min(zeros.length, to - at)), at);
}

const fdDatasync = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));

/** All of `buf` at `position`, with synchronous writes (into the page cache: the fdatasync after it is what waits for the disk). */
function writeAtSync(fd: number, buf: Buffer, position: number): void {
  for (let written = 0; written < buf.length; ) written += fs.writeSync(fd, buf, written, buf.length - written, position + written);
}
const fdFsync = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
const fdClose = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve())));
/** A new file is made with mode 0644 when `flags` has O_CREAT. */
const fdOpen = (file: string, flags: number): Promise<number> =>
  new Promise((resolve, reject) => fs.open(file, flags, 0o644, (e, fd) => (e ? reject(e) : resolve(fd))));
const fdSize = (fd: number): Promise<number> => new Promise((resolve, reject) => fs.fstat(fd, (e, st) => (e ? reject(e) : resolve(st.size))));

/** Temp file, fsync, rename: the file is either the old one or the complete new one. */
async function writeFileDurably(file: string, data: Buffer): Promise<void> {
  await fsp.rename(await writeTempDurably(file, data), file);
}

/** `data` written and fsynced to `<file>.tmp`, whose path it returns, for the caller to rename. */
async function writeTempDurably(file: string, data: Buffer): Promise<string> {
  const tmp = `${file}.tmp`;
  const fh = await fsp.open(tmp, "w");
  try {
    await writeAll(fh, data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Makes a rename or a new file's directory entry durable. */
async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
