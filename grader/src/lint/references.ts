// The "How to check" references of the pass criteria, held to the repository:
// a named file exists (a test file has a test for the criterion), a check
// command names one lesson of the course, an npm script exists. The rules are
// pure over a `Repository` snapshot; `readRepository` is the IO that takes it.
import { stat } from "node:fs/promises";
import path from "node:path";
import { readRegularFile, ReadRegularError } from "@dslab/protocol/cli";
import { lessonsMatching } from "../check/plan.js";
import { openRegular } from "../fs/read-regular.js";
import { unreadableReason } from "../fs/reasons.js";
import type { Diagnostic, Lesson, PassCriterion } from "../lesson/model.js";

/** What one code span of a "How to check" cell refers to. */
export type CheckRef =
  | { kind: "file"; path: string; test: boolean }
  | { kind: "check"; script: string; lessons: string[] }
  | { kind: "script"; script: string }
  | { kind: "other" };

/** A path with a directory and an extension, optionally `:line[:column]` (an absolute one is refused later). */
const PATH = /^(?:\.\/)?(\/?(?:[\w@.+-]+\/)+[\w@.+-]*\.[A-Za-z0-9]+)(?::\d+(?::\d+)?)?$/;
/** Test files by the names vitest, jest, pytest and go test look for. */
const TEST_FILE = /(?:\.(?:test|spec)\.[cm]?[jt]sx?|(?:^|\/)test_[\w-]+\.py|_test\.(?:py|go))$/;
/** The first word of a command: a program or script name such as `kv-sim`. */
const PROGRAM = /^[a-z][a-z0-9]*(?:[-:][a-z0-9]+)*$/;
/** Programs a shell runs as they are: a command starting with one of them names no npm script. */
const SHELL_PROGRAMS = new Set(["npx", "node", "tsx", "python", "python3", "git", "curl", "kill", "bash", "sh", "cd", "cat", "echo", "printf"]);
/** The npm script that runs the student checks. */
export const CHECK_SCRIPT = "check";

export function classifyRef(span: string): CheckRef {
  const text = span.trim();
  const file = PATH.exec(text);
  if (file && !/\s/.test(text)) return { kind: "file", path: file[1]!, test: TEST_FILE.test(file[1]!) };
  const words = text.split(/\s+/);
  const [first, second, third] = words;
  if (first === "npm") {
    if ((second === "run" || second === "run-script") && third !== undefined) return scriptRef(third, words.slice(3));
    // `npm test`, `npm start`: npm's shorthands for those scripts.
    if (second === "test" || second === "start") return { kind: "script", script: second };
    return { kind: "other" };
  }
  // A program name with a hyphen (`kv-sim`, `history-check`) or given options
  // reads as a command; `became leader for term N` is a log line.
  const commandLike = first !== undefined && words.length > 1 && PROGRAM.test(first) && (first.includes("-") || words.slice(1).some((w) => w.startsWith("-")));
  if (commandLike && !SHELL_PROGRAMS.has(first)) return scriptRef(first, words.slice(1));
  return { kind: "other" };
}

function scriptRef(script: string, args: string[]): CheckRef {
  if (script !== CHECK_SCRIPT) return { kind: "script", script };
  return { kind: "check", script, lessons: checkLessons(args) };
}

/**
 * The lessons a check command names: every `--lesson X` / `--lesson=X`
 * (comma lists split) after `--`, else the first positional argument.
 */
export function checkLessons(args: string[]): string[] {
  const rest = args[0] === "--" ? args.slice(1) : args;
  const named: string[] = [];
  let positional: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--lesson" || a === "-l") {
      const v = rest[++i];
      if (v !== undefined) named.push(v);
    } else if (a.startsWith("--lesson=")) named.push(a.slice("--lesson=".length));
    else if (a.startsWith("-")) {
      // An option of its own (`--seeds 5`): its value is not a lesson.
      if (!a.includes("=") && rest[i + 1] !== undefined && !rest[i + 1]!.startsWith("-") && OPTIONS_WITH_VALUE.has(a)) i++;
    } else positional ??= a;
  }
  const all = named.length > 0 ? named : positional !== undefined ? [positional] : [];
  return all.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

