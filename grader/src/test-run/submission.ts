/**
 * A submission as handed in: a student's `week-12/` directory, or a whole
 * repository that contains one. `stageSubmission` copies what the grader
 * takes from it (src/ and node/, regular files only) into a fresh directory,
 * fills in the stub for a workbook file it lacks, and lists what it ignored:
 * the student's checks, plug modules, tests and package files never run,
 * the reference ones do.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { copyFile, cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { unreadableReason } from "../fs/reasons.js";

/** The files a student writes (the workbook's pieces). */
export const STUDENT_FILES = ["src/vote-rules.ts", "src/client-tracker.ts", "src/dedup-kv-store.ts", "src/retry-client.ts", "src/idempotency-handler.ts", "node/main.ts", "node/main.py"] as const;
/** Student directories whose other files are taken too (helper modules). */
const STUDENT_DIRS = ["src", "node"];
/** The reference workbook's own files that a submission may carry but that are never taken from it. */
const TRUSTED = ["checks", "plug", "test", "package.json", "tsconfig.json", "vitest.config.ts", "src/todo.ts"];
/** A submission larger than this is refused (its src/ and node/ files together). */
export const MAX_SUBMISSION_BYTES = 8 * 2 ** 20;

/** A submission that cannot be graded as handed in: `problem` says why, `dir` is the path given (when the problem is the path). */
export class SubmissionPathError extends Error {
  override readonly name = "SubmissionPathError";
  constructor(
    readonly problem: string,
    readonly dir?: string,
  ) {
    super(dir === undefined ? problem : `--submission ${dir}: ${problem}`);
  }
}

export interface StagedSubmission {
  /** The staged workbook directory (src/, node/). */
  dir: string;
  /** What the report should say about the submission as handed in. */
  notes: string[];
  /** Files of the submission that were not used (relative to its week-12/). */
  ignored: string[];
  /** Workbook files missing from the submission, replaced by the stubs. */
  missing: string[];
  /** The node program the node checks run: the Python one when only it was edited. */
  node: "typescript" | "python";
  cleanup(): Promise<void>;
}

/** The submission's week-12 directory: DIR itself when it has src/, else DIR/week-12. */
export function locateWorkbook(dir: string): string {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SubmissionPathError(code === "ENOENT" ? "no such directory" : unreadableReason(e), dir);
  }
  if (!st.isDirectory()) throw new SubmissionPathError("not a directory", dir);
  const isWorkbook = (d: string) => existsSync(join(d, "src")) && lstatSync(join(d, "src")).isDirectory();
  if (isWorkbook(dir)) return dir;
  const inner = join(dir, "week-12");
  if (existsSync(inner) && lstatSync(inner).isDirectory()) return inner;
  throw new SubmissionPathError("neither a week-12 directory (with src/) nor a repository containing week-12/", dir);
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/**
 * Whether the submission's copy of a file it may not replace is the
 * reference's: compared by size first, so one of any size (a 3 GB file
 * where a check belongs) is read only when it is as small as the
 * reference's own.
 */
function sameAsReference(file: string, size: number, ref: string): boolean {
  let refStat;
  try {
    refStat = statSync(ref);
  } catch {
    return false;
  }
  return refStat.isFile() && refStat.size === size && sha(ref) === sha(file);
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) {
      if (name === "node_modules" || name === ".git") continue;
      out.push(...listFiles(p, base));
    } else out.push(relative(base, p));
  }
  return out.sort();
}

export async function stageSubmission(workbookDir: string, referenceDir: string): Promise<StagedSubmission> {
  const stage = await mkdtemp(join(tmpdir(), "dslab-stage-"));
  const cleanup = () => rm(stage, { recursive: true, force: true });
  const notes: string[] = [];
  const ignored: string[] = [];
  const missing: string[] = [];
  try {
    const files = listFiles(workbookDir);
    let bytes = 0;
    for (const file of files) {
      const from = join(workbookDir, file);
      const st = lstatSync(from);
      const top = file.split("/")[0]!;
      const trusted = TRUSTED.some((t) => file === t || file.startsWith(`${t}/`));
      if (trusted) {
        const ref = join(referenceDir, file);
        if (!st.isFile() || !sameAsReference(from, st.size, ref)) ignored.push(file);
        continue;
      }
      if (!STUDENT_DIRS.includes(top)) continue;
      if (!st.isFile()) {
        notes.push(`week-12/${file} is not a regular file (a symbolic link or a device): it was not used`);
        continue;
      }
      bytes += st.size;
      if (bytes > MAX_SUBMISSION_BYTES) throw new SubmissionPathError(`the submission's src/ and node/ hold more than ${MAX_SUBMISSION_BYTES / 2 ** 20} MiB`);
      await mkdir(join(stage, file, ".."), { recursive: true });
      await copyFile(from, join(stage, file));
    }
    for (const file of [...STUDENT_FILES, "src/todo.ts"]) {
      const to = join(stage, file);
      if (file !== "src/todo.ts" && existsSync(to)) continue;
      if (file !== "src/todo.ts") missing.push(file);
      await mkdir(join(to, ".."), { recursive: true });
      await copyFile(join(referenceDir, file), to);
    }
    // The reference's own modules the pieces and the node program import (checks/, plug/): always the reference's.
    for (const dir of ["checks", "plug"]) await cp(join(referenceDir, dir), join(stage, dir), { recursive: true });
    if (missing.length > 0) notes.push(`missing from the submission, graded as the untouched stub: ${missing.map((f) => `week-12/${f}`).join(", ")}`);
    if (ignored.length > 0) {
      notes.push(
        `ignored (the reference checks, plug modules, tests and package files are used instead): ${ignored.slice(0, 10).map((f) => `week-12/${f}`).join(", ")}${ignored.length > 10 ? ` and ${ignored.length - 10} more` : ""}`,
      );
    }
    const edited = (f: string) => sha(join(stage, f)) !== sha(join(referenceDir, f));
    const node = edited("node/main.py") && !edited("node/main.ts") ? "python" : "typescript";
    if (node === "python") notes.push("node/main.py was edited and node/main.ts was not: the node checks run the Python program");
    return { dir: stage, notes, ignored, missing, node, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
