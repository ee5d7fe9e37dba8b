/**
 * Making a directory and its missing parents, one level at a time, with a
 * sync and an async entry point that walk the same way and say the same.
 *
 * Node's `mkdir(dir, { recursive: true })` is not used: it loops for ever
 * (in the calling thread, or in a thread-pool thread that then also keeps
 * the process from exiting) when mkdir answers ENOENT for a parent that
 * exists, as it does under /proc and /sys and below a dangling symbolic link.
 * Here the walk goes up to the first directory that exists, then each
 * missing level is created once, outermost first, and what is in the way is
 * a DirectoryError naming it: a regular file, a FIFO or a device where a
 * directory belongs, a symbolic link to nothing, a loop of symbolic links,
 * a file system that holds no new directories (ENOENT under /proc, EROFS),
 * a path longer than the system allows. A level that another process makes
 * between the walk and the mkdir (EEXIST) is accepted when it is a directory.
 *
 * The walk is one generator that asks for each file-system call; the two
 * entry points answer those calls with the sync or the async API.
 */
import { mkdirSync, promises as fsp, readlinkSync, statSync, type Stats } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileKind } from "./index.js";

/**
 * What is wrong with a directory that cannot be made:
 * - `not-a-directory`: something else is at `at` (`kind` says what);
 * - `dangling-link`: `at` is a symbolic link (to `link`) that points at nothing;
 * - `link-loop`: resolving `at` goes round symbolic links (ELOOP);
 * - `too-long`: the path is longer than the system allows (ENAMETOOLONG);
 * - `cannot-check`: stat of `at` failed otherwise (`errno`: EACCES, ...);
 * - `cannot-create`: mkdir of `at` failed (`errno`: ENOENT under /proc, EACCES, EROFS, ENOSPC, ...).
 */
export type DirectoryFault = "not-a-directory" | "dangling-link" | "link-loop" | "too-long" | "cannot-check" | "cannot-create";

/**
 * A directory that cannot be made. The message names the path at fault and
 * why, and says nothing about what to do (the caller knows):
 * `/srv/data is a FIFO (named pipe), not a directory`,
 * `cannot create /proc/x: /proc allows no new directory there (ENOENT; /proc and /sys hold no data)`.
 */
export class DirectoryError extends Error {
  override readonly name = "DirectoryError";
  constructor(
    /** The path at fault: the directory itself or one of its parents. */
    readonly at: string,
    /** What is wrong, for a caller that says it in its own words. */
    readonly reason: DirectoryFault,
    /** The system's error code: ENOENT, EACCES, EROFS, ELOOP, ENAMETOOLONG, ... (ENOTDIR for `not-a-directory`). */
    readonly errno: string | undefined,
    message: string,
    /** `not-a-directory`: what is there (`a regular file`, `a FIFO (named pipe)`, ...); `dangling-link` and a link to something else: where the link points. */
    readonly details: { kind?: string; link?: string } = {},
  ) {
    super(message);
  }
}

/** The longest path a message shows whole; a longer one is shown by its ends. */
const SHOWN_WHOLE = 130;
/** How many characters of each end of a long path a message shows. */
const SHOWN_END = 60;

/**
 * `p` as a message shows it: whole when it is short, else its first and last
 * 60 characters around an ellipsis, and its length in bytes (the unit of the
 * system's limit): `/tmp/data/dddd…dddd/n1 (5043 bytes)`.
 */
export function abbreviatePath(p: string): string {
  const chars = Array.from(p);
  if (chars.length <= SHOWN_WHOLE) return p;
  return `${chars.slice(0, SHOWN_END).join("")}…${chars.slice(-SHOWN_END).join("")} (${Buffer.byteLength(p)} bytes)`;
}

/**
 * Makes `dir` (and its missing parents) a directory, or throws a
 * DirectoryError naming what is in the way. Returns the directories it
 * created, outermost first (none when `dir` was a directory already, and not
 * one another process made meanwhile).
 */
export function makeDirectorySync(dir: string): string[] {
  const walk = walkTo(dir);
  let step = walk.next();
  while (!step.done) step = walk.next(callSync(step.value));
  return step.value;
}

/** makeDirectorySync without blocking the thread: the same walk, the same errors. */
export async function makeDirectory(dir: string): Promise<string[]> {
  const walk = walkTo(dir);
  let step = walk.next();
  while (!step.done) step = walk.next(await callAsync(step.value));
  return step.value;
}

/** A file-system call the walk asks for, and its outcome. */
type Call = { op: "stat" | "readlink" | "mkdir"; path: string };
type Answer = { ok: true; value: unknown } | { ok: false; error: NodeJS.ErrnoException };
type Walk<T> = Generator<Call, T, Answer>;