/** Options of `grader check` that take a value, so that value is not read as a lesson. */
const OPTIONS_WITH_VALUE = new Set(["--seeds", "--workbook", "--out", "--lessons"]);

/**
 * How a lesson name resolves, as `grader check --lesson` resolves it: an
 * exact id (any case), else a unique case-insensitive part of an id or title.
 */
export function resolveLesson(name: string, lessons: readonly Lesson[]): { lesson: Lesson } | { candidates: Lesson[] } {
  const candidates = lessonsMatching(name, lessons);
  return candidates.length === 1 ? { lesson: candidates[0]! } : { candidates };
}

/** What lint knows of the repository: the referenced files and the root package.json's scripts. */
export interface Repository {
  /** The root, for messages (relative to the cwd). */
  root: string;
  /** Each referenced path (relative to the root): its text if a test file, else only that it is a file. */
  files: ReadonlyMap<string, FileLookup>;
  /** The root package.json's script names, or why they could not be read. */
  scripts: ReadonlySet<string> | { problem: string };
}

export type FileLookup = { kind: "file"; text?: string } | { kind: "missing" } | { kind: "problem"; reason: string };

/** Test files are read up to this many bytes; a test title beyond it is not found. */
export const TEST_FILE_BYTES_MAX = 4 * 1024 * 1024;

/** Reads what the references of `lessons` need from the repository at `root`. */
export async function readRepository(root: string, lessons: readonly Lesson[]): Promise<Repository> {
  const refs = new Map<string, boolean>();
  for (const l of lessons) {
    for (const c of l.criteria) {
      for (const span of c.checkRefs) {
        const r = classifyRef(span);
        if (r.kind === "file" && !outsideRoot(r.path)) refs.set(r.path, (refs.get(r.path) ?? false) || r.test);
      }
    }
  }
  const files = new Map<string, FileLookup>();
  await Promise.all([...refs].map(async ([rel, test]) => files.set(rel, await lookUp(path.join(root, rel), test))));
  // Messages name the root as the lessons' files are named: relative to the cwd.
  const shown = path.relative(process.cwd(), root) || ".";
  return { root: shown, files, scripts: await readScripts(path.join(root, "package.json")) };
}

function outsideRoot(rel: string): boolean {
  return path.isAbsolute(rel) || path.normalize(rel).split(path.sep)[0] === "..";
}

async function lookUp(file: string, readText: boolean): Promise<FileLookup> {
  if (!readText) {
    try {
      const s = await stat(file);
      return s.isFile() ? { kind: "file" } : { kind: "problem", reason: s.isDirectory() ? "it is a directory, not a file" : "it is not a regular file" };
    } catch (err) {
      return missingOr(err);
    }
  }
  try {
    const { handle, size } = await openRegular(file);
    try {
      const buffer = Buffer.alloc(Math.min(size, TEST_FILE_BYTES_MAX));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return { kind: "file", text: buffer.subarray(0, bytesRead).toString("utf8") };
    } finally {
      await handle.close();
    }
  } catch (err) {
    return missingOr(err);
  }
}

function missingOr(err: unknown): FileLookup {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
  return { kind: "problem", reason: unreadableReason(err) };
}

/** The root package.json is read up to this many bytes; a larger one is a problem, not read. */
export const PACKAGE_JSON_BYTES_MAX = 4 * 1024 * 1024;

async function readScripts(file: string): Promise<Repository["scripts"]> {
  let text: string;
  try {
    text = (await readRegularFile(file, { maxBytes: PACKAGE_JSON_BYTES_MAX })).bytes.toString("utf8");
  } catch (err) {
    if (!(err instanceof ReadRegularError)) throw err;
    if (err.code === "ENOENT") return { problem: "there is no package.json" };
    const why =
      err.code === "TOO_LARGE"
        ? `it is ${(err.details.size ?? 0).toLocaleString("en-US")} bytes, more than the ${PACKAGE_JSON_BYTES_MAX.toLocaleString("en-US")} a package.json may be`
        : unreadableReason(err);
    return { problem: `the root package.json cannot be read: ${why}` };
  }
  try {
    const scripts = (JSON.parse(text) as { scripts?: unknown }).scripts;
    if (scripts === undefined) return new Set();
    if (typeof scripts !== "object" || scripts === null || Array.isArray(scripts)) return { problem: 'the root package.json\'s "scripts" is not an object' };
    return new Set(Object.keys(scripts));
  } catch (err) {
    return { problem: `the root package.json is not valid JSON: ${(err as Error).message}` };
  }
}

