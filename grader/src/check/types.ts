/**
 * The type check `grader check` runs beside the checks: `tsc --noEmit` over
 * the workbook's src/ and node/ with the course's compiler options (the
 * repository's tsconfig.base.json), as `grader test` type-checks a
 * submission. The checks run the pieces through tsx, which strips types
 * without checking them, so without this a piece that passes every check
 * could still be one the grader lists with type errors.
 *
 * tsc runs in a child process while the checks run, incrementally: its
 * build info is kept per workbook under the temp directory, so a second
 * run (and every `--watch` re-run) reads only what changed.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { unreadableReason } from "../fs/reasons.js";

const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");

/** One type error in a workbook file. */
export interface TypeErrorLine {
  /** Absolute path of the file. */
  file: string;
  line: number;
  column: number;
  /** TS2322 and the like. */
  code: string;
  message: string;
}

export interface TypeCheckResult {
  /** Errors in the workbook's src/ and node/, in tsc's order (by file, then position). */
  errors: TypeErrorLine[];
  elapsedMs: number;
  /** Why tsc gave no verdict (it could not start, was stopped, or failed without naming an error); its errors are then unknown. */
  failure?: string;
}

export interface TypeCheckOptions {
  /** The repository root: its tsconfig.base.json and node_modules/@types. */
  root: string;
  /** Where the generated tsconfig and tsc's build info go (default: $TMPDIR/dslab-check-types-<uid>); it keeps the last 32 workbooks'. */
  cacheDir?: string;
  /** Stop tsc after this long (default 120 s). */
  timeoutMs?: number;
  /** Stops tsc (the command is ending); the result is then a failure that says so. */
  signal?: AbortSignal;
}

/** tsc's output is read up to this many bytes: a file with thousands of errors still gives the first ones. */
const MAX_OUTPUT_BYTES = 4 << 20;

/** `tsc --noEmit` over `dir`'s src/ and node/; never rejects (a tsc that cannot run is `failure`). */
export async function typecheckWorkbook(dir: string, options: TypeCheckOptions): Promise<TypeCheckResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let project: string;
  try {
    project = writeProject(dir, options);
  } catch (e) {
    return { errors: [], elapsedMs: elapsed(), failure: e instanceof CourseOptionsError ? e.message : `cannot write its tsconfig: ${unreadableReason(e, "write")}` };
  }
  const run = await runTsc(project, dir, options.timeoutMs ?? 120_000, options.signal);
  if (run.failure !== undefined) return { errors: [], elapsedMs: elapsed(), failure: run.failure };
  const parsed = parseTscOutput(run.stdout, dir);
  // Exit 0: no error. 1 or 2: errors reported (2: and nothing emitted). Anything else is tsc failing.
  if (run.code === 0) return { errors: [], elapsedMs: elapsed() };
  if ((run.code === 1 || run.code === 2) && parsed.errors.length > 0) return { errors: parsed.errors, elapsedMs: elapsed() };
  // No error in the workbook, yet not a clean exit: an error elsewhere (a bad option, the course's own files) or a crash.
  const said = (parsed.others[0] ?? run.stderr.trim().split("\n")[0] ?? "").slice(0, 300);
  return { errors: [], elapsedMs: elapsed(), failure: `tsc exited with ${run.code}${said !== "" ? `: ${said}` : ""}` };
}

/** The course's tsconfig.base.json could not be read or parsed; the message names it and why. */
export class CourseOptionsError extends Error {
  override readonly name = "CourseOptionsError";
}

/**
 * The tsconfig that type-checks a workbook's src/ and node/ with the
 * course's compiler options (`root`'s tsconfig.base.json) and no output,
 * plus `extra` options; `grader test` writes it into a submission's sandbox.
 */
export function workbookTsconfig(root: string, dir: string, extra: Record<string, unknown> = {}): { compilerOptions: Record<string, unknown>; include: string[] } {
  const file = path.join(root, "tsconfig.base.json");
  let base: { compilerOptions: Record<string, unknown> };
  try {
    base = JSON.parse(readFileSync(file, "utf8")) as typeof base;
  } catch (e) {
    throw new CourseOptionsError(`cannot read the course's compiler options ${file}: ${e instanceof SyntaxError ? e.message : unreadableReason(e)}`, { cause: e });
  }
  return {
    compilerOptions: { ...base.compilerOptions, noEmit: true, ...extra },
    include: [path.join(dir, "src", "**", "*.ts"), path.join(dir, "node", "**", "*.ts")],
  };
}

