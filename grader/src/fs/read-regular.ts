// Opening an input file without waiting on anything that is not a regular
// file (openRegularFile and readRegularFile of @dslab/protocol/cli): a FIFO
// is refused at once instead of blocking until a writer appears, a device or
// a directory is refused unread. A refusal is a ReadRegularError with the
// code NOT_A_FILE (`it is a FIFO (named pipe), not a regular file`); a
// failed open keeps the system's code (ENOENT, EACCES, ENOTDIR) and message.
import { constants } from "node:buffer";
import type { FileHandle } from "node:fs/promises";
import { fileKind, openRegularFile, readRegularFile } from "@dslab/protocol/cli";
import { decodeUtf8 } from "./utf8.js";

export { fileKind };

/** Largest text file read: the longest string Node holds; a larger file is refused by its size (TOO_LARGE), unread. */
export const TEXT_FILE_BYTES_MAX = constants.MAX_STRING_LENGTH;

/** Opens `file` for reading if it is a regular file, without blocking; the caller closes the handle. */
export async function openRegular(file: string): Promise<{ handle: FileHandle; size: number }> {
  const { handle, stats } = await openRegularFile(file);
  return { handle, size: stats.size };
}

/**
 * The text of a regular file; a FIFO or a device is refused, never read. It
 * must be UTF-8 (a leading BOM is dropped): a byte that is not is a
 * NotUtf8Error naming its line and column, never a U+FFFD in the text.
 */
export async function readRegularText(file: string): Promise<string> {
  return decodeUtf8((await readRegularFile(file, { maxBytes: TEXT_FILE_BYTES_MAX })).bytes, file);
}
