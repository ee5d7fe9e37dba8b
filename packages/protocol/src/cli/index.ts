/**
 * The command-line convention of every dslab command (`kv`, `kv-node`,
 * `kv-cluster`, `kv-sim`, `history-check`, `grader`): one exit-code table,
 * strict option parsing with a suggestion for a mistyped option, errors that
 * start with the command's name, `--version`, and a stack trace only for a bug.
 *
 * Invariants:
 * - An expected failure (a usage error, an unreadable input, a refusal) is a
 *   `CliError` carrying its exit code: one line on stderr, no stack.
 * - Anything else thrown out of a command's `main` is a bug: exit 70 with the
 *   stack. No crash can exit with a code that claims an outcome (0, 1, 3).
 * - Nothing here touches `process`: a command's shell passes an `Io`
 *   (`makeDirectory` makes a directory, `prepareOutDir` checks an output
 *   directory on the file system, and `readRegularFile` reads an input file). This
 *   module is the `@dslab/protocol/cli` subpath, so the package's main entry
 *   stays free of IO.
 */
import { closeSync, constants, fstatSync, openSync, promises as fsp, readFileSync, readSync, statSync, type Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** The exit codes, the same for every command. */
export const EXIT = {
  /** ok, valid, pass. */
  ok: 0,
  /** A definite negative: failed and did not happen, invalid, proof failed, lint errors. */
  negative: 1,
  /** The command line is wrong. */
  usage: 2,
  /** Unknown: the outcome is indefinite, or a proof needs review. */
  unknown: 3,
  /** An input file cannot be read or parsed (or an output cannot be written, where no better code applies). */
  badInput: 4,
  /** A bug: the stack is printed. */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The table as it is printed in every `--help` and in the root README. */
export const EXIT_CODE_TABLE: readonly { code: ExitCode; meaning: string }[] = [
  { code: EXIT.ok, meaning: "ok, valid, pass" },
  { code: EXIT.negative, meaning: "a definite negative: the operation failed and did not happen, the history is invalid, the proof failed, lint found errors" },
  { code: EXIT.usage, meaning: "usage error" },
  { code: EXIT.unknown, meaning: "unknown: the outcome is indefinite, or a proof needs review" },
  { code: EXIT.badInput, meaning: "an input file that cannot be read or parsed (or an output that cannot be written)" },
  { code: EXIT.internal, meaning: "internal error (a bug): the stack is printed" },
];

/** The exit-code table as help text, wrapped to 80 columns. */
export function exitCodeHelp(): string {
  const lines = ["Exit codes (the same for every dslab command):"];
  for (const row of EXIT_CODE_TABLE) lines.push(...wrap(`  ${String(row.code).padStart(2)}  `, row.meaning, 80));
  return lines.join("\n");
}

function wrap(first: string, text: string, width: number): string[] {
  const indent = " ".repeat(first.length);
  const out: string[] = [];
  let line = first;
  for (const word of text.split(" ")) {
    if (line.length + word.length > width && line.trim() !== "") {
      out.push(line.trimEnd());
      line = indent;
    }
    line += `${word} `;
  }
  out.push(line.trimEnd());
  return out;
}

/** Where a command writes and how it stops: the only IO this module uses. */
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  exit: (code: number) => void;
}

/** An expected failure: one line on stderr (after the command's name), no stack, this exit code. */
export class CliError extends Error {
  override readonly name: string = "CliError";
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The command line is wrong: exit 2. */
export class UsageError extends CliError {
  override readonly name = "UsageError";
  readonly code = "E_USAGE";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.usage, options);
  }
}

/** An input file cannot be read or parsed (or an output cannot be written): exit 4. */
export class InputError extends CliError {
  override readonly name = "InputError";
  readonly code = "E_INPUT";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.badInput, options);
  }
}

/** Edit distance (insertions, deletions, substitutions and swaps of neighbours) between two short strings. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The nearest candidate to a mistyped word, if one is near enough to be what was meant. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const bound = word.length <= 3 ? 1 : word.length < 9 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= bound ? best : undefined;
}

/** `unknown command "rn" (did you mean run?)`, or the list of commands when none is near. */
export function unknownCommand(word: string, commands: readonly string[]): UsageError {
  const near = nearest(word, commands);
  return new UsageError(`unknown command ${JSON.stringify(word)} ${near ? `(did you mean ${near}?)` : `(expected one of ${commands.join(", ")})`}`);
}

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedOptions<T extends OptionSpec> {
  values: ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>["values"];
  positionals: string[];
}

