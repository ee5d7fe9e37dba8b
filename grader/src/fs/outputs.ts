// Outputs the grader wrote under a name it no longer gives (a calendar, a
// report folder or a review page renamed: see student-names.ts). Each output
// is recorded with its owner (a student, a lesson) and the SHA-256 of what was
// written. When an owner's output gets a new name, the old one is removed only
// if it is recorded as that owner's and its content is what the grader wrote;
// any other (changed since, or not recorded: written before outputs were
// recorded) is left where it is and listed as stale, and so is one whose
// path below the output directory passes through a symbolic link (it is
// never followed). Nothing else is touched.
import { createHash } from "node:crypto";
import { lstat, readFile, rmdir, unlink } from "node:fs/promises";
import path from "node:path";

/** An output as recorded: whose it is and the SHA-256 (hex) of its content when written. */
export interface RecordedOutput {
  owner: string;
  sha256: string;
}

/** Output path (relative to the output directory, `/`-separated) -> its record. */
export type OutputRecord = Record<string, RecordedOutput>;

/** An earlier output whose owner now has another name: removed, or left and why. */
export interface StaleOutput {
  /** Relative to the output directory, `/`-separated. */
  file: string;
  owner: string;
  /** The owner's name now: the file or folder that replaces it. */
  now: string;
  removed: boolean;
  /** Why it was removed or left. */
  reason: string;
}

export function sha256(content: string | Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

/** `file` is `name` or lies under the folder `name`, case ignored (one file on macOS and Windows). */
function within(file: string, name: string): boolean {
  const f = file.toLowerCase();
  const n = name.toLowerCase();
  return f === n || f.startsWith(`${n}/`);
}

/** A path inside the output directory: relative, `/`-separated, no `.` or `..` segment, no backslash (a record edited by hand never reaches outside). */
function insidePath(file: string): boolean {
  return file !== "" && !file.includes("\\") && !file.includes("\0") && file.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
}

/**
 * The first folder on the way to `file` (relative to `outDir`, `/`-separated)
 * that is a symbolic link, or anything but a folder, each component read with
 * lstat; undefined when every one is a real folder. A file is never removed
 * through a link: the link may point anywhere.
 */
async function linkedFolder(outDir: string, file: string): Promise<string | undefined> {
  const segments = file.split("/");
  for (let i = 1; i < segments.length; i++) {
    const rel = segments.slice(0, i);
    const info = await lstat(path.join(outDir, ...rel)).catch(() => undefined);
    if (info === undefined || info.isSymbolicLink() || !info.isDirectory()) return rel.join("/");
  }
  return undefined;
}

/** Whether a record read from a state file has the shape of an OutputRecord, every path inside the output directory. */
export function isOutputRecord(data: unknown): data is OutputRecord {
  return (
    typeof data === "object" &&
    data !== null &&
    !Array.isArray(data) &&
    Object.keys(data).every(insidePath) &&
    Object.values(data).every((o: Partial<RecordedOutput> | null) => typeof o === "object" && o !== null && typeof o.owner === "string" && typeof o.sha256 === "string" && /^[0-9a-f]{64}$/.test(o.sha256))
  );
}

/**
 * Handles the earlier outputs of the owners in `current` (owner -> the file
 * or folder that is theirs now): a recorded one of theirs under another name
 * is removed when its content still has the recorded hash (a folder left
 * empty goes too), else left and listed; a `candidates` path (a name an
 * earlier naming rule gave that owner, owner -> paths) that is not recorded
 * but exists is left and listed. A path that is any owner's current name, or
 * recorded as another owner's, is never touched. Returns what was found and
 * the record to keep: `record` without the files removed or gone.
 */
export async function sweepRenamed(
  outDir: string,
  record: Readonly<OutputRecord>,
  current: ReadonlyMap<string, string>,
  candidates: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<{ stale: StaleOutput[]; kept: OutputRecord }> {
  const names = [...current.values()];
  const isCurrent = (file: string) => names.some((n) => within(file, n));
  const stale: StaleOutput[] = [];
  const kept: OutputRecord = {};
  const removedDirs = new Set<string>();
  for (const [file, rec] of Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const now = current.get(rec.owner);
    const full = path.join(outDir, ...file.split("/"));
    const info = await lstat(full).catch(() => undefined);
    if (info === undefined) continue;
    if (now === undefined || isCurrent(file)) {
      kept[file] = rec;
      continue;
    }
    const linked = await linkedFolder(outDir, file);
    if (linked !== undefined) {
      kept[file] = rec;
      stale.push({ file, owner: rec.owner, now, removed: false, reason: `a folder in its path (${linked}) is a symbolic link now; left as it is` });
      continue;
    }
    if (!info.isFile()) {
      kept[file] = rec;
      stale.push({ file, owner: rec.owner, now, removed: false, reason: "not a regular file now; left as it is" });
      continue;
    }
    if (sha256(await readFile(full)) !== rec.sha256) {
      kept[file] = rec;
      stale.push({ file, owner: rec.owner, now, removed: false, reason: "changed since the grader wrote it; left as it is" });
      continue;
    }
    await unlink(full);
    if (file.includes("/")) removedDirs.add(path.dirname(full));
    stale.push({ file, owner: rec.owner, now, removed: true, reason: "unchanged since the grader wrote it" });
  }
  // A folder whose every file was removed (a report folder) goes too; one still holding anything stays.
  for (const dir of removedDirs) await rmdir(dir).catch(() => undefined);
  const recordedLower = new Set(Object.keys(record).map((f) => f.toLowerCase()));
  for (const [owner, paths] of [...candidates].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const now = current.get(owner);
    if (now === undefined) continue;
    for (const file of [...new Set(paths)]) {
      if (isCurrent(file) || [...recordedLower].some((r) => within(r, file.toLowerCase()))) continue;
      if ((await lstat(path.join(outDir, ...file.split("/"))).catch(() => undefined)) === undefined) continue;
      stale.push({ file, owner, now, removed: false, reason: "named as the grader named this output before, but not recorded as its own; left as it is" });
    }
  }
  return { stale, kept };
}
