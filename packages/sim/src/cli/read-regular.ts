/**
 * Reading a trace file a command line names: only a regular file, and not
 * past a size bound (`readRegularFileSync` of @dslab/protocol/cli: a FIFO is
 * refused at once, a device such as /dev/zero unread), with kv-sim's
 * messages.
 */
import { readRegularFileSync, ReadRegularError } from "@dslab/protocol/cli";

/** Largest trace file read: a trace of the most events a path holds is far smaller. */
export const MAX_TRACE_FILE_BYTES = 64 << 20;

export class FileReadError extends Error {
  override readonly name = "FileReadError";
  /** `io`: the system's error (no such file, no permission); the message is then the system's. */
  constructor(
    readonly reason: "io" | "not-regular" | "too-large",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The file's text; throws FileReadError saying what is wrong. */
export function readRegularFile(path: string, maxBytes: number): string {
  try {
    return readRegularFileSync(path, { maxBytes }).bytes.toString("utf8");
  } catch (e) {
    if (!(e instanceof ReadRegularError)) throw e;
    if (e.code === "NOT_A_FILE") throw new FileReadError("not-regular", e.message, { cause: e });
    if (e.code !== "TOO_LARGE") throw new FileReadError("io", e.message, { cause: e });
    const message = e.details.grew === true ? e.message : `${e.details.size} bytes, more than a trace file can be (${maxBytes} bytes)`;
    throw new FileReadError("too-large", message, { cause: e });
  }
}