/** Workbooks whose tsconfig and build info the cache keeps; the least recently checked go first. */
const CACHED_WORKBOOKS = 32;

/** The default cache: one per user, as the temp directory may be shared. */
function defaultCacheDir(): string {
  const uid = process.getuid?.();
  return path.join(tmpdir(), uid === undefined ? "dslab-check-types" : `dslab-check-types-${uid}`);
}

/** The tsconfig for one workbook, beside its build info; returns its path. */
function writeProject(dir: string, options: TypeCheckOptions): string {
  const cache = options.cacheDir ?? defaultCacheDir();
  mkdirSync(cache, { recursive: true });
  const name = createHash("sha256").update(path.resolve(dir)).digest("hex").slice(0, 16);
  prune(cache, name);
  const config = workbookTsconfig(options.root, dir, {
    // The config lives outside the workbook, so the type packages are named by where they are.
    typeRoots: [path.join(options.root, "node_modules", "@types")],
    incremental: true,
    tsBuildInfoFile: path.join(cache, `${name}.tsbuildinfo`),
  });
  const file = path.join(cache, `${name}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Deletes the files of all but the most recently checked workbooks (`keep`'s are kept whatever their age). */
function prune(cache: string, keep: string): void {
  const projects: Array<{ name: string; at: number }> = [];
  for (const f of readdirSync(cache)) {
    if (!/^[0-9a-f]{16}\.json$/.test(f) || f.startsWith(keep)) continue;
    // Another check may be pruning the same directory: a file gone meanwhile is skipped.
    const at = statSync(path.join(cache, f), { throwIfNoEntry: false })?.mtimeMs;
    if (at !== undefined) projects.push({ name: f.slice(0, 16), at });
  }
  projects.sort((a, b) => b.at - a.at);
  for (const p of projects.slice(CACHED_WORKBOOKS - 1)) {
    for (const ext of [".json", ".tsbuildinfo"]) rmSync(path.join(cache, p.name + ext), { force: true });
  }
}

interface TscRun {
  code: number | null;
  stdout: string;
  stderr: string;
  failure?: string;
}

function runTsc(project: string, cwd: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<TscRun> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ code: null, stdout: "", stderr: "", failure: "stopped before it started" });
    const child = spawn(process.execPath, [TSC, "-p", project, "--pretty", "false"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let aborted = false;
    const abort = (): void => {
      aborted = true;
      child.kill("SIGKILL");
    };
    signal?.addEventListener("abort", abort, { once: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    const keep = (into: Buffer[]) => (b: Buffer) => {
      if (bytes >= MAX_OUTPUT_BYTES) return;
      bytes += b.length;
      into.push(b);
    };
    child.stdout.on("data", keep(out));
    child.stderr.on("data", keep(err));
    let stopped = false;
    const timer = setTimeout(() => {
      stopped = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    timer.unref();
    child.on("error", (e) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      resolve({ code: null, stdout: "", stderr: "", failure: `tsc could not start: ${e.message}` });
    });
    child.on("close", (code, killedBy) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      const run = { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
      const limit = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
      if (stopped) resolve({ ...run, failure: `tsc did not finish within ${limit} and was stopped` });
      else if (aborted) resolve({ ...run, failure: "stopped: the command ended first" });
      else if (killedBy !== null) resolve({ ...run, failure: `tsc was stopped by ${killedBy}` });
      else resolve(run);
    });
  });
}

/**
 * tsc's `--pretty false` lines: `<file>(<line>,<col>): error TS<n>: <text>`,
 * the file relative to `dir`. Errors in the workbook's src/ and node/ are
 * the student's; any other error line (in a file outside them, or one with
 * no file: a bad option) is `others`. Lines that continue a message are
 * indented and skipped.
 */
export function parseTscOutput(stdout: string, dir: string): { errors: TypeErrorLine[]; others: string[] } {
  const errors: TypeErrorLine[] = [];
  const others: string[] = [];
  const inside = [path.join(dir, "src") + path.sep, path.join(dir, "node") + path.sep];
  for (const raw of stdout.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line === "" || /^\s/.test(line)) continue;
    const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line);
    if (m === null) {
      if (/\berror TS\d+:/.test(line)) others.push(line);
      continue;
    }
    const file = path.resolve(dir, m[1]!);
    if (!inside.some((d) => file.startsWith(d))) {
      others.push(line);
      continue;
    }
    errors.push({ file, line: Number(m[2]), column: Number(m[3]), code: m[4]!, message: m[5]! });
  }
  return { errors, others };
}
