// Argument parsing shared by every grader command, on the dslab convention
// (@dslab/protocol/cli): strict parseArgs, usage errors (exit 2) that say
// what to do and name the near option.
import { existsSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import type { ParseArgsConfig } from "node:util";
import { EXIT as CLI_EXIT, InputError, parseOptions, printable, UsageError, type Io as CliIo } from "@dslab/protocol/cli";

export { UsageError };
/** Why a file could not be read or written, in words: one wording for every command (src/fs/reasons.ts). */
export { unreadableReason } from "../fs/reasons.js";

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
