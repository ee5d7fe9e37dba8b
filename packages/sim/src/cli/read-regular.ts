/**
 * Reading a file a command line names (a trace file): only a regular file,
 * and not past a size bound. A FIFO would block the command (opening it
 * waits for a writer, reading it for the writer's end), and a device such as
 * /dev/zero never ends.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync } from "node:fs";
import { fileKind } from "@dslab/protocol/cli";

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
  let fd: number;
  try {
    // Non-blocking: opening a FIFO with no writer must not wait for one.
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    throw new FileReadError("io", (e as Error).message, { cause: e });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new FileReadError("not-regular", `it is ${fileKind(stat)}, not a regular file`);
    if (stat.size > maxBytes) throw new FileReadError("too-large", `${stat.size} bytes, more than a trace file can be (${maxBytes} bytes)`);
    return readFileSync(fd, "utf8");
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    throw new FileReadError("io", (e as Error).message, { cause: e });
  } finally {
    closeSync(fd);
  }
}