function callSync(c: Call): Answer {
  try {
    return { ok: true, value: c.op === "stat" ? statSync(c.path) : c.op === "readlink" ? readlinkSync(c.path) : mkdirSync(c.path) };
  } catch (e) {
    return { ok: false, error: e as NodeJS.ErrnoException };
  }
}

async function callAsync(c: Call): Promise<Answer> {
  try {
    return { ok: true, value: c.op === "stat" ? await fsp.stat(c.path) : c.op === "readlink" ? await fsp.readlink(c.path) : await fsp.mkdir(c.path) };
  } catch (e) {
    return { ok: false, error: e as NodeJS.ErrnoException };
  }
}

function* walkTo(dir: string): Walk<string[]> {
  const missing: string[] = [];
  for (let at = resolve(dir); ; ) {
    if (yield* isDirectory(at)) break;
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  const created: string[] = [];
  for (const d of missing.reverse()) {
    const made = yield { op: "mkdir", path: d };
    if (made.ok) {
      created.push(d);
      continue;
    }
    // Made meanwhile by another process (the nodes of one cluster start at once): fine if it is a directory.
    if (made.error.code === "EEXIST" && (yield* isDirectory(d))) continue;
    throw cannotCreate(d, made.error);
  }
  return created;
}

/**
 * Whether `p` is a directory (following symbolic links); false when it does
 * not exist, or a parent is not a directory (the walk up finds that one). A
 * DirectoryError when something else is there.
 */
function* isDirectory(p: string): Walk<boolean> {
  const stat = yield { op: "stat", path: p };
  if (!stat.ok) {
    const code = stat.error.code;
    if (code === "ENOENT") {
      const link = yield* readLink(p);
      if (link !== null) throw new DirectoryError(p, "dangling-link", code, `${p} is a symbolic link to ${link}, which does not exist`, { link });
      return false;
    }
    if (code === "ENOTDIR") return false;
    if (code === "ENAMETOOLONG") throw tooLong(p);
    if (code === "ELOOP") throw new DirectoryError(p, "link-loop", code, `${p}: too many levels of symbolic links (ELOOP; do they point at each other?)`);
    if (code === "EACCES" || code === "EPERM") throw new DirectoryError(p, "cannot-check", code, `cannot look at ${p}: permission denied (${code})`);
    throw new DirectoryError(p, "cannot-check", code, `cannot look at ${p}: ${stat.error.message}`);
  }
  const stats = stat.value as Stats;
  if (stats.isDirectory()) return true;
  const link = yield* readLink(p);
  const shown = link === null ? p : `${p} (a symbolic link to ${link})`;
  const kind = stats.isFile() ? "a regular file" : fileKind(stats);
  throw new DirectoryError(p, "not-a-directory", "ENOTDIR", `${shown} is ${kind}, not a directory`, link === null ? { kind } : { kind, link });
}

/** Where the symbolic link `p` points, or null when `p` is not one. */
function* readLink(p: string): Walk<string | null> {
  const read = yield { op: "readlink", path: p };
  return read.ok ? (read.value as string) : null;
}

/** Why a path is too long, without the path: `the path is too long (ENAMETOOLONG: ...)`. */
export const TOO_LONG = `the path is too long (ENAMETOOLONG: the system allows ${process.platform === "linux" ? "4095 bytes in all and 255 per name" : "fewer"})`;

function tooLong(p: string): DirectoryError {
  return new DirectoryError(p, "too-long", "ENAMETOOLONG", `${abbreviatePath(p)}: ${TOO_LONG}`);
}

function cannotCreate(d: string, e: NodeJS.ErrnoException): DirectoryError {
  const code = e.code;
  switch (code) {
    case "ENOENT":
      // The walk found the parent a directory: its file system takes no new entries there.
      return new DirectoryError(d, "cannot-create", code, `cannot create ${d}: ${dirname(d)} allows no new directory there (ENOENT; /proc and /sys hold no data)`);
    case "EACCES":
    case "EPERM":
      return new DirectoryError(d, "cannot-create", code, `cannot create ${d}: permission denied (${code})`);
    case "EROFS":
      return new DirectoryError(d, "cannot-create", code, `cannot create ${d}: the file system is read-only (EROFS)`);
    case "ENOSPC":
      return new DirectoryError(d, "cannot-create", code, `cannot create ${d}: no space left on the device (ENOSPC)`);
    case "ENAMETOOLONG":
      return tooLong(d);
    default:
      return new DirectoryError(d, "cannot-create", code, `cannot create ${d}: ${e.message}`);
  }
}
