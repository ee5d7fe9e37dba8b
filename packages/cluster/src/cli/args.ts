/**
 * kv-node and kv-cluster on the dslab command-line convention
 * (`@dslab/protocol/cli`): strict flags with a suggestion for a mistyped one,
 * usage errors people can act on, storage refusals as one line.
 */
import { CliError, EXIT, intOption, parseOptions, printable, processIo, UsageError, type Io, type OptionSpec, type ParsedOptions } from "@dslab/protocol/cli";
import { StorageError, StorageLockedError } from "../storage/index.js";
import { CoreFailure } from "../runtime/node-runtime.js";
import { moduleFrame } from "../runtime/load-module.js";
import { msToTicks, TIMING_DEFAULTS } from "../runtime/timing.js";

export { UsageError };

/** The options of a node command; it takes no other argument (`unexpected argument "extra"`). */
export function parseFlags<T extends OptionSpec>(argv: readonly string[], options: T): ParsedOptions<T> {
  return parseOptions(argv, options, { positionals: false });
}

/**
 * `--tick-ms`, checked against the timing it converts to ticks: the
 * heartbeat must stay fewer ticks than the shortest election timeout, or the
 * core refuses its configuration. A usage error naming the largest period
 * that works, rather than the core's RangeError when the node starts.
 */
export function tickFlag(value: string | undefined): number | undefined {
  const tickMs = intFlag(value, "tick-ms", { min: 1 });
  if (tickMs === undefined || timingFits(tickMs)) return tickMs;
  let largest = tickMs;
  while (largest > 1 && !timingFits(largest)) largest--;
  const t = TIMING_DEFAULTS;
  throw new UsageError(
    `--tick-ms ${tickMs}: the heartbeat (${t.heartbeatMs} ms) and the shortest election timeout (${t.electionTimeoutMsMin} ms) would both be ${msToTicks(t.electionTimeoutMsMin, tickMs)} tick(s); ` +
      `a leader must beat more often than a follower times out. Use --tick-ms ${largest} or less`,
  );
}

function timingFits(tickMs: number): boolean {
  return msToTicks(TIMING_DEFAULTS.heartbeatMs, tickMs) < msToTicks(TIMING_DEFAULTS.electionTimeoutMsMin, tickMs);
}

/** An integer flag >= min (default 0), or `opts.default` when absent. */
export function intFlag(value: string | undefined, name: string, opts: { min?: number; max?: number; default?: number } = {}): number | undefined {
  return intOption(value, name, { min: opts.min ?? 0, ...(opts.max !== undefined ? { max: opts.max } : {}) }) ?? opts.default;
}

/**
 * A path flag (`--data-dir`, `--secret-file`), refused when it holds a
 * control character (a newline, an escape) or a line or bidirectional mark:
 * the log lines that name the path, and the restart command `start` prints,
 * could not show it as it is.
 */
export function pathFlag(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const shown = printable(value);
  if (shown === value) return value;
  throw new UsageError(
    `--${name} "${shown}": holds a control character (shown here as \\uXXXX); the log lines and printed commands that name the path could not show it as it is, so use a path without one`,
  );
}

/**
 * A storage refusal is an expected failure: one line (the message names the
 * file, the offset and what to do, then the code) and no stack. Exit 4 for a
 * data directory that cannot be read or trusted, 1 for a directory another
 * live process holds (a definite refusal: this node did not start). Null for
 * any other error.
 */
export function storageRefusal(e: unknown): CliError | null {
  if (!(e instanceof StorageError)) return null;
  return new CliError(`${e.message} (${e.code})`, e instanceof StorageLockedError ? EXIT.negative : EXIT.badInput, { cause: e });
}

/** A storage refusal as the CliError it is; anything else unchanged. */
export function asCliError(e: unknown): unknown {
  return storageRefusal(e) ?? e;
}

/**
 * The Io of a node process: `exit` ends the process at once, since a server
 * holds handles (sockets, stdin, timers) that would otherwise keep it alive.
 * Writes to a pipe or a file are synchronous on Linux, so nothing is lost.
 */
export function serverIo(proc: NodeJS.Process): Io {
  return { ...processIo(proc), exit: (code) => proc.exit(code) };
}

/**
 * The exit code of a node the runtime had to stop: a storage refusal or a
 * failed system call (disk full, I/O error) is said in one line (4: its data
 * cannot be written; 1 for a lock). A core given with `--core` (`coreFile`)
 * that threw is said in one line too, with the error and where in that
 * code it was thrown (1: that code failed, not dslab). Anything else is a
 * bug (70, with the stack in the log).
 */
export function fatalExitCode(e: Error, log: (line: string) => void, coreFile?: string): number {
  const refusal = storageRefusal(e);
  if (refusal) {
    log(`stopping: ${refusal.message}`);
    return refusal.exitCode;
  }
  const errno = e as NodeJS.ErrnoException;
  if (typeof errno.syscall === "string" && typeof errno.code === "string") {
    log(`stopping: the data directory cannot be written: ${e.message}`);
    return EXIT.badInput;
  }
  if (e instanceof CoreFailure && coreFile !== undefined) {
    const where = moduleFrame(e.error, "sources");
    log(`stopping: the core from --core ${coreFile} threw while handling ${e.input}: ${e.error.name}: ${e.error.message}${where ? `\n  at ${where.at}` : ""}`);
    return EXIT.negative;
  }
  if (e instanceof CoreFailure) {
    log(`stopping: internal error (a bug) while handling ${e.input}: ${e.error.stack ?? e.error.message}`);
    return EXIT.internal;
  }
  log(`stopping: internal error (a bug): ${e.stack ?? e.message}`);
  return EXIT.internal;
}
