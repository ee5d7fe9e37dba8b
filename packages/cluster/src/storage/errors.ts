/**
 * Why storage refuses to start, as errors with a stable `code`
 * (callers match on it). Each message is one line that names the file (and the offset, where
 * there is one) and says what to do; the CLIs print it as it is, without a
 * stack. A refusal never changes anything on disk.
 */
import path from "node:path";
import { DirectoryError } from "./directory.js";

/** What a refusal suggests when the content cannot be trusted. */
const RESTORE_OR_REMOVE =
  "Restore the data directory from a backup, or, if its content is disposable, remove the directory so the node " +
  "starts empty and is caught up by the leader";

/** Every storage refusal; `code` tells them apart. */
export abstract class StorageError extends Error {
  abstract readonly code: string;
}

/**
 * The data directory holds damage that is not a torn last write: a bad
 * record with valid data after it, a complete record whose checksum fails,
 * a missing snapshot or segment, a term/vote that does not cover the log.
 * `offset` is null when the problem is a whole file (missing, unexpected).
 */
export class StorageCorruptError extends StorageError {
  override readonly name = "StorageCorruptError";
  readonly code = "E_STORAGE_CORRUPT";
  constructor(
    readonly file: string,
    readonly offset: number | null,
    readonly detail: string,
  ) {
    super(`${file}:${offset === null ? "" : ` offset ${offset}:`} ${detail}; refusing to start, nothing was changed. ${RESTORE_OR_REMOVE}.`);
  }
}

/** A file that does not start like this format's WAL segment or snapshot (a foreign file, an older format). */
export class StorageFormatError extends StorageError {
  override readonly name = "StorageFormatError";
  readonly code = "E_STORAGE_FORMAT";
  readonly offset = 0;
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(
      `${file}: offset 0: ${detail}; refusing to start, nothing was changed. If the data directory's content is ` +
        `disposable, remove the directory and start again; otherwise move this file out of it or point --data-dir ` +
        `at the right directory.`,
    );
  }
}

/** Another live process uses the directory. */
export class StorageLockedError extends StorageError {
  override readonly name = "StorageLockedError";
  readonly code = "E_STORAGE_LOCKED";
  constructor(
    readonly dir: string,
    readonly pid: number | null,
  ) {
    super(
      `${dir} is in use by ${pid === null ? "another process" : `process ${pid}`} (${path.join(dir, "LOCK")}); ` +
        `stop that node first: two processes writing one WAL would corrupt it`,
    );
  }
}

/**
 * The directory belongs to another node, or to a cluster of other members,
 * than the one starting on it: a log and a vote are only safe among the
 * members they were made with (a count of 5 where 3 made the log makes 3
 * a majority where 2 was; a count of 1 elects itself alone).
 */
export class StorageMembershipError extends StorageError {
  override readonly name = "StorageMembershipError";
  readonly code = "E_STORAGE_MEMBERSHIP";
  constructor(
    readonly file: string,
    readonly recorded: { id: string; nodeIds: readonly string[] },
    readonly starting: { id: string; nodeIds: readonly string[] },
  ) {
    super(
      `${file}: this data directory belongs to node ${recorded.id} of ${members(recorded.nodeIds)}, ` +
        `not to node ${starting.id} of ${members(starting.nodeIds)}; refusing to start, nothing was changed. ` +
        `A cluster keeps the members it first started with (another count is another majority, and could elect ` +
        `two leaders in one term): start the node with the members and the id it was created with, or give it a new --data-dir.`,
    );
  }
}

function members(ids: readonly string[]): string {
  return `a ${ids.length}-node cluster (${ids.join(", ")})`;
}

/** A file-system call failed (a directory where a file belongs, permissions, ...), naming the path. */
export class StorageIoError extends StorageError {
  override readonly name = "StorageIoError";
  readonly code = "E_STORAGE_IO";
  readonly errno: string | undefined;
  constructor(
    readonly file: string,
    action: string,
    cause: unknown,
  ) {
    const errno = cause instanceof DirectoryError ? cause.errno : (cause as NodeJS.ErrnoException).code;
    // A directory that cannot be made names the path at fault itself (the data directory or a parent of it).
    super(
      cause instanceof DirectoryError
        ? `${cause.message}; give the node a data directory it can create and write`
        : `${file}: cannot ${action}: ${explain(errno, cause)}`,
      { cause },
    );
    this.errno = errno;
  }
}

function explain(errno: string | undefined, cause: unknown): string {
  switch (errno) {
    case "EISDIR":
    case "ERR_FS_EISDIR":
      return "EISDIR, it is a directory where a file belongs; remove or move the directory";
    case "EEXIST":
      return "EEXIST, something else is in the way at that path; remove or move it";
    case "ENOTDIR":
      return "ENOTDIR, a part of the path is a file, not a directory; point --data-dir at a directory";
    case "EACCES":
    case "EPERM":
      return `${errno}, permission denied; give the node's user access to it`;
    case "ENOENT":
      return "ENOENT, no such file or directory (a directory removed meanwhile, or a file system such as /proc that takes no new files)";
    case "ENXIO":
      return "ENXIO, it is a socket or a device, not a regular file; remove or move it";
    case "ENOSPC":
      return "ENOSPC, no space left on the device; free some space";
    case "EROFS":
      return "EROFS, the file system is read-only; use a writable directory";
    default:
      return errno ? `${errno}, ${(cause as Error).message}` : String((cause as Error)?.message ?? cause);
  }
}
