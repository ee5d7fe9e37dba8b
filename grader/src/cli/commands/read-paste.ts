// Reads a paste from disk through readRegularFile of @dslab/protocol/cli:
// never more than the size bound (and one byte), and never waiting on
// anything that is not a regular file (a FIFO or a device is refused from
// its type before a byte is read). The file is read to its end, not to the
// size it had when it was opened: a file still being written, or one whose
// reported size is 0 (/proc), is read as it is.
import { readRegularFile, ReadRegularError } from "@dslab/protocol/cli";

/**
 * The paste's bytes; a paste over `maxBytes` is not read and comes back
 * empty with `sizeBytes` its size (or, when it grew past the bound while it
 * was read, the bytes it had then), for the checker to refuse by its size.
 * A path that is not a regular file, or that cannot be opened, is a
 * ReadRegularError (NOT_A_FILE, or the system's code).
 */
export async function readBounded(file: string, maxBytes: number): Promise<{ data: Uint8Array; sizeBytes: number }> {
  try {
    const { bytes } = await readRegularFile(file, { maxBytes });
    return { data: bytes, sizeBytes: bytes.byteLength };
  } catch (err) {
    if (err instanceof ReadRegularError && err.code === "TOO_LARGE") return { data: new Uint8Array(0), sizeBytes: err.details.size ?? maxBytes + 1 };
    throw err;
  }
}
