/**
 * Reading the repository's files for a release: each through the bounded
 * reader of @dslab/protocol/cli, so a FIFO is refused at once instead of
 * blocking until a writer appears, a device (a link to /dev/zero) or a
 * directory is refused unread, and a file over RELEASE_FILE_BYTES_MAX is
 * refused by its size (or once it grows past it while it is read). A refusal
 * is a ReleaseError naming the file (exit 4); nothing is written.
 */
import { join } from "node:path";
import type { Stats } from "node:fs";
import { InputError, readRegularFileSync, ReadRegularError } from "@dslab/protocol/cli";
import { unreadableReason } from "../fs/reasons.js";

/** A repository the release cannot be built from as it is (exit 4). */
export class ReleaseError extends InputError {}

/** 64 MiB: the largest file of the repository a release reads (the course's pictures and sources are far smaller). */
export const RELEASE_FILE_BYTES_MAX = 64 * 1024 * 1024;

/** Why a file was not read, in words. */
function why(err: ReadRegularError): string {
  if (err.code === "TOO_LARGE") {
    const limit = `the ${RELEASE_FILE_BYTES_MAX.toLocaleString("en-US")} bytes a file of the release may be`;
    return err.details.grew ? `it grew past ${limit} while it was read` : `it is ${(err.details.size ?? 0).toLocaleString("en-US")} bytes, more than ${limit}`;
  }
  if (err.code === "ENOENT") return "it does not exist";
  return unreadableReason(err);
}

/** The bytes of `rel` (a path of the repository at `root`, with `/`) and its stat; a ReleaseError naming it if it is not a regular file within the bound. */
export function readRepositoryFile(root: string, rel: string): { bytes: Buffer; stats: Stats } {
  try {
    return readRegularFileSync(join(root, rel), { maxBytes: RELEASE_FILE_BYTES_MAX });
  } catch (err) {
    if (!(err instanceof ReadRegularError)) throw err;
    throw new ReleaseError(`cannot read ${rel}: ${why(err)}; nothing written`, { cause: err });
  }
}