/**
 * `node:util` parseArgs, strict: an unknown option, a missing value or an
 * unexpected argument is a UsageError that says which, and a mistyped option
 * names the nearest known one (`unknown option --sed (did you mean --seed?)`).
 *
 * A word that starts with a minus and a digit (`-1`, `-0.5`) is a number,
 * never an option: `--nodes -1` gives `--nodes` the value "-1", for the
 * command's own check to refuse by name, and `incr k -1` has the argument
 * "-1". (parseArgs alone reads such a word as an option and calls the value
 * ambiguous.)
 */
export function parseOptions<T extends OptionSpec>(argv: readonly string[], options: T, opts: { positionals?: boolean } = {}): ParsedOptions<T> {
  let ended = false;
  const args = argv.map((a) => {
    if (a === "--") ended = true;
    return !ended && NEGATIVE_NUMBER.test(a) ? NUMBER_MARK + a : a;
  });
  let r: ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true; tokens: true }>>;
  try {
    r = parseArgs({ args, options, allowPositionals: opts.positionals ?? true, strict: true, tokens: true });
  } catch (e) {
    const { code, message } = e as Error & { code?: string };
    throw new UsageError(describeParseError(code, unmark(message), options, { argv, positionals: opts.positionals ?? true }), { cause: e });
  }
  refuseRepeats(r.tokens, options);
  const values: Record<string, unknown> = { ...r.values };
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === "string") values[name] = unmark(value);
    else if (Array.isArray(value)) values[name] = value.map((v: unknown) => (typeof v === "string" ? unmark(v) : v));
  }
  return { values: values as ParsedOptions<T>["values"], positionals: r.positionals.map(unmark) };
}

/**
 * An option that takes one value, given twice (`--client-id a --client-id
 * b`), is a usage error naming it: parseArgs would keep the last one
 * silently, and which one the user meant cannot be told. An option declared
 * `multiple` collects its values; a flag given twice is the same flag.
 */
function refuseRepeats(tokens: ReadonlyArray<{ kind: string; name?: string; value?: string | undefined }>, options: OptionSpec): void {
  const seen = new Map<string, string>();
  for (const t of tokens) {
    if (t.kind !== "option" || t.name === undefined) continue;
    const spec = options[t.name];
    if (spec?.type !== "string" || spec.multiple === true) continue;
    const value = unmark(t.value ?? "");
    const first = seen.get(t.name);
    if (first !== undefined) throw new UsageError(`--${t.name}: given twice (${JSON.stringify(first)}, then ${JSON.stringify(value)}); give it once`);
    seen.set(t.name, value);
  }
}

const NEGATIVE_NUMBER = /^-\.?\d/;
/** Put before a negative number so that parseArgs takes it for a value; no command-line word can contain it. */
const NUMBER_MARK = "\u0000number:";

function unmark(s: string): string {
  return s.replaceAll(NUMBER_MARK, "");
}

/**
 * An option as parseArgs quotes it ("-v, --verbose", "--out <value>", "-o")
 * by its long name, "--verbose": the name the error and its hint can use
 * ("--out=-VALUE"; "-o=-VALUE" would be the value "=-VALUE").
 */
function longName(quoted: string | undefined, options: OptionSpec): string | undefined {
  if (quoted === undefined) return undefined;
  const long = /(?:^|\s)(--[^\s]+)/.exec(quoted)?.[1];
  if (long !== undefined) return long;
  const short = /^-([^-\s])$/.exec(quoted)?.[1];
  const name = short === undefined ? undefined : Object.keys(options).find((n) => options[n]?.short === short);
  return name !== undefined ? `--${name}` : quoted.split(/\s/)[0];
}

/**
 * The word a short option parseArgs refused came from: `-e` from `-hello`,
 * which it reads as the options -h -e -l -l -o. Words after `--` are
 * arguments, never options.
 */
function shortOptionWord(option: string, argv: readonly string[]): string {
  if (!/^-[^-]$/.test(option)) return option;
  const end = argv.indexOf("--");
  const words = end === -1 ? argv : argv.slice(0, end);
  return words.find((w) => /^-[^-]/.test(w) && w.length > 2 && w.slice(1).includes(option[1]!)) ?? option;
}

