/**
 * One process per data directory: `LOCK` holds `<pid> <lock id>` of the
 * process using it. Two writers would destroy each other's WAL, so exactly
 * one of any number of processes starting at once may win, also when they
 * all find the stale LOCK of a killed node.
 *
 * Every step is a single atomic file-system operation:
 *   - a lock file is written completely under a unique temp name and then
 *     hard-linked to its name (`link` fails with EEXIST if the name is taken),
 *     so a reader never sees a half-written lock;
 *   - a stale lock (its process is gone) is replaced, never removed: the
 *     taker first claims `LOCK.takeover-<stale lock id>` by the same
 *     protocol, checks that LOCK still is that stale lock, and renames its
 *     own complete lock file over it. Only the holder of that marker may
 *     replace that lock instance, and LOCK never disappears in between, so no
 *     second process can slip in; a taker that dies holding a marker leaves a
 *     stale marker, taken over the same way one level down.
 *
 * Liveness: another pid is alive if it answers signal 0 and is a node
 * program; our own pid is alive only for lock ids this process holds (so two
 * storages in one process exclude each other too).
 *
 * A process that exits without closing its storage (a node program that
 * stops on a fatal error) can remove the locks it still holds on its way out
 * with `releaseHeldLocksSync`, so its directory does not look held after it.
 */
import { randomBytes } from "node:crypto";
import { promises as fsp, lstatSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { crc32 } from "./crc32.js";
import { readStorageFile } from "./directory.js";
import { StorageIoError, StorageLockedError } from "./errors.js";

export const LOCK_FILE = "LOCK";
/** Markers of takers that died in turn are taken over at most this many levels deep. */
const MAX_TAKEOVER_DEPTH = 3;
const RETRY_MS = 50;

export interface HeldLock {
  file: string;
  id: string;
}

type Claim = { won: true; id: string } | { won: false; pid: number | null };

/** Lock ids this process holds, each with the file it claims by it (a LOCK or a takeover marker). */
const held = new Map<string, string>();

/** Takes the directory's LOCK, waiting up to `waitMs` for a live holder to exit. */
export async function acquireLock(dir: string, waitMs: number): Promise<HeldLock> {
  const file = path.join(dir, LOCK_FILE);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const claim = await claimFile(file, 0);
    if (claim.won) return { file, id: claim.id };
    if (Date.now() >= deadline) throw new StorageLockedError(dir, claim.pid);
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

/**
 * The pid of the live process that holds `dir`'s LOCK (null when the lock
 * names no pid), or undefined when no live process holds it (no lock, a
 * stale one, or one that cannot be read: taking it says why).
 */
export async function liveLockHolder(dir: string): Promise<number | null | undefined> {
  const holder = await readHolder(path.join(dir, LOCK_FILE)).catch(() => null);
  return holder !== null && isHolderAlive(holder) ? holder.pid : undefined;
}

/** Removes the lock if it still is ours. */
export async function releaseLock(lock: HeldLock): Promise<void> {
  held.delete(lock.id);
  const holder = await readHolder(lock.file).catch(() => null);
  if (holder?.id === lock.id) await fsp.rm(lock.file, { force: true });
}

/**
 * Removes, synchronously (from a process "exit" handler), every lock file
 * this process still holds: only a file that still names this process and
 * the lock id it took is removed, so a lock another process holds (or took
 * over) is never touched. Failures are ignored: a lock left behind is stale
 * once this process is gone, and the next start takes it over.
 */
export function releaseHeldLocksSync(): void {
  for (const [id, file] of held) {
    held.delete(id);
    try {
      // Only a regular file is read (never a FIFO put in its place, which would wait for a writer).
      if (!lstatSync(file).isFile()) continue;
      if (readFileSync(file, "utf8") === lockText(id)) rmSync(file, { force: true });
    } catch {
      // Nothing to remove, or it cannot be: see above.
    }
  }
}

/** The lock's own files: LOCK, its temp files and takeover markers. */
export function isLockFile(name: string): boolean {
  return name === LOCK_FILE || name.startsWith(`${LOCK_FILE}.`);
}

async function claimFile(file: string, depth: number): Promise<Claim> {
  for (;;) {
    const id = randomBytes(8).toString("hex");
    const tmp = `${file}.${id}.tmp`;
    try {
      await fsp.writeFile(tmp, lockText(id), { flag: "wx" });
    } catch (e) {
      throw new StorageIoError(tmp, "create a lock file", e);
    }
    held.set(id, file);
    let won = false;
    try {
      if (await linkExclusive(tmp, file)) {
        won = true;
        return { won: true, id };
      }
      const holder = await readHolder(file);
      if (holder === null) {
        // Released meanwhile: try again. A name that link finds taken and open finds missing is a symbolic link to nothing.
        const target = await fsp.readlink(file).catch(() => null);
        if (target !== null) throw new StorageIoError(file, "read the lock file", new Error(`it is a symbolic link to ${target}, which does not exist; remove it`));
        continue;
      }
      if (isHolderAlive(holder)) return { won: false, pid: holder.pid };
      if (depth >= MAX_TAKEOVER_DEPTH) {
        throw new StorageIoError(file, "take over the stale lock", new Error(`stale takeover markers ${file}.takeover-* are in the way; remove them`));
      }
      const marker = await claimFile(`${file}.takeover-${holder.id}`, depth + 1);
      if (!marker.won) return { won: false, pid: marker.pid }; // a live process is taking it over right now
      try {
        const still = await readHolder(file);
        if (still?.id === holder.id) {
          try {
            await fsp.rename(tmp, file);
          } catch (e) {
            throw new StorageIoError(file, "take over the stale lock", e);
          }
          won = true;
          return { won: true, id };
        }
      } finally {
        await releaseLock({ file: `${file}.takeover-${holder.id}`, id: marker.id });
      }
    } finally {
      if (!won) held.delete(id);
      await fsp.rm(tmp, { force: true }).catch(() => {});
    }
  }
}

/** What a lock file this process writes holds. */
function lockText(id: string): string {
  return `${process.pid} ${id}\n`;
}

async function linkExclusive(from: string, to: string): Promise<boolean> {
  try {
    await fsp.link(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new StorageIoError(to, "create the lock file", e);
  }
}

/** The holder a lock file names, or null if there is no file. Content that is not ours counts as a dead holder. */
async function readHolder(file: string): Promise<{ pid: number | null; id: string } | null> {
  let bytes: Buffer | null;
  try {
    // A FIFO in its place is refused, not waited on for a writer.
    bytes = await readStorageFile(file);
  } catch (e) {
    throw new StorageIoError(file, "read the lock file", e);
  }
  if (bytes === null) return null;
  const text = bytes.toString("utf8");
  const m = /^(\d+)(?: ([0-9a-f]{16}))?\s*$/.exec(text);
  const pid = m ? Number(m[1]) : null;
  // A lock without an id (an earlier version's, or foreign content) is named by its content.
  const id = m?.[2] ?? `c${crc32(Buffer.from(text)).toString(16)}`;
  return { pid: pid !== null && Number.isSafeInteger(pid) && pid > 0 ? pid : null, id };
}

function isHolderAlive(holder: { pid: number | null; id: string }): boolean {
  if (holder.pid === null) return false;
  if (holder.pid === process.pid) return held.has(holder.id);
  return isAlive(holder.pid);
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
