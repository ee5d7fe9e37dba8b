/**
 * `history-check --jobs N` with N > 1: the files checked on N threads, the
 * main thread and N - 1 worker threads, each taking the next file from a
 * shared counter until none is left. Files are handed out largest first,
 * so that no thread is left with a big one at the end; the reports are
 * written in the order the files were given, each as soon as every file
 * before it is done, so the output is that of `--jobs 1`.
 *
 * A worker thread runs the command's own launcher (bin/history-check.js),
 * so it runs the same code as the main thread: the compiled bundle when it
 * is fresh, else the sources. The shell (history-check.ts) sees the
 * thread's role and serves checks (check-thread.ts) instead of running the
 * command. A file a worker cannot read or parse is bad input, as anywhere;
 * anything else a worker throws, or a worker that dies, is a bug (exit 70)
 * naming the file it was checking.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import { checkFile, STDIN } from "./check-files.js";
import type { FileCheck, FileReport } from "./check-files.js";
import { CHECK_THREAD_ROLE } from "./run.js";

/** The launcher every thread runs, as a user runs the command. */
const LAUNCHER = new URL("../../bin/history-check.js", import.meta.url);

/** What a worker thread is given (structured-cloned; the counters share memory). */
export interface CheckThreadData {
  role: typeof CHECK_THREAD_ROLE;
  check: Pick<FileCheck, "args">;
  /** Where each file's timeline goes (see check-files.ts). */
  targets: Array<string | undefined>;
  /** File indexes in the order they are handed out. */
  order: Int32Array;
  /** Shared: [0] is the next position of `order` to take. */
  next: Int32Array;
  /** Shared: [slot] is the file this thread is checking, -1 when none. */
  checking: Int32Array;
  slot: number;
  /** Where the thread sends its `ThreadMessage`s. */
  port: MessagePort;
}

/** One file's report, or the stack of the bug that stopped its check. */
export type ThreadMessage = { index: number; report: FileReport } | { index: number; bug: string };

/** A worker thread threw while checking a file, or died: a bug, reported with the file and the thread's stack. */
class CheckThreadError extends Error {
  constructor(file: string | undefined, detail: string) {
    super(file === undefined ? "a worker thread that checks files failed before it checked any" : `a worker thread failed while checking ${file}`);
    this.name = "CheckThreadError";
    this.stack = `${this.name}: ${this.message}\n${detail}`;
  }
}

interface Helper {
  worker: Worker;
  port: MessagePort;
  slot: number;
}

export interface ThreadsPlan {
  check: FileCheck;
  /** Where each file's timeline goes (see check-files.ts). */
  targets: Array<string | undefined>;
  /** Each file's size in bytes. */
  sizes: readonly number[];
  /** Threads, the main one included. */
  jobs: number;
  /** The module a worker thread runs (default: the launcher). */
  entry: URL | undefined;
  /** Writes a line on stderr. */
  warn: (line: string) => void;
}

/**
 * Checks `check.args.files` on `jobs` threads and calls `emit` with each
 * file's report, in the order of the files. A worker thread that fails
 * before it takes a file changes nothing in the output (the other threads
 * check every file), so it is only reported on stderr.
 */
export async function checkInThreads(plan: ThreadsPlan, emit: (report: FileReport) => void): Promise<void> {
  const { check, targets, sizes, jobs } = plan;
  const files = check.args.files;
  // Largest first (by `sizes`, in bytes), so no thread is left with a big file at the end.
  // Standard input was read on the main thread, which checks it first, before taking files.
  const stdinIndex = files.indexOf(STDIN);
  const order = Int32Array.from(
    files
      .map((_, i) => i)
      .filter((i) => i !== stdinIndex)
      .sort((a, b) => sizes[b]! - sizes[a]! || a - b),
  );
  const next = new Int32Array(new SharedArrayBuffer(4));
  const checking = new Int32Array(new SharedArrayBuffer(4 * jobs)).fill(-1);
  const reports: Array<FileReport | undefined> = new Array<FileReport | undefined>(files.length);
  let written = 0;
  /** The first bug a worker thread reported; thrown as soon as the main thread sees it. */
  let failure: CheckThreadError | undefined;
  /** Resolves the main thread's wait for the workers, when something comes from one. */
  let wake: (() => void) | undefined;
  const receive = (m: ThreadMessage): void => {
    if ("bug" in m) failure ??= new CheckThreadError(files[m.index], m.bug);
    else {
      reports[m.index] = m.report;
      for (; written < files.length && reports[written] !== undefined; written++) emit(reports[written]!);
    }
    wake?.();
  };
  const drain = (port: MessagePort): void => {
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) receive(m.message as ThreadMessage);
  };
  const helpers: Helper[] = [];
  /** A worker thread ended: with an error, or it exited (which it also does when no file is left). */
  const ended = (h: Helper, error: Error | undefined, code: number | undefined): void => {
    drain(h.port);
    const index = Atomics.load(checking, h.slot);
    const detail = error !== undefined ? (error.stack ?? String(error)) : `the thread exited (code ${code}) before it reported the file`;
    if (index !== -1 && reports[index] === undefined) failure ??= new CheckThreadError(files[index], detail);
    else if (index === -1 && error !== undefined) plan.warn(`history-check: a worker thread failed before it took a file; the other threads check them:\n${detail}`);
    wake?.();
  };
  try {
    for (let slot = 1; slot < jobs; slot++) {
      const h = startHelper(plan.entry ?? LAUNCHER, { check: { args: check.args }, targets, order, next, checking, slot });
      h.port.on("message", receive);
      h.worker.on("error", (e) => ended(h, e, undefined));
      h.worker.on("exit", (code) => ended(h, undefined, code));
      helpers.push(h);
    }
    if (stdinIndex !== -1) receive({ index: stdinIndex, report: checkFile(check, STDIN, targets[stdinIndex]) });
    // The main thread checks files too, taking them as the workers do.
    for (let pos = Atomics.add(next, 0, 1); pos < order.length; pos = Atomics.add(next, 0, 1)) {
      const index = order[pos]!;
      receive({ index, report: checkFile(check, files[index]!, targets[index]) });
      for (const h of helpers) drain(h.port);
      if (failure !== undefined) throw failure;
    }
    while (written < files.length) {
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    for (const h of helpers) {
      h.worker.removeAllListeners("exit");
      h.worker.on("error", () => {});
      h.port.close();
      void h.worker.terminate();
    }
  }
}

function startHelper(entry: URL, data: Omit<CheckThreadData, "role" | "port">): Helper {
  const { port1, port2 } = new MessageChannel();
  const workerData: CheckThreadData = { role: CHECK_THREAD_ROLE, ...data, port: port2 };
  const worker = new Worker(entry, { workerData, transferList: [port2] });
  // A worker still starting when every file is done must not hold the process.
  worker.unref();
  return { worker, port: port1, slot: data.slot };
}