function describeParseError(code: string | undefined, message: string, options: OptionSpec, cmd: { argv: readonly string[]; positionals: boolean }): string {
  const names = Object.keys(options);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const refused = /'(-[^']*)'/.exec(message)?.[1] ?? message;
    const option = shortOptionWord(refused, cmd.argv);
    const bare = option.replace(/^-+/, "").split("=")[0]!;
    const near = nearest(bare, names);
    const hints = near ? [`did you mean --${near}?`] : [];
    // A word with one dash is as likely a value (kv put k -x) as a mistyped option.
    if (cmd.positionals && /^-[^-]/.test(option)) hints.push(`to pass it as an argument, put -- before it: -- ${option}`);
    return `unknown option ${option}${hints.length > 0 ? ` (${hints.join(" ")})` : ""}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const option = longName(/'(-[^']*)'/.exec(message)?.[1], options);
    if (option && / argument missing/.test(message)) return `${option}: needs a value`;
    if (option && /does not take an argument/.test(message)) return `${option}: takes no value`;
    if (option && /argument is ambiguous/.test(message)) return `${option}: needs a value; one that starts with a dash is written ${option}=-VALUE`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const arg = /'([^']*)'/.exec(message)?.[1];
    return `unexpected argument ${JSON.stringify(arg ?? message)}`;
  }
  return message;
}

/** An integer option: undefined when absent, else an integer in [min, max], or a UsageError naming the option. */
export function intOption(value: string | undefined, name: string, opts: { min?: number; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const min = opts.min ?? 0;
  const n = Number(value.trim());
  if (value.trim() === "" || !/^[-+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || (opts.max !== undefined && n > opts.max)) {
    const range = opts.max !== undefined ? `an integer from ${min} to ${opts.max}` : `an integer >= ${min}`;
    throw new UsageError(`--${name}: expected ${range}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A number option: undefined when absent, else a finite number >= min (or > min with `exclusive`). */
