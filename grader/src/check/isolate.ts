/**
 * Runs each check on a worker thread that can be stopped. A student's
 * synchronous infinite loop never yields to a timer, so a limit kept on the
 * thread that runs it could never fire; here the command's own thread keeps
 * the time and terminates the check thread when a check runs longer than
 * the limit without finishing or reporting a seed done. The criterion then
 * fails with that message, a fresh thread is started for the next check,
 * and the command's thread stays free to draw the progress line.
 *
 * One thread serves every check while none overruns: it imports the checks
 * and the student's pieces once, as the command did before checks had their
 * own thread, so a run costs one thread start (about a second, overlapping
 * the reading of the lessons).
 */
import { isAbsolute, relative, sep } from "node:path";
import { Worker } from "node:worker_threads";
import type { CheckContext, CriterionCheck, CriterionResult, OpenOptions, Workbook, WorkbookFile } from "../../../week-12/checks/index.js";
import type { ChecksModule } from "./load.js";
import { runningStack } from "./running.js";

/** The default limit: longer than the node program's own 20 s, so a node program that hangs gets that check's message. */
export const DEFAULT_CHECK_LIMIT_MS = 30_000;

export interface WorkerData {
  root: string;
  /** The thread's counters of what a check's code printed (a Float64Array over it: PRINTED_*). */
  printed: SharedArrayBuffer;
}

/**
 * The counters' slots: bytes and lines (newlines) printed, and 1 when the
 * last line has no newline yet. Shared memory, so the count is whole also
 * for a check stopped in an infinite loop that prints, which sends nothing.
 */
export const PRINTED_BYTES = 0;
export const PRINTED_LINES = 1;
export const PRINTED_OPEN = 2;

export type ToWorker = {
  type: "run";
  /** The check's position in CHECKS (the same registry in both threads), and its criterion to make sure. */
  index: number;
  criterion: string;
  workbook: OpenOptions;
  seeds: number | undefined;
  outDir: string;
};

export type FromWorker =
  | { type: "ready" }
  | { type: "progress"; done: number; total: number }
  | { type: "output"; text: string }
  | { type: "result"; result: CriterionResult };

/** How much of what a check's code prints the check thread sends (characters); all of it is counted. */
export const OUTPUT_KEPT = 64 * 1024;

/** What the code a check ran printed (console.log, console.error): its first OUTPUT_KEPT characters, and its whole size (until it was stopped, for a check stopped by the limit). */
export interface CheckOutput {
  text: string;
  bytes: number;
  /** Lines printed (a last line without its newline counts). */
  lines: number;
}

/** Where in the student's code a check stopped by the limit was running: the function and its file (relative to the repository when inside it), line and column. */
export interface Running {
  function: string;
  file: string;
  line: number;
  column: number;
}

/** How long the command waits for the stack of a check thread it stops before it stops it without. */
export const RUNNING_BOUND_MS = 3_000;

/** A check's result, with what its code printed, if anything, and, for a check stopped by the limit, where it was running. */
export type IsolatedResult = CriterionResult & { output?: CheckOutput; running?: Running };

export interface IsolatedRunnerOptions {
  /** The repository whose week-12/checks the thread imports. */
  root: string;
  /** A check (for a fault run: each seed) that runs longer than this is stopped. */
  limitMs: number;
  /** The checks as the command's thread imports them: the registry, and describeError for a thread that dies. */
  checks: Promise<Pick<ChecksModule, "CHECKS" | "describeError" | "WORKBOOK_FILES">>;
  /** What the checks and the student's pieces print on stdout (a console.log) goes to stderr instead: stdout carries a JSON document. */
  stdoutToStderr?: boolean;
}

interface Thread {
  worker: Worker;
  /** What the running check's code printed, counted by the thread (PRINTED_*). */
  printed: Float64Array;
  /** Resolves when its checks are imported; rejects if the thread dies first. */
  ready: Promise<void>;
  /** Where the thread's messages and its end go while a check runs. */
  listener: ((m: FromWorker) => void) | undefined;
  onEnd: ((e: Error) => void) | undefined;
}

export class IsolatedRunner {
  private thread: Thread | undefined;

  constructor(private readonly options: IsolatedRunnerOptions) {}

  /** Starts the check thread now (its imports overlap whatever the caller does next). */
  start(): void {
    this.thread ??= this.spawn();
  }

