/**
 * An output directory (`--out DIR`) is checked before a command does its
 * work, so work whose outputs could not be written is refused at once rather
 * than lost at the end. The directory is made by makeDirectorySync (one
 * level at a time: Node's recursive mkdir loops for ever under /proc, where
 * mkdir answers ENOENT for a parent that exists), a probe file is written
 * and removed, and an output name that already exists as something other
 * than a regular file (a directory, a FIFO that would block the write) is
 * refused.
 */
import { closeSync, openSync, rmdirSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { abbreviatePath, DirectoryError, makeDirectorySync, TOO_LONG } from "./directory.js";
import { InputError } from "./index.js";

/** What a failed system call means, in words. */
function why(code: string | undefined, message: string): string {
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EROFS") return "a read-only file system";
  if (code === "ENOTDIR") return "a parent is not a directory";
  if (code === "ENOENT") return "this file system does not allow it (ENOENT)";
  if (code === "ENOSPC") return "no space left on the device";
  if (code === "ENAMETOOLONG") return "the path is too long (ENAMETOOLONG)";
  return message;
}

function whyError(e: unknown): string {
  return why((e as NodeJS.ErrnoException).code, (e as Error).message);
}

function kindOf(path: string): "missing" | "directory" | "file" | "other" {
  try {
    const s = statSync(path);
    return s.isDirectory() ? "directory" : s.isFile() ? "file" : "other";
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "missing";
    throw new InputError(`--out ${path}: cannot be checked: ${whyError(e)}`);
  }
}

/** The walk's DirectoryError in the words of `--out`. */
function outDirError(dir: string, e: DirectoryError): InputError {
  const { at, reason, errno } = e;
  switch (reason) {
    case "not-a-directory":
      return new InputError(`--out ${dir}: ${at} exists and is not a directory; give a directory for the outputs`, { cause: e });
    case "cannot-create":
      return new InputError(`--out ${dir}: cannot create the directory ${at}: ${why(errno, e.message)}; give a directory you can write to`, { cause: e });
    case "cannot-check":
      return new InputError(`--out ${dir}: ${at} cannot be checked: ${why(errno, e.message)}; give a directory you can write to`, { cause: e });
    case "too-long":
      return new InputError(`--out ${abbreviatePath(dir)}: ${TOO_LONG}; give a shorter path for the outputs`, { cause: e });
    default:
      // A symbolic link to nothing, a loop of symbolic links: the walk's own words name it.
      return new InputError(`--out ${dir}: ${e.message}; give a directory for the outputs`, { cause: e });
  }
}

/**
 * Makes sure the outputs named `files` can be written into `dir`; throws a
 * InputError (exit 4: an output that cannot be written) naming `--out`
 * and the reason when they cannot. Returns the directories it created,
 * outermost first, for `removeCreatedDirs` when the work never runs.
 */
export function prepareOutDir(dir: string, files: readonly string[]): string[] {
  let created: string[];
  try {
    created = makeDirectorySync(dir);
  } catch (e) {
    throw e instanceof DirectoryError ? outDirError(dir, e) : e;
  }
  // The global Web Crypto loads node:crypto on first use, not when a command starts.
  const probe = join(dir, `.dslab-write-check-${globalThis.crypto.randomUUID()}`);
  try {
    const fd = openSync(probe, "wx");
    try {
      writeSync(fd, "ok\n");
    } finally {
      closeSync(fd);
    }
    unlinkSync(probe);
  } catch (e) {
    const shown = (e as NodeJS.ErrnoException).code === "ENAMETOOLONG" ? abbreviatePath(dir) : dir;
    throw new InputError(`--out ${shown}: cannot write there: ${whyError(e)}; give a directory you can write to`);
  }
  for (const name of files) {
    const kind = kindOf(join(dir, name));
    if (kind === "directory" || kind === "other") {
      throw new InputError(`--out ${dir}: ${name} exists and is not a regular file (${kind === "directory" ? "a directory" : "a FIFO, socket or device"}); move it away or give another --out`);
    }
  }
  return created;
}

/** Removes the directories `prepareOutDir` created, innermost first, each only while it is empty. */
export function removeCreatedDirs(created: readonly string[]): void {
  for (const d of [...created].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}
