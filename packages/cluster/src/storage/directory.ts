/**
 * Making a data directory, and reading a file of it, without a call that
 * can wait for ever.
 *
 * `ensureDirectory` is makeDirectory of @dslab/protocol/cli: it creates a
 * directory and its missing parents one level at a time (Node's recursive
 * mkdir loops for ever when mkdir answers ENOENT for a parent that exists,
 * as under /proc and /sys), and names what is in the way in a DirectoryError:
 * a regular file, a FIFO or a device where a directory belongs, a symbolic
 * link to nothing, a file system that holds no new directories, a path
 * longer than the system allows.
 *
 * `readStorageFile` reads only a regular file, through the shared reader of
 * @dslab/protocol/cli: opening a FIFO for reading waits for a writer, and a
 * device such as /dev/zero never ends.
 */
import type { Stats } from "node:fs";
import { DirectoryError, fileKind, makeDirectory, openRegularFile, ReadRegularError } from "@dslab/protocol/cli";

export { DirectoryError };

/** A file of the storage that is not a regular file. `code` is EISDIR for a directory, as a read of one fails. */
export class NotRegularFileError extends Error {
  override readonly name = "NotRegularFileError";
  readonly code: string | undefined;
  constructor(readonly kind: string) {
    super(`it is ${kind} where a regular file belongs; remove or move it`);
    this.code = kind === "a directory" ? "EISDIR" : undefined;
  }
}

/** What a path that is not a regular file is, from its stat: "a directory", "a FIFO (named pipe)", ... */
function kindOf(s: Stats): string {
  return s.isFile() ? "a regular file" : fileKind(s);
}

/**
 * Makes `dir` (and its missing parents) a directory, or throws a
 * DirectoryError naming what is in the way. Returns the directories it
 * created, outermost first (none when `dir` was one already).
 */
export async function ensureDirectory(dir: string): Promise<string[]> {
  return makeDirectory(dir);
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