export function numberOption(value: string | undefined, name: string, opts: { min?: number; integer?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || (opts.integer === true && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new UsageError(`--${name}: expected ${opts.integer ? "an integer" : "a number"}${opts.min !== undefined ? ` >= ${opts.min}` : ""}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * The `version` of the nearest package.json at or above `from` (a module's
 * `import.meta.url`): the command's own package, wherever the module runs
 * from (the sources or a compiled copy).
 */
export function readPackageVersion(from: URL): string {
  for (let dir = new URL(".", from); ; dir = new URL("..", dir)) {
    let text: string | undefined;
    try {
      text = readFileSync(new URL("package.json", dir), "utf8");
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      const pkg = JSON.parse(text) as { version?: unknown };
      if (typeof pkg.version === "string") return pkg.version;
    }
    if (new URL("..", dir).pathname === dir.pathname) return "0.0.0";
  }
}

/** Whether argv asks for the version: `--version` before any `--`. */
function asksVersion(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--version") return true;
  }
  return false;
}

export interface CommandSpec {
  /** The command's name, the first word of every error line. */
  name: string;
  /** The package version, printed by `--version`. */
  version: string;
}

/**
 * Runs a command's main and exits with its code. `--version` is answered
 * here for every command. A CliError is one line `name: message`; anything
 * else is a bug: `name: internal error (a bug)`, the stack, exit 70.
 * A main that keeps running (a server) resolves only when it is done.
 */
export async function runMain(spec: CommandSpec, main: (argv: string[], io: Io) => Promise<number>, argv: readonly string[], io: Io): Promise<void> {
  let code: number;
  try {
    if (asksVersion(argv)) {
      io.stdout(`${spec.name} ${spec.version}\n`);
      code = EXIT.ok;
    } else code = await main([...argv], io);
  } catch (e) {
    code = reportFailure(spec.name, e, io);
  }
  io.exit(code);
}

/** Writes what went wrong and returns the exit code: a CliError's own, else 70 with the stack. */
export function reportFailure(name: string, e: unknown, io: Pick<Io, "stderr">): number {
  if (e instanceof CliError) {
    const hint = e instanceof UsageError ? `\nRun \`${name} --help\` for usage.` : "";
    io.stderr(`${name}: ${e.message}${hint}\n`);
    return e.exitCode;
  }
  io.stderr(`${name}: internal error (a bug; please report it with this output):\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT.internal;
}

/** How a command ends when its reader went away (`| head`): as a program stopped by SIGPIPE, 128 + 13. */
export const EXIT_CLOSED_PIPE = 141;

/**
 * The Io of a real process. A stdout or stderr whose reader closed (`| head`,
 * `2>&1 | head` on a server's log) ends the process quietly (exit 141), not
 * with an unhandled EPIPE.
 */
export function processIo(proc: NodeJS.Process): Io {
  for (const stream of [proc.stdout, proc.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
      proc.exit(EXIT_CLOSED_PIPE);
    });
  }
  return {
    stdout: (s) => void proc.stdout.write(s),
    stderr: (s) => void proc.stderr.write(s),
    exit: (code) => {
      proc.exitCode = code;
    },
  };
}

export { prepareOutDir, removeCreatedDirs } from "./out-dir.js";
export { abbreviatePath, DirectoryError, type DirectoryFault, makeDirectory, makeDirectorySync } from "./directory.js";

/** What a path that is not a regular file is, for "it is a FIFO (named pipe), not a regular file" (from its stat). */
export function fileKind(s: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (s.isDirectory()) return "a directory";
  if (s.isFIFO()) return "a FIFO (named pipe)";
  if (s.isSocket()) return "a socket";
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  return "not a file";
}

/**
 * Text from outside (what a node sent, a student id taken from a file name,
 * a lesson's quoted value) made safe to print on a terminal: control
 * characters (C0, DEL, C1: escape sequences that recolour or retitle the
 * terminal, a bell, a newline that would forge a line of the command's own
 * output) and the Unicode line, paragraph and bidirectional-override marks
 * are written as `\uXXXX`. The same escapes inside a JSON string mean the
 * same characters, so a whole JSON line can go through it too.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/*
 * Reading an input file a command line names: only a regular file, and not
 * past a size bound. A FIFO would block the command (opening it waits for a
 * writer, reading it for the writer's end) and a device such as /dev/zero
 * never ends, so the file is opened with O_NONBLOCK (the open returns at
 * once, whatever the path is) and fstat then says what was opened; only a
 * regular file is read. A file larger than the bound is refused by its size,
 * unread, and one that grows past the bound while it is read is refused when
 * it does: no more than the bound and one byte is ever read. Every failure
 * is a ReadRegularError whose `code` a command maps to its own message and
 * exit code.
 */

export interface ReadRegularOptions {
  /** Largest size accepted, in bytes: a larger file, or one that grows past it while it is read, is refused. */
  maxBytes: number;
  /**
   * What the file is, for the messages, in place of "it": with "the cluster
   * secret", `the cluster secret is a FIFO (named pipe), not a regular file`.
   */
  label?: string;
}

/** A regular file's bytes, and its stat when it was opened (its mode, its size then). */
export interface RegularFile {
  bytes: Buffer;
  stats: Stats;
}

/**
 * Why a file was not read: `NOT_A_FILE` (a directory, a FIFO, a socket, a
 * device; symlinks are followed), `TOO_LARGE`, or the system's own code for
 * a failed open or read (`ENOENT`, `EACCES`, `ENOTDIR`, `ELOOP`, `EIO`, ...).
 */
export type ReadRegularCode = "NOT_A_FILE" | "TOO_LARGE" | "ENOENT" | "EACCES" | "ENOTDIR" | (string & {});

/**
 * A file that was not read. The message says what is wrong with the file,
 * not which file it is (the caller names it: `cannot read FILE: MESSAGE`):
 * for NOT_A_FILE and TOO_LARGE it starts with the label (`it is a
 * directory, not a regular file`); for a system error it is the system's
 * message, and `cause` is the system's error.
 */
export class ReadRegularError extends Error {
  override readonly name = "ReadRegularError";
  constructor(
    readonly code: ReadRegularCode,
    /** The path as given. */
    readonly path: string,
    message: string,
    readonly details: {
      /** NOT_A_FILE and TOO_LARGE: what the path was when it was opened. */
      stats?: Stats;
      /** TOO_LARGE: the bytes the file has at least (its size, or what was read before it passed the limit). */
      size?: number;
      /** TOO_LARGE: the limit it passed. */
      limit?: number;
      /** TOO_LARGE: the file was within the limit when opened and grew past it while it was read. */
      grew?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: details.cause });
  }
}

const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** The file's bytes, if it is a regular file within `maxBytes`; a ReadRegularError otherwise. Never waits on a FIFO. */
export function readRegularFileSync(path: string, options: ReadRegularOptions): RegularFile {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (e) {
    throw openFailure(path, e, options);
  }
  try {
    const stats = fstatSync(fd);
    const reader = new BoundedReader(path, stats, options);
    try {
      while (reader.took(readSync(fd, reader.buffer, reader.offset, reader.room, null)));
    } catch (e) {
      throw reader.failure(e);
    }
    return { bytes: reader.bytes(), stats };
  } finally {
    closeSync(fd);
  }
}

/** The file's bytes, if it is a regular file within `maxBytes`; a ReadRegularError otherwise. Never waits on a FIFO. */
export async function readRegularFile(path: string, options: ReadRegularOptions): Promise<RegularFile> {
  const { handle, stats } = await openRegularFile(path, options);
  try {
    const reader = new BoundedReader(path, stats, options);
    try {
      while (reader.took((await handle.read(reader.buffer, reader.offset, reader.room, null)).bytesRead));
    } catch (e) {
      throw reader.failure(e);
    }
    return { bytes: reader.bytes(), stats };
  } finally {
    await handle.close();
  }
}

/**
 * Opens `path` for reading if it is a regular file, for a caller that reads
 * it its own way (a part of it); a ReadRegularError (NOT_A_FILE or the
 * system's code) otherwise, at once. The caller closes the handle.
 */
export async function openRegularFile(path: string, options: { label?: string } = {}): Promise<{ handle: FileHandle; stats: Stats }> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(path, READ_FLAGS);
  } catch (e) {
    throw openFailure(path, e, options);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notAFile(path, stats, options);
    return { handle, stats };
  } catch (e) {
    await handle.close();
    throw e instanceof ReadRegularError ? e : systemFailure(path, e);
  }
}

function subject(options: { label?: string }): string {
  return options.label ?? "it";
}

function notAFile(path: string, stats: Stats, options: { label?: string }): ReadRegularError {
  return new ReadRegularError("NOT_A_FILE", path, `${subject(options)} is ${fileKind(stats)}, not a regular file`, { stats });
}

function systemFailure(path: string, e: unknown): ReadRegularError {
  if (e instanceof ReadRegularError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? "EIO";
  return new ReadRegularError(code, path, e instanceof Error ? e.message : String(e), { cause: e });
}

/**
 * A failed open: a directory (where the system refuses to open one, EISDIR)
 * or a socket (ENXIO) is said as what it is, like any path that is not a
 * regular file; anything else is the system's error.
 */
function openFailure(path: string, e: unknown, options: { label?: string }): ReadRegularError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EISDIR" || code === "ENXIO") {
    let stats: Stats | undefined;
    try {
      stats = statSync(path);
    } catch {
      stats = undefined;
    }
    if (stats !== undefined && !stats.isFile()) return notAFile(path, stats, options);
  }
  return systemFailure(path, e);
}

/**
 * The reading of one opened file, the same for the sync and the async
 * reader: checks what was opened, then takes the file's bytes a read at a
 * time into a buffer that grows to at most the limit and one byte, the byte
 * that shows the file went past it.
 */
class BoundedReader {
  buffer: Buffer;
  private length = 0;
  private readonly limit: number;

  constructor(
    private readonly path: string,
    private readonly stats: Stats,
    private readonly options: ReadRegularOptions,
  ) {
    this.limit = options.maxBytes;
    if (!stats.isFile()) throw notAFile(path, stats, options);
    if (stats.size > this.limit) {
      throw new ReadRegularError("TOO_LARGE", path, `${subject(options)} is ${stats.size} bytes, more than the limit of ${this.limit} bytes`, {
        stats,
        size: stats.size,
        limit: this.limit,
      });
    }
    // One byte more than the size: a read that fills it shows the file has grown.
    this.buffer = Buffer.allocUnsafe(Math.min(stats.size, this.limit) + 1);
  }

  /** Where the next read goes. */
  get offset(): number {
    return this.length;
  }

  /** How much the next read may take. */
  get room(): number {
    return this.buffer.length - this.length;
  }

  /** Counts `n` bytes read; false at the end of the file. */
  took(n: number): boolean {
    if (n === 0) return false;
    this.length += n;
    if (this.length > this.limit) {
      throw new ReadRegularError("TOO_LARGE", this.path, `${subject(this.options)} grew past the limit of ${this.limit} bytes while it was read`, {
        stats: this.stats,
        size: this.length,
        limit: this.limit,
        grew: true,
      });
    }
    if (this.length === this.buffer.length) {
      const larger = Buffer.allocUnsafe(Math.min(this.buffer.length * 2, this.limit + 1));
      this.buffer.copy(larger, 0, 0, this.length);
      this.buffer = larger;
    }
    return true;
  }

  /** A failed read, as a ReadRegularError. */
  failure(e: unknown): ReadRegularError {
    return systemFailure(this.path, e);
  }

  /** The bytes read. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
