/**
 * `FileStorage`: the durable `Storage`, a write-ahead log in a data directory.
 *
 * Files in the directory:
 *   wal-<segment>.log   framed records (records.ts): {"t":"h"} hard state and
 *                       {"t":"a"} appended entries, replayed in order on load.
 *   snapshot.bin        one framed record {walSegment, snapshot}; the WAL
 *                       segment it names holds everything after the snapshot.
 *   LOCK                the pid of the process using the directory: a second
 *                       process refuses to start (a stale lock of a dead
 *                       process, e.g. after SIGKILL, is taken over).
 *
 * Durability: `persist()` resolves only after the records are written and
 * fdatasync'ed. Group commit: persist calls that arrive while an fsync is in
 * flight are queued and written together with the next single fsync, so N
 * concurrent callers cost one fsync, not N.
 *
 * Preallocation (as etcd's WAL does): the segment is extended with zeros
 * (and fsynced) ahead of the writes, so a record overwrites allocated blocks
 * and fdatasync has no file size to commit: about 10x cheaper than an
 * appending fdatasync on ext4. The zeros after the last record are the clean
 * end of the log.
 *
 * Snapshots: a batch that installs a snapshot rotates the WAL. A new segment
 * holding the hard state and the entries after the snapshot is written to a
 * temp file, fsynced and renamed; then snapshot.bin is written to a temp file,
 * fsynced and renamed, and the directory is fsynced. The snapshot rename is
 * the commit point: a crash before it leaves the old snapshot + old segment,
 * a crash after it the new pair. The old segment is deleted afterwards.
 *
 * Recovery: a torn or corrupt LAST record of the WAL (a crash mid-write) is
 * dropped with a log line and the file truncated to the last good record.
 * A bad record with good data after it is real corruption: load() fails with
 * an error naming the file and the offset.
 */
