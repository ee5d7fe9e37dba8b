// Opening an input file without waiting on anything that is not a regular
// file. A FIFO opened for reading blocks until a writer appears (for ever,
// if none does); O_NONBLOCK makes the open return at once, and fstat then
// says what was opened. For a regular file O_NONBLOCK changes nothing.
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { fileKind } from "@dslab/protocol/cli";

/** A path that exists but is not a regular file (after following symlinks). */
export class NotRegularFileError extends Error {
  readonly code = "NOT_A_FILE";
}

export { fileKind };

/** Opens `file` for reading if it is a regular file; NotRegularFileError otherwise, without blocking. */
export async function openRegular(file: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EISDIR") throw new NotRegularFileError("it is a directory, not a regular file", { cause: err });
    throw err;
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new NotRegularFileError(`it is ${fileKind(stat)}, not a regular file`);
  }
  return { handle, size: stat.size };
}

/** The text of a regular file (UTF-8); a FIFO or a device is refused, never read. */
export async function readRegularText(file: string): Promise<string> {
  const { handle } = await openRegular(file);
  try {
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}
