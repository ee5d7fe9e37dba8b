/**
 * The submission's host, seen from the runner: the pipes between them,
 * the host process (host.ts) and the bridge to it, and what the runner asks
 * of it: a module of the submission imported (its exports as proxies), and
 * what the code printed.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, constants, openSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Bridge } from "./bridge.js";

export interface SubmissionHost {
  /** The host's process id. */
  readonly pid: number | undefined;
  readonly bridge: Bridge;
  /** The module at `path`, imported by the host: its exports, functions and classes as proxies. */
  importModule(path: string): Promise<object>;
  /** What the submission's code printed since the last call. */
  output(): string;
  /** Closes the runner's end: the host ends. */
  close(): void;
}

export interface HostOptions {
  /** The host ended in the middle of a call (it is not called when `close` ended it). */
  onEnded: (host: ChildProcess, broken: string | undefined) => void;
  /** Extra arguments for Node before the host's module (the runner's `--import` of tsx, by default). */
  execArgv?: string[];
}

/** Starts the host on `pipes` (whose host ends it closes here, once the host has them). */
export function startSubmissionHost(pipes: Pipes, options: HostOptions): SubmissionHost {
  const child = spawn(process.execPath, [...(options.execArgv ?? process.execArgv), fileURLToPath(new URL("./host.ts", import.meta.url))], {
    stdio: ["ignore", "inherit", "inherit", pipes.hostReads, pipes.hostWrites, pipes.hostWaits],
  });
  closeSync(pipes.hostReads);
  closeSync(pipes.hostWrites);
  closeSync(pipes.hostWaits);
  let closing = false;
  const bridge = new Bridge({
    readFd: pipes.runnerReads,
    blockingReadFd: pipes.runnerWaits,
    writeFd: pipes.runnerWrites,
    peerTrusted: false,
    keepAlive: false,
    onClosed: () => {
      if (!closing) options.onEnded(child, bridge.broken);
    },
  });
  return {
    pid: child.pid,
    bridge,
    async importModule(path) {
      const [names, values] = (await bridge.service("import", path)) as [unknown, unknown];
      if (!Array.isArray(names) || !Array.isArray(values) || names.length !== values.length || !names.every((n) => typeof n === "string")) {
        throw new Error(`the submission's process answered an import of ${path} with something else than its exports`);
      }
      const namespace = Object.create(null) as Record<string, unknown>;
      names.forEach((n, i) => Object.defineProperty(namespace, n as string, { value: values[i], enumerable: true }));
      return Object.freeze(namespace);
    },
    output() {
      const o = bridge.service("output") as { text?: unknown } | null;
      return typeof o?.text === "string" ? o.text : "";
    },
    close() {
      closing = true;
      closeSync(pipes.runnerWrites);
    },
  };
}

export interface Pipes {
  /** Each side's end to read without blocking, the same end blocking (to sleep on), and the end to write. */
  runnerReads: number;
  runnerWaits: number;
  runnerWrites: number;
  hostReads: number;
  hostWaits: number;
  hostWrites: number;
}

/**
 * Two named pipes, each opened twice for reading (without blocking, for
 * the bridge's looks, and blocking, to sleep on) and once for writing,
 * then unlinked. A temporary read-write descriptor on each lets the one-way
 * opens return at once.
 */
export function openHostPipes(dir: string): Pipes {
  const calls = join(dir, `bridge-${process.pid}-calls`);
  const answers = join(dir, `bridge-${process.pid}-answers`);
  execFileSync("mkfifo", ["-m", "600", calls, answers]);
  try {
    const holdCalls = openSync(calls, constants.O_RDWR);
    const holdAnswers = openSync(answers, constants.O_RDWR);
    const pipes = {
      runnerWrites: openSync(calls, constants.O_WRONLY),
      hostReads: openSync(calls, constants.O_RDONLY | constants.O_NONBLOCK),
      hostWaits: openSync(calls, constants.O_RDONLY),
      runnerReads: openSync(answers, constants.O_RDONLY | constants.O_NONBLOCK),
      runnerWaits: openSync(answers, constants.O_RDONLY),
      hostWrites: openSync(answers, constants.O_WRONLY),
    };
    closeSync(holdCalls);
    closeSync(holdAnswers);
    return pipes;
  } finally {
    unlinkSync(calls);
    unlinkSync(answers);
  }
}

/**
 * The host closed the bridge in the middle of a call: it has ended (or it
 * broke the bridge's protocol, and is ended here). The
 * runner ends the same way (its exit code, or its signal), so the grader
 * reports the test as the code ending its process. The host's status is
 * read from /proc (the exit code of a process not yet reaped), waiting at
 * most a few seconds for it to become a zombie.
 */
export function endAsHostEnded(host: ChildProcess, broken: string | undefined): never {
  if (broken !== undefined) {
    // The host sent what the bridge refuses (its code wrote into the pipe): it is ended, and so is this run.
    process.stderr.write(`the submission's process broke the bridge to the grader (${broken}): its code wrote into the grader's pipe\n`);
    host.kill("SIGKILL");
    process.exit(70);
  }
  // Reaped already (the event loop turned since it ended): Node has its status.
  if (host.signalCode !== null) process.kill(process.pid, host.signalCode);
  if (host.exitCode !== null) process.exit(host.exitCode);
  const pid = host.pid;
  const wait = new Int32Array(new SharedArrayBuffer(4));
  let status: number | undefined;
  for (let i = 0; pid !== undefined && i < 500 && status === undefined; i++) {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, "latin1");
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" || fields[0] === "X") status = Number(fields[49]);
    } catch {
      break;
    }
    if (status === undefined) Atomics.wait(wait, 0, 0, 10);
  }
  if (status !== undefined && Number.isInteger(status)) {
    const signal = status & 0x7f;
    if (signal !== 0) process.kill(process.pid, signal);
    process.exit((status >> 8) & 0xff);
  }
  process.stderr.write("the submission's process ended in the middle of a call\n");
  process.exit(70);
}
