// Argument parsing shared by every grader command, on the dslab convention
// (@dslab/protocol/cli): strict parseArgs, usage errors (exit 2) that say
// what to do and name the near option.
import { existsSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { getSystemErrorMap, type ParseArgsConfig } from "node:util";
import { EXIT as CLI_EXIT, InputError, parseOptions, printable, UsageError, type Io as CliIo } from "@dslab/protocol/cli";

export { UsageError };

export const EXIT = { ok: CLI_EXIT.ok, fail: CLI_EXIT.negative, usage: CLI_EXIT.usage, needsReview: CLI_EXIT.unknown, badInput: CLI_EXIT.badInput } as const;

/**
 * An input file that cannot be read (missing, no permission, a loop of
 * symbolic links, not a regular file, over its size bound) or parsed: exit 4.
 */
export class InputFileError extends InputError {}

/**
 * What exit 4 means for an input file, the same in the help of every command
 * that reads one (after its exit codes) and in the README.
 */
export const UNREADABLE_HELP = `An input file that cannot be read is refused in one line that names it and
says why, with exit 4 (where the exit codes above say so): it is missing, or
cannot be opened (no permission, a loop of symbolic links), or is not a
regular file (a directory, or a FIFO, a device or a socket: refused unread,
never waited on), or is larger than its bound (refused by its size, unread,
or once it grows past it while it is read).`;

/**
 * Where `grades` and `schedule` write without --out: a directory the
 * repository's .gitignore ignores, so student data never lands untracked in
 * the tree. Each command prints where its files went.
 */
export const DEFAULT_OUT_ROOT = ".grader-out";
export const DEFAULT_GRADES_DIR = path.join(DEFAULT_OUT_ROOT, "grades");
export const DEFAULT_SCHEDULE_DIR = path.join(DEFAULT_OUT_ROOT, "schedule");

/** What a failed read or write is called in the words of SYSTEM_REASONS. */
const OPERATION = {
  read: { doing: "reading", done: "read" },
  write: { doing: "writing", done: "written" },
} as const;

/**
 * What each system error means for a file that was not read or written, in
 * words: the rare ones too, so no command shows the system's own
 * `EIO: i/o error, read` with its call and path.
 */
const SYSTEM_REASONS: Record<string, (op: "read" | "write") => string> = {
  EIO: (op) => `${OPERATION[op].doing} it failed with an input/output error (of the disk, network share or device it is on)`,
  ENAMETOOLONG: () => "its name is too long for the file system",
  EPERM: (op) => `the system does not permit ${OPERATION[op].doing} it`,
  EISDIR: () => "it is a directory, not a regular file",
  ENXIO: () => "the device it is on is not there",
  ENODEV: () => "the device it is on is not there",
  EMFILE: () => "too many files are open in this process to open it",
  ENFILE: () => "too many files are open on this system to open it",
  ENOMEM: (op) => `the system ran out of memory while ${OPERATION[op].doing} it`,
  EBUSY: () => "the system holds it busy",
  EAGAIN: (op) => `it was not ready to be ${OPERATION[op].done}; try again`,
  EINTR: (op) => `its ${op} was interrupted; try again`,
  ETIMEDOUT: (op) => `${OPERATION[op].doing} it timed out (the network file system it is on did not answer)`,
  ESTALE: () => "the network file system it is on no longer knows it (a stale file handle)",
  EOVERFLOW: (op) => `it is too large for the system to ${op}`,
  EFBIG: (op) => `it is too large for the system to ${op}`,
  EINVAL: (op) => `the system refused the ${op} as invalid`,
  ENOSPC: () => "the disk it is on is full",
  EDQUOT: () => "the disk quota of its owner is used up",
  EROFS: () => "the file system it is on is read-only",
};

/**
 * Why a file could not be read (or, with `op` "write", written), in words,
 * whatever the failure; every command says it this way. A path that is not
 * a regular file as ReadRegularError says it (`it is a FIFO (named pipe), not
 * a regular file`), `no such file`, `permission denied`, the rare system
 * errors from SYSTEM_REASONS, and any other one from the system's description
 * of its code (`the system could not read it: cross-device link not permitted
 * (EXDEV)`), never the system's message with its call and path.
 */
export function unreadableReason(err: unknown, op: "read" | "write" = "read"): string {
  const e = (err ?? {}) as NodeJS.ErrnoException;
  const code = typeof e.code === "string" ? e.code : undefined;
  if (code === "NOT_A_FILE" && typeof e.message === "string") return e.message;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "ENOTDIR") return "a parent is not a directory";
  if (code === "ELOOP") return "it is a loop of symbolic links";
  if (code !== undefined && Object.hasOwn(SYSTEM_REASONS, code)) return SYSTEM_REASONS[code]!(op);
  const errno = typeof e.errno === "number" ? e.errno : undefined;
  const described = errno === undefined ? undefined : getSystemErrorMap().get(errno);
  if (code !== undefined && described?.[0] === code) return `the system could not ${op} it: ${described[1]} (${code})`;
  return code !== undefined && /^E[A-Z0-9]+$/.test(code) ? `the system could not ${op} it (${code})` : `the system could not ${op} it`;
}

export interface Io extends Pick<CliIo, "stdout" | "stderr"> {
  /** The wall clock, used only when `--now` is not given. */
  now: () => Date;
}

/** A command's code; its one-line summary is in the command table (commands/index.ts). */
export interface Command {
  name: string;
  help: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[], io: Io): Promise<number>;
}

export const COMMON_OPTIONS = {
  lessons: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export function parse(command: Command, argv: string[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const options = { ...COMMON_OPTIONS, ...command.options };
    const { values, positionals } = parseOptions(argv, options);
    const all = values as Record<string, string | boolean | undefined>;
    all.lessons ??= defaultLessonsDir(process.cwd());
    return { values: all, positionals };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nRun \`grader ${command.name} --help\` for usage.`);
  }
}

/**
 * Without --lessons: `lessons` here, or else the `lessons` directory of the
 * nearest parent that has one (so `grader` works from `grader/` or any
 * package of the repository too), as a path relative to `cwd`.
 */
export function defaultLessonsDir(cwd: string): string {
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "lessons");
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return path.relative(cwd, candidate) || ".";
    if (path.dirname(dir) === dir) return "lessons";
  }
}

export function requireString(values: Record<string, unknown>, name: string, command: string): string {
  const v = values[name];
  if (typeof v !== "string" || v.trim() === "") throw new UsageError(`missing --${name}. Run \`grader ${command} --help\` for usage.`);
  return v;
}

export function positiveInt(values: Record<string, unknown>, name: string, fallback: number): number {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, found ${JSON.stringify(v)}`);
  return n;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/**
 * A name from the outside (a student id taken from a file or folder name) as
 * it may be printed to a terminal: control characters written as `\u001b`,
 * so a name holding `ESC [2J` cannot clear the screen or retitle the window.
 */
export function shown(name: string): string {
  return printable(name);
}

/** Whether two paths name one directory (links followed where they exist). */
export function sameDirectory(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}