/** Whether a test file's text has a test for `criterionId`: the literal id, not followed by a digit (`#1` is not `#12`). */
export function mentionsCriterion(text: string, criterionId: string): boolean {
  for (let at = text.indexOf(criterionId); at !== -1; at = text.indexOf(criterionId, at + 1)) {
    if (!/[0-9]/.test(text.charAt(at + criterionId.length))) return true;
  }
  return false;
}

/**
 * Every reference of every criterion of `lessons`, held to `repo`; `course`
 * is every lesson a check command may name.
 */
export function referenceRules(lessons: readonly Lesson[], repo: Repository, course: readonly Lesson[] = lessons): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const l of lessons) {
    for (const c of l.criteria) {
      for (const span of c.checkRefs) {
        const problem = refProblem(c, classifyRef(span), repo, course);
        if (problem) out.push({ severity: "error", code: problem.code, file: l.file, line: c.line, field: "body.criteria", message: `criterion ${c.id}: \`${span}\` ${problem.message}` });
      }
    }
  }
  return out;
}

function refProblem(c: PassCriterion, ref: CheckRef, repo: Repository, course: readonly Lesson[]): { code: string; message: string } | undefined {
  switch (ref.kind) {
    case "other":
      return undefined;
    case "file":
      return fileProblem(c, ref, repo);
    case "script":
    case "check": {
      const missing = scriptProblem(ref.script, repo);
      if (missing || ref.kind === "script") return missing;
      for (const name of ref.lessons) {
        const found = resolveLesson(name, course);
        if ("lesson" in found) continue;
        if (found.candidates.length === 0) {
          return { code: "ref-unknown-lesson", message: `names no lesson: ${JSON.stringify(name)} is neither a lesson id nor part of one's id or title in this course` };
        }
        const ids = found.candidates.map((l) => l.id).sort();
        return { code: "ref-ambiguous-lesson", message: `names more than one lesson: ${JSON.stringify(name)} is part of ${ids.join(", ")}; name one by its id or a part only it has` };
      }
      return undefined;
    }
  }
}

function fileProblem(c: PassCriterion, ref: { path: string; test: boolean }, repo: Repository): { code: string; message: string } | undefined {
  if (outsideRoot(ref.path)) return { code: "ref-outside-root", message: "points outside the repository; name a path relative to its root" };
  const found = repo.files.get(ref.path) ?? { kind: "missing" };
  if (found.kind === "missing") return { code: "ref-missing-file", message: `does not exist (repository root: ${repo.root})` };
  if (found.kind === "problem") return { code: "ref-missing-file", message: `cannot be used: ${found.reason}` };
  if (ref.test && found.text !== undefined && !mentionsCriterion(found.text, c.id)) {
    return { code: "ref-no-test", message: `has no test for this criterion: no test title there starts with "${c.id}"` };
  }
  return undefined;
}

function scriptProblem(script: string, repo: Repository): { code: string; message: string } | undefined {
  if ("problem" in repo.scripts) return { code: "ref-unknown-script", message: `runs the npm script ${JSON.stringify(script)}, but ${repo.scripts.problem} (repository root: ${repo.root})` };
  if (repo.scripts.has(script)) return undefined;
  const known = [...repo.scripts].sort();
  return {
    code: "ref-unknown-script",
    message: `runs the npm script ${JSON.stringify(script)}, which the root package.json does not have (scripts: ${known.length > 0 ? known.join(", ") : "none"})`,
  };
}

/** Whether a reference is one a student can run: a test file or the check command. */
export function isRunnable(ref: CheckRef): boolean {
  return (ref.kind === "file" && ref.test) || ref.kind === "check";
}
