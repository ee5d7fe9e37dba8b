/**
 * Runs one check and turns what happened into a result a student can read:
 * pass; fail with expected and received (and, for a fault run, the seed and
 * the replay command); "not implemented yet" for an untouched stub; or the
 * student's own error with the one stack frame inside their file. An error
 * with no frame in the workbook is a bug in the check itself, kept whole.
 */
import { isAbsolute, relative, resolve, sep } from "node:path";
import { stackFrames } from "@dslab/protocol/stack-frames";
import { isNotImplemented } from "../src/todo.js";
import { isCheckFailure, WORKBOOK_FILES, type CheckContext, type CriterionCheck, type Replay } from "./types.js";
import { REPOSITORY_ROOT } from "./workbook.js";

export type CriterionStatus = "pass" | "fail" | "todo" | "error";

export interface CriterionResult {
  criterion: string;
  title: string;
  status: CriterionStatus;
  /** One line: what went wrong (empty on pass). */
  message: string;
  expected?: string;
  received?: string;
  replay?: Replay;
  /** For a student's error: `path:line:column` of the frame in their file. */
  where?: string;
  /** For "error" (a bug in the check): the whole stack. */
  stack?: string;
  elapsedMs: number;
}

export interface RunCheckOptions {
  /** A check still running after this long fails (an operation that never finishes). Default 120 s. */
  timeoutMs?: number;
}

export async function runCheck(check: CriterionCheck, ctx: CheckContext, options: RunCheckOptions = {}): Promise<CriterionResult> {
  const started = performance.now();
  const base = { criterion: check.criterion, title: check.title };
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.run(ctx),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout(timeoutMs)), timeoutMs);
        timer.unref?.();
      }),
    ]);
    return { ...base, status: "pass", message: "", elapsedMs: performance.now() - started };
  } catch (e) {
    return { ...base, ...describeError(e, check, ctx), elapsedMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

class CheckTimeout extends Error {
  override readonly name = "CheckTimeout";
  constructor(readonly ms: number) {
    super(`did not finish within ${Math.round(ms / 1000)} s (an operation that never completes, or a promise never resolved)`);
  }
}

type Described = Omit<CriterionResult, "criterion" | "title" | "elapsedMs">;

export function describeError(e: unknown, check: CriterionCheck, ctx: CheckContext): Described {
  if (isCheckFailure(e)) {
    return {
      status: "fail",
      message: e.message,
      ...(e.expected !== undefined ? { expected: e.expected } : {}),
      ...(e.received !== undefined ? { received: e.received } : {}),
      ...(e.replay !== undefined ? { replay: e.replay } : {}),
    };
  }
  if (isNotImplemented(e)) {
    const [lesson, n] = splitCriterion(check.criterion);
    return { status: "todo", message: `not implemented yet: ${e.fn} (${lesson}, criterion ${n})` };
  }
  if (e instanceof CheckTimeout) return { status: "fail", message: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  const notLoaded = loadFailure(err, ctx);
  if (notLoaded !== undefined) return { status: "fail", message: notLoaded };
  const where = studentFrame(err, ctx);
  if (where !== undefined) {
    return { status: "fail", message: `your code threw ${err.name}: ${err.message}`, where };
  }
  return { status: "error", message: `the check itself failed: ${err.name}: ${err.message}`, stack: err.stack ?? String(err) };
}

export function splitCriterion(criterion: string): [string, number] {
  const i = criterion.lastIndexOf("#");
  return [criterion.slice(0, i), Number(criterion.slice(i + 1))];
}

/** Whether `file` (absolute) is one of the workbook's pieces or beside them in src/ or node/. */
function inWorkbook(file: string, ctx: CheckContext): boolean {
  const dirs = [`${ctx.workbook.dir}${sep}src${sep}`, `${ctx.workbook.dir}${sep}node${sep}`];
  return WORKBOOK_FILES.some((f) => ctx.workbook.path(f) === file) || dirs.some((d) => file.startsWith(d));
}

/**
 * Why one of the workbook's files could not be imported, when that is the
 * reason: it does not parse (esbuild's TransformError, through tsx), it
 * imports a package or a module that is not there, or it imports a name its
 * module does not export. Undefined for any other error.
 */
export function loadFailure(err: Error, ctx: CheckContext): string | undefined {
  // Relative to the repository when inside it (week-12/src/x.ts), else whole (a copy elsewhere, which its runner may rename).
  const shown = (file: string) => {
    const rel = relative(REPOSITORY_ROOT, file);
    return rel.startsWith("..") || isAbsolute(rel) ? file : rel;
  };
  if (err.name === "TransformError") {
    // tsx passes on esbuild's message only: "Transform failed with N error(s):" then "<file>:<line>:<column>: ERROR: <text>" lines.
    const errors = [...err.message.matchAll(/^(.+?):(\d+):(\d+): ERROR: (.*)$/gm)].filter((m) => inWorkbook(resolve(m[1]!), ctx));
    const first = errors[0];
    if (first === undefined) return undefined;
    // esbuild counts columns from 0, editors and stack traces from 1.
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})` : "";
    return `your file does not parse: ${shown(resolve(first[1]!))}:${first[2]}:${Number(first[3]) + 1}: ${first[4]}${more}`;
  }
  if ((err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") {
    const m = /^Cannot find (package|module) '([^']+)' imported from (.+)$/.exec(err.message);
    if (m === null || !inWorkbook(resolve(m[3]!), ctx)) return undefined;
    const what = m[1] === "package" ? `package ${m[2]} (not installed: the workbook can import the course's packages and Node's own modules)` : `module ${m[2]!.startsWith(sep) ? shown(m[2]!) : m[2]}`;
    return `cannot find ${what} imported by ${shown(resolve(m[3]!))}`;
  }
  if (err.name === "SyntaxError") {
    // Node's link errors (a missing export) put "<file>:<line>" before the message in the stack.
    const m = /^((?:file:\/\/)?\S+?):(\d+)\n/.exec(err.stack ?? "");
    if (m === null) return undefined;
    const file = decodeURIComponent(m[1]!.replace(/^file:\/\//, ""));
    if (!inWorkbook(file, ctx)) return undefined;
    return `your file does not load: ${shown(file)}:${m[2]}: ${err.message}`;
  }
  return undefined;
}

/** The first stack frame inside one of the workbook's files, relative to the repository root. */
export function studentFrame(err: Error, ctx: CheckContext): string | undefined {
  const frame = stackFrames(err.stack).find(({ file }) => inWorkbook(file, ctx));
  return frame && `${relative(REPOSITORY_ROOT, frame.file)}:${frame.line}:${frame.column}`;
}