import fs, { constants as fsc, promises as fsp, readFileSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import type { LogEntry, PersistOp, PersistentState, Snapshot, Storage } from "../contract.js";
import { encodeRecord, readRecord } from "./records.js";
import { applyAppend, applyHardState, applyOps, cloneState, emptyState } from "./state.js";

export interface FileStorageOptions {
  /** Where recovery notes go (a torn record dropped). Default: stderr. */
  log?: (line: string) => void;
  /** Extend the WAL with zeros in steps of this many bytes (0: plain appends). Default 8 MiB. */
  preallocateBytes?: number;
  /** How long to wait for a live process holding the directory's LOCK to exit. Default 2000 ms. */
  lockWaitMs?: number;
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

/** Thrown by load() on corruption that is not a torn tail. `code` is stable. */
export class StorageCorruptError extends Error {
  override readonly name = "StorageCorruptError";
  readonly code = "E_STORAGE_CORRUPT";
  constructor(
    readonly file: string,
    readonly offset: number,
    detail: string,
  ) {
    super(
      `${file}: corrupt record at offset ${offset}: ${detail}. Valid records follow it, so this is not a torn ` +
        `write; refusing to start. Restore the data directory or remove it to rejoin as an empty node.`,
    );
  }
}

/** Thrown by load() when another live process uses the directory. `code` is stable. */
export class StorageLockedError extends Error {
  override readonly name = "StorageLockedError";
  readonly code = "E_STORAGE_LOCKED";
  constructor(
    readonly dir: string,
    readonly pid: number | null,
  ) {
    super(
      `${dir} is in use by ${pid === null ? "another process" : `process ${pid}`} (${path.join(dir, LOCK_FILE)}); ` +
        `stop that node first: two processes writing one WAL would corrupt it`,
    );
  }
}

/** Whether `pid` is a live process that could be a node (a reused pid of some other program is not). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("node");
  } catch {
    return true; // no /proc (macOS): trust the signal check
  }
}

type WalRecord = { t: "h"; term: number; votedFor: string | null } | { t: "a"; entries: LogEntry[] };

interface Pending {
  ops: PersistOp[];
  resolve: () => void;
  reject: (e: Error) => void;
}

const SNAPSHOT_FILE = "snapshot.bin";
const LOCK_FILE = "LOCK";
const segmentName = (segment: number): string => `wal-${String(segment).padStart(8, "0")}.log`;

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
  /** Where the next record goes: the end of the last good record. */
  private writeOffset = 0;
  /** The segment's size on disk, preallocated zeros included. */
  private fileBytes = 0;
  private queue: Pending[] = [];
  private locked = false;
  /** A background extension of the segment, while one runs. */
  private extending: Promise<void> | null = null;
  private flushing: Promise<void> | null = null;
  private failed: Error | null = null;
  private closed = false;

  constructor(dir: string, opts: FileStorageOptions = {}) {
    this.dir = dir;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.preallocateBytes = opts.preallocateBytes ?? DEFAULT_PREALLOCATE_BYTES;
    this.lockWaitMs = opts.lockWaitMs ?? 2000;
  }

  /** Reads (and repairs a torn tail of) the data directory; must be called once before persist(). */
  async load(): Promise<PersistentState> {
    await fsp.mkdir(this.dir, { recursive: true });
    await this.lock();
    try {
      return await this.recover();
    } catch (e) {
      await fsp.rm(path.join(this.dir, LOCK_FILE), { force: true });
      this.locked = false;
      throw e;
    }
  }

  private async recover(): Promise<PersistentState> {
    const state = emptyState();
    const snap = await this.readSnapshotFile();
    if (snap) {
      state.snapshot = snap.snapshot;
      this.segment = snap.walSegment;
    }
    const walPath = path.join(this.dir, segmentName(this.segment));
    this.writeOffset = await this.replayWal(walPath, state);
    await this.removeLeftovers();
    this.mirror = state;
    await this.openSegment(walPath);
    await fsyncDir(this.dir);
    return cloneState(state);
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

  async close(): Promise<void> {
    this.closed = true;
    if (this.flushing) await this.flushing;
    if (this.extending) await this.extending.catch(() => {});
    if (this.fd !== null) await fdClose(this.fd);
    this.fd = null;
    if (this.locked) await fsp.rm(path.join(this.dir, LOCK_FILE), { force: true });
    this.locked = false;
  }

  /**
   * One process per data directory: two writers would destroy each other's
   * WAL. A live holder gets `lockWaitMs` to finish shutting down (a restart
   * right after SIGTERM); a dead one's lock is stale and taken over.
   */
  private async lock(): Promise<void> {
    const file = path.join(this.dir, LOCK_FILE);
    const deadline = Date.now() + this.lockWaitMs;
    for (;;) {
      try {
        await fsp.writeFile(file, `${process.pid}\n`, { flag: "wx" });
        this.locked = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const pid = Number((await fsp.readFile(file, "utf8").catch(() => "")).trim());
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        if (Date.now() >= deadline) throw new StorageLockedError(this.dir, pid);
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      await fsp.rm(file, { force: true }); // stale: its process is gone
    }
  }

  // ------------------------------------------------------------ writing ----

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        try {
          await this.writeBatch(batch.flatMap((p) => p.ops));
          for (const p of batch) p.resolve();
        } catch (e) {
          // After a failed write or fsync the disk state is unknown: refuse
          // everything from now on (as etcd and PostgreSQL do) rather than
          // acknowledge writes that may not be durable.
          this.failed = new Error(`FileStorage ${this.dir}: write failed, storage is unusable: ${(e as Error).message}`, {
            cause: e,
          });
          for (const p of [...batch, ...this.queue.splice(0)]) p.reject(this.failed);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private async writeBatch(ops: PersistOp[]): Promise<void> {
    if (ops.length === 0) return;
    applyOps(this.mirror, ops);
    if (ops.some((op) => op.type === "snapshot")) {
      await this.rotate();
      return;
    }
    const records: Buffer[] = [];
    for (const op of ops) {
      if (op.type === "hardState") records.push(encodeRecord(hardStateRecord(op.hardState)));
      else if (op.type === "append" && op.entries.length > 0) records.push(encodeRecord({ t: "a", entries: op.entries }));
    }
    const buf = Buffer.concat(records);
    await this.ensureSpace(buf.length);
    await fdWriteAt(this.fd!, buf, this.writeOffset);
    this.writeOffset += buf.length;
    await fdDatasync(this.fd!);
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
    const zeros = Buffer.alloc(Math.min(target - from, 1024 * 1024));
    for (let at = from; at < target; at += zeros.length) {
      await fdWriteAt(this.fd!, zeros.subarray(0, Math.min(zeros.length, target - at)), at);
    }
    await fdFsync(this.fd!);
    this.fileBytes = Math.max(this.fileBytes, target);
  }

  private async openSegment(file: string): Promise<void> {
    const fd = await new Promise<number>((resolve, reject) =>
      fs.open(file, fsc.O_RDWR | fsc.O_CREAT, 0o644, (err, fd) => (err ? reject(err) : resolve(fd))),
    );
    this.fd = fd;
    this.fileBytes = await new Promise<number>((resolve, reject) => fs.fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size))));
  }

  /** Writes a new WAL segment from the mirror, then the snapshot that names it (the commit point). */
  private async rotate(): Promise<void> {
    const next = this.segment + 1;
    const walPath = path.join(this.dir, segmentName(next));
    const records = [encodeRecord(hardStateRecord(this.mirror.hardState))];
    if (this.mirror.entries.length > 0) records.push(encodeRecord({ t: "a", entries: this.mirror.entries }));
    await writeFileDurably(walPath, Buffer.concat(records));
    await fsyncDir(this.dir);
    const snapshotPath = path.join(this.dir, SNAPSHOT_FILE);
    await writeFileDurably(snapshotPath, encodeRecord({ walSegment: next, snapshot: this.mirror.snapshot }));
    await fsyncDir(this.dir);
    const old = this.segment;
    if (this.extending) await this.extending.catch(() => {});
    await fdClose(this.fd!);
    await this.openSegment(walPath);
    this.writeOffset = this.fileBytes;
    this.segment = next;
    this.stats.rotations++;
    await fsp.rm(path.join(this.dir, segmentName(old)), { force: true });
  }

  // ------------------------------------------------------------ reading ----

  private async readSnapshotFile(): Promise<{ walSegment: number; snapshot: Snapshot } | null> {
    const file = path.join(this.dir, SNAPSHOT_FILE);
    const buf = await readIfExists(file);
    if (!buf) return null;
    const rec = buf.length > 0 ? readRecord(buf, 0) : ({ ok: false, reason: "empty file" } as const);
    if (!rec.ok) throw new StorageCorruptError(file, 0, rec.reason);
    const payload = rec.payload as { walSegment?: unknown; snapshot?: Snapshot };
    if (!Number.isSafeInteger(payload.walSegment) || !payload.snapshot) {
      throw new StorageCorruptError(file, 0, "snapshot record lacks walSegment or snapshot");
    }
    return { walSegment: payload.walSegment as number, snapshot: payload.snapshot };
  }

  /** Replays the segment into `state`; returns the end of the last good record. */
  private async replayWal(file: string, state: PersistentState): Promise<number> {
    const buf = await readIfExists(file);
    if (!buf) {
      if (state.snapshot) throw new StorageCorruptError(file, 0, `the WAL segment named by ${SNAPSHOT_FILE} is missing`);
      return 0;
    }
    let offset = 0;
    while (offset < buf.length) {
      const rec = readRecord(buf, offset);
      if (!rec.ok) {
        if (rec.zeroTail) return offset; // preallocated space: the clean end
        if (!rec.reachesEnd) throw new StorageCorruptError(file, offset, rec.reason);
        this.log(
          `[wal] ${file}: dropped a torn last record at offset ${offset} (${rec.reason}); ` +
            `truncating the file from ${buf.length} to ${offset} bytes`,
        );
        const fh = await fsp.open(file, "r+");
        try {
          await fh.truncate(offset);
          await fh.sync();
        } finally {
          await fh.close();
        }
        return offset;
      }
      applyWalRecord(state, rec.payload as WalRecord, file, offset);
      offset = rec.end;
    }
    return offset;
  }

  /** Temp files and segments not named by the snapshot: the remains of an interrupted rotation. */
  private async removeLeftovers(): Promise<void> {
    const keep = segmentName(this.segment);
    for (const name of await fsp.readdir(this.dir)) {
      if (name.endsWith(".tmp") || (name.startsWith("wal-") && name.endsWith(".log") && name !== keep)) {
        await fsp.rm(path.join(this.dir, name), { force: true });
      }
    }
  }
}

function hardStateRecord(h: { term: number; votedFor: string | null }): WalRecord {
  return { t: "h", term: h.term, votedFor: h.votedFor };
}

function applyWalRecord(state: PersistentState, rec: WalRecord, file: string, offset: number): void {
  if (rec && rec.t === "h") applyHardState(state, rec);
  else if (rec && rec.t === "a" && Array.isArray(rec.entries)) {
    try {
      applyAppend(state, rec.entries);
    } catch (e) {
      throw new StorageCorruptError(file, offset, (e as Error).message);
    }
  } else throw new StorageCorruptError(file, offset, `unknown record ${JSON.stringify(rec).slice(0, 80)}`);
}

async function readIfExists(file: string): Promise<Buffer | null> {
  try {
    return await fsp.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
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

const fdDatasync = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
const fdFsync = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
const fdClose = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve())));

/** Temp file, fsync, rename: the file is either the old one or the complete new one. */
async function writeFileDurably(file: string, data: Buffer): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await fsp.open(tmp, "w");
  try {
    await writeAll(fh, data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
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