  private spawn(): Thread {
    const printed = new SharedArrayBuffer(3 * Float64Array.BYTES_PER_ELEMENT);
    const worker = new Worker(new URL("./worker-entry.js", import.meta.url), {
      workerData: { root: this.options.root, printed } satisfies WorkerData,
      stdout: this.options.stdoutToStderr === true,
    });
    if (this.options.stdoutToStderr === true) worker.stdout.pipe(process.stderr, { end: false });
    let markReady!: () => void;
    let fail!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      fail = reject;
    });
    ready.catch(() => {});
    const thread: Thread = { worker, printed: new Float64Array(printed), ready, listener: undefined, onEnd: undefined };
    const ended = (e: Error) => {
      if (this.thread === thread) this.thread = undefined;
      fail(e);
      thread.onEnd?.(e);
    };
    worker.on("message", (m: FromWorker) => (m.type === "ready" ? markReady() : thread.listener?.(m)));
    worker.on("error", ended);
    worker.on("exit", (code) => ended(new ThreadExit(code)));
    return thread;
  }

  /** Runs `check` on the check thread; a check that overruns the limit is a failed result, and its thread is replaced. */
  async run(check: CriterionCheck, ctx: CheckContext, workbook: OpenOptions): Promise<IsolatedResult> {
    const checks = await this.options.checks;
    const index = checks.CHECKS.indexOf(check);
    if (index === -1) throw new Error(`${check.criterion} (${check.title}) is not in the registry of checks`);
    const thread = (this.thread ??= this.spawn());
    await thread.ready;
    const started = performance.now();
    const base = { criterion: check.criterion, title: check.title };
    return new Promise<IsolatedResult>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let text = "";
      /** The limit stopped the check: what it still sends until its thread ends is only its output. */
      let stopped = false;
      // Read when the check has ended: with its result, or once its thread has ended.
      const output = (): { output?: CheckOutput } => {
        const c = thread.printed;
        if (c[PRINTED_BYTES] === 0) return {};
        return { output: { text, bytes: c[PRINTED_BYTES]!, lines: c[PRINTED_LINES]! + c[PRINTED_OPEN]! } };
      };
      const done = (r: Omit<CriterionResult, "criterion" | "title" | "elapsedMs"> & { running?: Running }) => {
        clearTimeout(timer);
        thread.listener = thread.onEnd = undefined;
        resolve({ ...base, ...r, elapsedMs: performance.now() - started, ...output() });
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          stopped = true;
          thread.onEnd = undefined;
          if (this.thread === thread) this.thread = undefined;
          const message = overrunMessage(this.options.limitMs, check.faultRun === true);
          void (async () => {
            const frames = await runningStack(thread.worker, RUNNING_BOUND_MS);
            // Once the thread has ended, its counters hold all the check printed.
            await thread.worker.terminate().catch(() => {});
            const frame = frames?.find((f) => inWorkbook(f.file, ctx.workbook, checks.WORKBOOK_FILES));
            const running = frame && { function: frame.function, file: shownFile(frame.file, this.options.root), line: frame.line, column: frame.column };
            done({ status: "fail", message, ...(running !== undefined ? { running } : {}) });
          })();
        }, this.options.limitMs);
      };
      thread.listener = (m) => {
        if (stopped && m.type !== "output") return;
        if (m.type === "progress") {
          arm();
          ctx.progress(m.done, m.total);
        } else if (m.type === "output") {
          text += m.text;
        } else if (m.type === "result") {
          clearTimeout(timer);
          thread.listener = thread.onEnd = undefined;
          resolve({ ...m.result, ...output() });
        }
      };
      thread.onEnd = (e) => {
        const { status, message, ...rest } = e instanceof ThreadExit ? { status: "fail" as const, message: e.message } : checks.describeError(e, check, ctx);
        done({ status, message, ...rest });
      };
      arm();
      thread.worker.postMessage({ type: "run", index, criterion: check.criterion, workbook, seeds: ctx.seeds, outDir: ctx.outDir } satisfies ToWorker);
    });
  }

  /** Ends the check thread (the command is done). */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    if (thread !== undefined) {
      thread.onEnd = undefined;
      await thread.worker.terminate();
    }
  }
}

/** Whether `file` (absolute) is one of the workbook's pieces or beside them in its src/ or node/. */
function inWorkbook(file: string, workbook: Workbook, pieces: readonly WorkbookFile[]): boolean {
  const dirs = [`${workbook.dir}${sep}src${sep}`, `${workbook.dir}${sep}node${sep}`];
  return pieces.some((f) => workbook.path(f) === file) || dirs.some((d) => file.startsWith(d));
}

function shownFile(file: string, root: string): string {
  const rel = relative(root, file);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel;
}

export function overrunMessage(limitMs: number, faultRun: boolean): string {
  const s = `${Math.round(limitMs / 1000)} s`;
  return `did not finish within ${s}${faultRun ? " (one seed)" : ""} and was stopped: an infinite loop, or an operation that never finishes? (--timeout S allows a check longer)`;
}

/** The check thread ended while a check was running: process.exit in the code it ran. */
class ThreadExit extends Error {
  constructor(code: number) {
    super(`the check ended before it finished: process.exit(${code}) was called (by your code?); a piece must return, not exit`);
  }
}
