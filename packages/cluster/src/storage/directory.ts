/**
 * Making a data directory, and reading a file of it, without a call that
 * can wait for ever.
 *
 * `ensureDirectory` creates a directory and its missing parents one level
 * at a time. Node's `mkdir(dir, { recursive: true })` is not used: it loops
 * for ever (in a thread-pool thread, which then also keeps the process from
 * exiting) when mkdir answers ENOENT for a parent that exists, as it does
 * under /proc and /sys and below a dangling symbolic link. Here each mkdir
 * is tried once, and what is in the way is said by name: a regular file, a
 * FIFO or a device where a directory belongs, a symbolic link to nothing, a
 * file system that holds no new directories, a path longer than the
 * system allows.
 *
 * `readStorageFile` reads only a regular file, through the shared reader of
 * @dslab/protocol/cli: opening a FIFO for reading waits for a writer, and a
 * device such as /dev/zero never ends.
 */
import { promises as fsp, type Stats } from "node:fs";
import { fileKind, openRegularFile, ReadRegularError } from "@dslab/protocol/cli";
import path from "node:path";

/** A directory that cannot be made or used; the message names the path at fault and why, and says nothing about what to do (the caller knows). */
export class DirectoryError extends Error {
  override readonly name = "DirectoryError";
  constructor(
    /** The path at fault: the directory itself or one of its parents. */
    readonly at: string,
    message: string,
    /** The system's error code, when a call failed (ENOENT, EACCES, ...). */
    readonly errno?: string,
  ) {
    super(message);
  }
}

/** A file of the storage that is not a regular file. `code` is EISDIR for a directory, as a read of one fails. */
export class NotRegularFileError extends Error {
  override readonly name = "NotRegularFileError";
  readonly code: string | undefined;
  constructor(readonly kind: string) {
    super(`it is ${kind} where a regular file belongs; remove or move it`);
    this.code = kind === "a directory" ? "EISDIR" : undefined;
  }
}

/** What a path that is not a directory is, from its stat: "a regular file", "a FIFO (named pipe)", ... */
export function kindOf(s: Stats): string {
  return s.isFile() ? "a regular file" : fileKind(s);
}

/** Makes `dir` (and its missing parents) a directory, or throws a DirectoryError naming what is in the way. */
export async function ensureDirectory(dir: string): Promise<void> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  for (let at = target; ; ) {
    if (await isDirectory(at)) break;
    missing.push(at);
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing.reverse()) {
    try {
      await fsp.mkdir(d);
    } catch (e) {
      // Made meanwhile by another process (the nodes of one cluster start at once): fine if it is a directory.
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && (await isDirectory(d))) continue;
      throw cannotCreate(d, e);
    }
  }
}

/**
 * Whether `p` is a directory (following symbolic links); false when it does
 * not exist, or a parent is not a directory (the walk up finds that one). A
 * DirectoryError when something else is there.
 */
async function isDirectory(p: string): Promise<boolean> {
  let stat: Stats;
  try {
    stat = await fsp.stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      const link = await readLink(p);
      if (link !== null) throw new DirectoryError(p, `${p} is a symbolic link to ${link}, which does not exist`, code);
      return false;
    }
    if (code === "ENOTDIR") return false;
    if (code === "ENAMETOOLONG") throw tooLong(p);
    if (code === "ELOOP") throw new DirectoryError(p, `${p}: too many levels of symbolic links (ELOOP; do they point at each other?)`, code);
    if (code === "EACCES" || code === "EPERM") throw new DirectoryError(p, `cannot look at ${p}: permission denied (${code})`, code);
    throw new DirectoryError(p, `cannot look at ${p}: ${(e as Error).message}`, code);
  }
  if (stat.isDirectory()) return true;
  const link = await readLink(p);
  const shown = link === null ? p : `${p} (a symbolic link to ${link})`;
  throw new DirectoryError(p, `${shown} is ${kindOf(stat)}, not a directory`, "ENOTDIR");
}

/** Where the symbolic link `p` points, or null when `p` is not one. */
async function readLink(p: string): Promise<string | null> {
  try {
    return await fsp.readlink(p);
  } catch {
    return null;
  }
}

function tooLong(p: string): DirectoryError {
  return new DirectoryError(
    p,
    `${p}: the path is too long (ENAMETOOLONG: the system allows ${process.platform === "linux" ? "4095 bytes in all and 255 per name" : "fewer"})`,
    "ENAMETOOLONG",
  );
}

function cannotCreate(d: string, e: unknown): DirectoryError {
  const code = (e as NodeJS.ErrnoException).code;
  const parent = path.dirname(d);
  switch (code) {
    case "ENOENT":
      // The walk found the parent a directory: its file system takes no new entries there.
      return new DirectoryError(d, `cannot create ${d}: ${parent} allows no new directory there (ENOENT; /proc and /sys hold no data)`, code);
    case "EACCES":
    case "EPERM":
      return new DirectoryError(d, `cannot create ${d}: permission denied (${code})`, code);
    case "EROFS":
      return new DirectoryError(d, `cannot create ${d}: the file system is read-only (EROFS)`, code);
    case "ENOSPC":
      return new DirectoryError(d, `cannot create ${d}: no space left on the device (ENOSPC)`, code);
    case "ENAMETOOLONG":
      return tooLong(d);
    default:
      return new DirectoryError(d, `cannot create ${d}: ${(e as Error).message}`, code);
  }
}

/**
 * The bytes of `file`, or null when it does not exist, through
 * openRegularFile of @dslab/protocol/cli (opened without waiting for a
 * FIFO's writer, and read only if it is a regular file; no size bound: a
 * WAL segment or a snapshot is as large as the state). A NotRegularFileError
 * when it is anything but a regular file; other failures as the system
 * threw them.
 */
export async function readStorageFile(file: string): Promise<Buffer | null> {
  let opened: Awaited<ReturnType<typeof openRegularFile>>;
  try {
    opened = await openRegularFile(file);
  } catch (e) {
    if (!(e instanceof ReadRegularError)) throw e;
    if (e.code === "ENOENT") return null;
    if (e.code === "NOT_A_FILE" && e.details.stats !== undefined) throw new NotRegularFileError(kindOf(e.details.stats));
    throw e.cause ?? e;
  }
  try {
    return await opened.handle.readFile();
  } finally {
    await opened.handle.close();
  }
}
