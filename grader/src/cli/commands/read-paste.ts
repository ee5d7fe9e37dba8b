// Reads a paste from disk without ever loading more than the size bound, and
// without waiting on anything that is not a regular file: a FIFO or a device
// is refused from its type before a byte is read.
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

/** A paste path that exists but is not a regular file (after following symlinks). */
export class NotRegularFileError extends Error {
  readonly code = "NOT_A_FILE";
}

/** What a path is, for "it is a FIFO (named pipe), not a regular file". */
export function fileKind(s: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (s.isDirectory()) return "a directory";
  if (s.isFIFO()) return "a FIFO (named pipe)";
  if (s.isSocket()) return "a socket";
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  return "not a file";
}

export async function readBounded(file: string, maxBytes: number): Promise<{ data: Uint8Array; sizeBytes: number }> {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  // It changes nothing for a regular file.
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EISDIR") throw new NotRegularFileError("it is a directory, not a regular file", { cause: err });
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new NotRegularFileError(`it is ${fileKind(stat)}, not a regular file`);
    const size = stat.size;
    if (size > maxBytes) return { data: new Uint8Array(0), sizeBytes: size };
    const data = new Uint8Array(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(data, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { data: data.subarray(0, read), sizeBytes: read };
  } finally {
    await handle.close();
  }
}
