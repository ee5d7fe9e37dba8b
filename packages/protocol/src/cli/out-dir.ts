/**
 * An output directory (`--out DIR`) is checked before a command does its
 * work, so work whose outputs could not be written is refused at once rather
 * than lost at the end. The directory is created one level at a time (Node's recursive mkdir
 * loops for ever under /proc, where mkdir answers ENOENT for a parent that
 * exists), a probe file is written and removed, and an output name that
 * already exists as something other than a regular file (a directory, a
 * FIFO that would block the write) is refused.
 */
import { closeSync, mkdirSync, openSync, rmdirSync, statSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InputError } from "./index.js";

/** What a failed system call means, in words. */
function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EROFS") return "a read-only file system";
  if (code === "ENOTDIR") return "a parent is not a directory";
  if (code === "ENOENT") return "this file system does not allow it (ENOENT)";
  if (code === "ENOSPC") return "no space left on the device";
  return (e as Error).message;
}

function kindOf(path: string): "missing" | "directory" | "file" | "other" {
  try {
    const s = statSync(path);
    return s.isDirectory() ? "directory" : s.isFile() ? "file" : "other";
  } catch (e) {
    // ENOTDIR: some parent is a file; the walk up finds it and says so.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "missing";
    throw new InputError(`--out ${path}: cannot be checked: ${why(e)}`);
  }
}

/** Creates `dir` and its parents, one level at a time, each create tried once; returns those it created, outermost first. */
function makeDirs(dir: string, shown: string): string[] {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    const kind = kindOf(at);
    if (kind === "directory") break;
    if (kind !== "missing") throw new InputError(`--out ${shown}: ${at} exists and is not a directory; give a directory for the outputs`);
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  const created: string[] = [];
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw new InputError(`--out ${shown}: cannot create the directory ${d}: ${why(e)}; give a directory you can write to`);
    }
    created.push(d);
  }
  return created;
}

/**
 * Makes sure the outputs named `files` can be written into `dir`; throws a
 * InputError (exit 4: an output that cannot be written) naming `--out`
 * and the reason when they cannot. Returns the directories it created,
 * outermost first, for `removeCreatedDirs` when the work never runs.
 */
export function prepareOutDir(dir: string, files: readonly string[]): string[] {
  const created = makeDirs(dir, dir);
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
    throw new InputError(`--out ${dir}: cannot write there: ${why(e)}; give a directory you can write to`);
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
