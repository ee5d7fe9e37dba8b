/**
 * The work of `history-check` once its arguments are good: each file read,
 * parsed and checked, a verdict line (or JSON object) per file, and the exit
 * code of the worst. run.ts imports it after parsing, so `--help` and usage
 * errors never load the checkers. With several threads (`--jobs`), the
 * worker threads check files with `checkFile` too (threads.ts), and the
 * lines are written here in the order of the files.
 *
 * A history that cannot be read or parsed is bad input (4); anything else
 * thrown while a history is checked is a bug and is not caught here.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, statSync, writeFileSync } from "node:fs";
import type { Stats } from "node:fs";
import { availableParallelism } from "node:os";
import { getHeapStatistics } from "node:v8";
import { basename, dirname, join, resolve } from "node:path";
import { DirectoryError, InputError, makeDirectorySync, readRegularFileSync, ReadRegularError, UsageError } from "@dslab/protocol/cli";
import { checkExactlyOnce } from "../exactly-once/check.js";
import { missingIdentity } from "../exactly-once/identity.js";
import { EdnMap, parseEdn } from "../formats/edn.js";
import { lineOfOp, readHistory } from "../formats/history-io.js";
import type { History } from "../history/op.js";
import { isClientOp } from "../history/op.js";
import { HistoryError, pairOps } from "../history/pair.js";
import { ParseError, ReadTimeLimitError } from "../formats/parse-error.js";
import { HISTORY_BYTES_MAX, historyText, printable } from "../formats/text-input.js";
import { printJson } from "../formats/json.js";
import type { JsonValue } from "../formats/json.js";
import { checkLinearizability } from "../lin/check.js";
import type { renderTimelineHtml } from "../render/timeline.js";
import { chooseModel, ModelChoiceError } from "./choose-model.js";
import { EXIT, type CliIo, type Parsed } from "./run.js";

/** A history that cannot be read: bad input, like a ParseError. */
class UnreadableError extends Error {
  readonly code = "E_UNREADABLE";
}

/** Errors that mean "this file is bad input"; anything else is a bug. */
function isBadInput(e: unknown): e is Error {
  return e instanceof ParseError || e instanceof HistoryError || e instanceof UnreadableError || e instanceof ModelChoiceError;
}

type Verdict = true | false | "unknown";

/**
 * What checking one file gives: its line of output (a summary line or a
 * JSON object), a line for stderr, and what the exit code needs. Plain
 * data, so a worker thread can hand it over as it is.
 */
export interface FileReport {
  out: string;
  err: string | undefined;
  verdict: Verdict;
  /** The file could not be read or parsed, or its timeline could not be written. */
  bad: boolean;
}

/** What every file of one run is checked with. */
export interface FileCheck {
  args: Parsed;
  initial: EdnMap | undefined;
  /** The timeline renderer, exactly when `args.html` is given. */
  render: typeof renderTimelineHtml | undefined;
  now: () => number;
  /** What `-` read from standard input, when it is one of the files (read on the main thread, which checks it). */
  stdin?: StdinInput;
}

/** The name that stands for standard input among the files. */
export const STDIN = "-";

/** Where a parse error in standard input is placed (`<stdin>:3:4: ...`). */
const STDIN_SOURCE = "<stdin>";

/** What `-` read: its bytes, or why they could not be read (said as for a file: "cannot read standard input: ..."). */
export type StdinInput = { bytes: Buffer } | { error: string };

/** The run's settings, checked before any file is read: `--initial` read as EDN. */
export function fileCheck(args: Parsed, now: () => number, render: typeof renderTimelineHtml | undefined): FileCheck {
  return { args, initial: args.initial === undefined ? undefined : initialValues(args.initial), render, now };
}

/**
 * Input that keeps one more thread busy long enough to pay for its start
 * (a new V8 isolate that loads the command and warms up its own compiled
 * code): with less, the main thread is done about as soon on its own.
 */
export const BYTES_PER_THREAD = 4 * 1024 * 1024;

/**
 * Cores one checking thread keeps busy: besides its own JavaScript, V8
 * compiles hot code and collects garbage on helper threads (103
 * porcupine-shaped register files on one thread: about 1.2 s of CPU in
 * 0.8 s). On 2 cores a second checking thread made that batch slower
 * (about 1.0 s) and took half as much CPU again, as it warms up its own
 * compiled code; so the default takes one thread per two cores (see the
 * README's benchmark).
 */
export const CORES_PER_THREAD = 2;

/**
 * Checks every file of `args`, on `--jobs` threads, and writes a line per
 * file in the order given; `render` (the timeline renderer) is given
 * exactly when `args.html` is, and writes each file's timeline. Without
 * `--jobs`: one thread per CORES_PER_THREAD available cores, at most one
 * per file and one per BYTES_PER_THREAD of input.
 */
export async function checkFiles(args: Parsed, io: CliIo, render: typeof renderTimelineHtml | undefined): Promise<number> {
  const check = fileCheck(args, io.now, render);
  const targets = htmlTargets(args);
  const files = args.files;
  // Standard input is read once, whole, before any check, so its time does not count toward the limit.
  if (files.includes(STDIN)) {
    if (io.stdin !== undefined) check.stdin = await readStdin(io.stdin(), HISTORY_BYTES_MAX);
    else check.stdin = processStdinDirectory() ?? (await readStdin(process.stdin, HISTORY_BYTES_MAX));
  }
  const sizes = files.length > 1 ? files.map((f) => (f === STDIN ? stdinSize(check.stdin) : sizeOf(f))) : [];
  const bytes = sizes.reduce((a, b) => a + b, 0);
  const jobs = Math.min(args.jobs ?? Math.max(1, Math.min(Math.floor(availableParallelism() / CORES_PER_THREAD), Math.floor(bytes / BYTES_PER_THREAD))), files.length);
  const reports: FileReport[] = [];
  const emit = (r: FileReport): void => {
    reports.push(r);
    if (r.err !== undefined) io.err(r.err);
    io.out(r.out);
  };
  if (jobs > 1) {
    const { checkInThreads } = await import("./threads.js");
    await checkInThreads({ check, targets, sizes, jobs, entry: io.threadEntry, warn: io.err }, emit);
  } else {
    for (let i = 0; i < files.length; i++) emit(checkFile(check, files[i]!, targets[i]));
  }
  return exitCode(reports);
}

/** The worst of the verdicts: invalid, then bad input, then unknown. */
function exitCode(reports: readonly FileReport[]): number {
  if (reports.some((r) => r.verdict === false)) return EXIT.invalid;
  if (reports.some((r) => r.bad)) return EXIT.badInput;
  if (reports.some((r) => r.verdict === "unknown")) return EXIT.unknown;
  return EXIT.valid;
}

/**
 * Where each file's timeline goes (undefined for all without --html):
 * `OUT` itself for one file, unless it is a directory; otherwise
 * `OUT/<file name>.html`, numbered when two files share a name
 * (a/h.edn and b/h.edn). Decided before any file is checked, in the
 * order given, so the names do not depend on which file finishes first.
 */
function htmlTargets(args: Parsed): Array<string | undefined> {
  const out = args.html;
  if (out === undefined) return args.files.map(() => undefined);
  if (args.files.length > 1) {
    try {
      // One level at a time: Node's recursive mkdir loops for ever under /proc.
      makeDirectorySync(out);
    } catch (e) {
      if (e instanceof DirectoryError) throw new InputError(`--html ${out}: ${e.message}`, { cause: e });
      throw new InputError(`--html ${out}: cannot create the directory: ${(e as Error).message}`, { cause: e });
    }
  }
  const intoDir = args.files.length > 1 || (existsSync(out) && statSync(out).isDirectory());
  const names = new Set<string>();
  const targets = !intoDir
    ? [out]
    : args.files.map((file) => {
        // Standard input has no name to derive one from: its timeline is stdin.html.
        const base = file === STDIN ? "stdin" : basename(file);
        let name = `${base}.html`;
        for (let i = 2; names.has(name); i++) name = `${base}-${i}.html`;
        names.add(name);
        return join(out, name);
      });
  refuseOverwritingAHistory(args.files, targets, out);
  return targets;
}

/**
 * A timeline written over one of the histories would destroy it (`--html
 * h.edn` typed for `--html h.html`): a usage error before anything is
 * written. The same file by another path or through a link counts too.
 */
function refuseOverwritingAHistory(files: readonly string[], targets: readonly string[], out: string): void {
  // Each path resolved and looked at once: a batch of thousands of files would otherwise stat every pair.
  const byPath = new Map<string, string>();
  const byInode = new Map<string, string>();
  for (const file of files) {
    const path = resolve(file);
    if (file !== STDIN && !byPath.has(path)) byPath.set(path, file);
    const inode = inodeOf(file);
    if (inode !== undefined && !byInode.has(inode)) byInode.set(inode, file);
  }
  for (const target of targets) {
    const inode = byInode.size === 0 ? undefined : inodeOf(target);
    const history = byPath.get(resolve(target)) ?? (inode === undefined ? undefined : byInode.get(inode));
    if (history === undefined) continue;
    if (target === out) throw new UsageError(`--html ${out} is the history ${history}: the timeline would overwrite it; name another file, e.g. --html ${out}.html`);
    throw new UsageError(`--html ${out}: the timeline ${target} is the history ${history} and would overwrite it; name another directory`);
  }
}

/**
 * The file's device and inode (the same for every path and link to it), or
 * undefined when it does not exist (yet); for `-`, those of the file standard
 * input is redirected from, if it is one (`history-check - < h.edn`).
 */
function inodeOf(path: string): string | undefined {
  try {
    const s = path === STDIN ? fstatSync(0, { bigint: true }) : statSync(path, { bigint: true });
    if (path === STDIN && !s.isFile()) return undefined;
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Reads, parses and checks one file, and writes its timeline to
 * `htmlTarget` when there is one. A history that cannot be read or parsed
 * is reported as bad input; anything else thrown is a bug and is not
 * caught here.
 */
export function checkFile(check: FileCheck, file: string, htmlTarget: string | undefined): FileReport {
  const { args, initial, render, now } = check;
  const writeTimeline = (history: History, options: Parameters<typeof renderTimelineHtml>[1]): string | undefined =>
    htmlTarget === undefined || render === undefined ? undefined : writeHtml(htmlTarget, render(history, options));
  const started = now();
  const record: { [key: string]: JsonValue } = { file, model: args.model };
  // Where messages place the input (file:line), and how a timeline's title names it.
  const source = file === STDIN ? STDIN_SOURCE : file;
  const title = file === STDIN ? "standard input" : basename(file);
  let verdict: Verdict = "unknown";
  let detail = "";
  let htmlError: string | undefined;
  // The model named in the summary line: with --model auto, the one each file's operations chose.
  let shown: string = args.model;
  try {
    const text = file === STDIN ? stdinText(check.stdin) : readInput(file);
    // The limit counts from when the file began to be read: reading, parsing and preparing stop once it is up.
    const history = readHistory(text, { source, deadline: { at: started + args.timeLimitMs, now }, opMaxChars: args.opMaxChars });
    requireClientOps(history, source);
    const model = args.model === "auto" ? chooseModel(history) : args.model;
    if (args.model === "auto") {
      record.model = model;
      record.auto = true;
      shown = `auto: ${model}`;
    }
    const missing = model === "exactly-once" ? missingIdentity(history) : undefined;
    if (missing !== undefined) {
      // Readable, but the model cannot judge it: say which fields it lacks and where.
      record.ops = pairOps(history).length;
      detail = `${source}:${lineOfOp(missing.op) ?? 1}: ${missing.message}`;
      record.reason = detail;
      htmlError = writeTimeline(history, { title: `${title}: exactly-once` });
    } else if (model === "exactly-once") {
      const r = checkExactlyOnce(history);
      verdict = r.valid;
      record.ops = r.ops;
      record.requests = r.requests;
      record.anomalies = r.anomalies.map((a) => ({ kind: a.kind, key: a.key, message: a.message, ops: a.ops.map((c) => c.invoke.index) }));
      if (r.anomalies.length > 0) detail = `${r.anomalies.length} anomal${r.anomalies.length === 1 ? "y" : "ies"}; first: ${r.anomalies[0]!.message}`;
      else if (r.unknownReason !== undefined) detail = r.unknownReason;
      if (r.unknownReason !== undefined) record.reason = r.unknownReason;
      htmlError = writeTimeline(history, { title: `${title}: exactly-once`, result: r });
    } else {
      const r = checkLinearizability(history, { model, initial, timeLimitMs: args.timeLimitMs, startedAt: started, now });
      verdict = r.valid;
      record.ops = r.ops;
      record.keys = r.keys.length;
      if (r.failure !== undefined) {
        detail = r.failure.message;
        record.failure = {
          key: r.failure.key,
          message: r.failure.message,
          op: r.failure.op.invoke.index,
          prefix_end: r.failure.prefixEnd,
          involved: r.failure.involved.map((c) => c.invoke.index),
        };
      } else if (r.unknownReason !== undefined) {
        detail = r.unknownReason;
        record.reason = r.unknownReason;
      }
      htmlError = writeTimeline(history, { title: `${title}: ${model}`, result: r });
    }
  } catch (e) {
    if (e instanceof ReadTimeLimitError) {
      // Not bad input: there was no time to read it all, so no verdict, and no timeline.
      detail = `time limit of ${args.timeLimitMs} ms reached while reading the history, at ${source}:${e.line} after ${e.events} operation events`;
      record.reason = detail;
      record.valid = "unknown";
      const ms = now() - started;
      record.ms = Math.round(ms);
      return { out: args.json ? printJson(record) : `${file}: UNKNOWN (${shown}, ${ms.toFixed(0)} ms) ${printable(detail)}`, err: undefined, verdict: "unknown", bad: false };
    }
    if (!isBadInput(e)) throw e;
    const line = e instanceof HistoryError || e instanceof ModelChoiceError ? lineOfOp(e.op) : undefined;
    detail = printable(line === undefined ? e.message : `${source}:${line}: ${e.message}`);
    record.error = detail;
    record.valid = "unknown";
    record.ms = Math.round(now() - started);
    return { out: args.json ? printJson(record) : `${file}: ERROR ${detail}`, err: undefined, verdict: "unknown", bad: true };
  }
  const ms = now() - started;
  record.valid = verdict;
  record.ms = Math.round(ms);
  // A timeline that could not be written is reported beside the verdict, which stands.
  if (htmlError !== undefined) record.html_error = htmlError;
  const word = verdict === true ? "valid" : verdict === false ? "INVALID" : "UNKNOWN";
  return {
    out: args.json ? printJson(record) : `${file}: ${word} (${shown}, ${String(record.ops)} ops, ${ms.toFixed(0)} ms)${detail === "" ? "" : " " + printable(detail)}`,
    err: htmlError === undefined ? undefined : `history-check: ${htmlError}`,
    verdict,
    bad: htmlError !== undefined,
  };
}

/** `--initial`: an EDN map of keys to values; anything else is a usage error. */
function initialValues(text: string): EdnMap {
  let value;
  try {
    value = parseEdn(text, "--initial");
  } catch (e) {
    if (e instanceof ParseError) throw new UsageError(`--initial: ${e.reason} (column ${e.column ?? 1} of '${text}')`);
    throw e;
  }
  if (!(value instanceof EdnMap)) throw new UsageError(`--initial: expected an EDN map of keys to values, such as '{:x 0 :y 0}'; got '${text}'`);
  return value;
}

/** An empty history, or one of faults only, shows nothing: it is bad input, never "valid". */
function requireClientOps(history: History, file: string): void {
  if (history.length === 0) throw new ParseError("the history has no operations; an empty history shows nothing", { source: file, line: 1 });
  if (!history.some(isClientOp)) throw new ParseError("the history has no client operations, only nemesis events", { source: file, line: 1 });
}

/** A file's size in bytes; 0 when it cannot be read (which its check then reports). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** What a path that is not a regular file is, in words. */
function kindOf(s: Stats): string {
  if (s.isDirectory()) return "it is a directory";
  if (s.isFIFO()) return "it is a FIFO (named pipe), not a regular file (to read a pipe, give - and pipe the history to standard input)";
  if (s.isSocket()) return "it is a socket, not a regular file";
  if (s.isCharacterDevice() || s.isBlockDevice()) return "it is a device, not a regular file";
  return "it is not a regular file";
}

/**
 * Heap a history takes while it is read and checked, per operation map in
 * it (an `{`): the operation, its pairing, the search's op, and their share
 * of what the search keeps, with room for the collector. Measured: a 100 MB
 * register history of 1.56 million events peaked at 1.4 GB (about 900
 * bytes an event); with a 96 MB heap, 82,000 events did not fit.
 */
const HEAP_BYTES_PER_OP = 1200;

/** Heap per byte of the history, besides its operations: the text as one string, values and keys read from it. */
const HEAP_BYTES_PER_BYTE = 2;

/**
 * Why a history of these bytes would not fit in the heap this process has
 * left, or undefined when it fits: the estimate counts the maps in it (one
 * per operation). Past the heap limit V8 ends the process with a fatal
 * error, losing every verdict, so such a file is refused instead, before
 * it is parsed.
 */
function tooLargeForHeap(bytes: Buffer): string | undefined {
  return tooLargeForHeapCounted(bytes.length, () => countMaps(bytes));
}

/** The `{` bytes in `bytes`: one per operation map, and more for maps inside values. */
function countMaps(bytes: Buffer): number {
  let maps = 0;
  for (let i = bytes.indexOf(123); i !== -1; i = bytes.indexOf(123, i + 1)) maps++;
  return maps;
}

/** tooLargeForHeap for `length` bytes holding `maps()` maps (counted only when the size alone does not settle it). */
function tooLargeForHeapCounted(length: number, countedMaps: () => number): string | undefined {
  const heap = getHeapStatistics();
  const free = heap.heap_size_limit - heap.used_heap_size;
  // A map takes two bytes at least: a file that fits even as maps alone is not counted.
  if (length * (HEAP_BYTES_PER_BYTE + HEAP_BYTES_PER_OP / 2) <= free) return undefined;
  const maps = countedMaps();
  const need = length * HEAP_BYTES_PER_BYTE + maps * HEAP_BYTES_PER_OP;
  if (need <= free) return undefined;
  const mb = (n: number): string => `${Math.ceil(n / 2 ** 20)} MB`;
  return (
    `too large for this process's memory: reading and checking its ${length} bytes (${maps} maps) takes about ${mb(need)} of heap, ` +
    `and ${mb(free)} is left of the ${mb(heap.heap_size_limit)} limit (raise it with NODE_OPTIONS=--max-old-space-size=MB)`
  );
}

/**
 * The history's text, or an error that names the file and says what is wrong
 * with it. Only a regular file is read (readRegularFileSync): a FIFO is
 * refused at once, where opening it would wait for a writer, perhaps for
 * ever; a file too large for one string is refused by its size, unread (or
 * once it grows past that while it is read); one too large for the heap
 * left, once read, before it is parsed; a file that is not UTF-8 text is
 * refused before it is parsed.
 */
function readInput(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readRegularFileSync(file, { maxBytes: HISTORY_BYTES_MAX }).bytes;
  } catch (e) {
    if (!(e instanceof ReadRegularError)) throw e;
    throw new UnreadableError(`cannot read ${file}: ${unreadableReason(e)}`);
  }
  const tooLarge = tooLargeForHeap(bytes);
  if (tooLarge !== undefined) throw new UnreadableError(`cannot read ${file}: ${tooLarge}`);
  return historyText(bytes, file);
}

/** Why a history file could not be read, in words. */
function unreadableReason(e: ReadRegularError): string {
  if (e.code === "ENOENT") return "no such file";
  if (e.code === "EACCES") return "permission denied";
  if (e.code === "NOT_A_FILE" && e.details.stats !== undefined) return kindOf(e.details.stats);
  // Refused by its size before it is read: a larger file cannot become one string.
  if (e.code === "TOO_LARGE" && e.details.grew !== true) return `file too large: ${e.details.size} bytes (limit ${e.details.limit} bytes)`;
  return e.message;
}

/** Writes one timeline; returns why it could not, if it could not. */
function writeHtml(target: string, html: string): string | undefined {
  let fd: number | undefined;
  try {
    makeDirectorySync(dirname(target));
    // Opened without blocking and looked at first: a FIFO would hold the
    // write until a reader came, perhaps never; a device (/dev/null) is written.
    fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NONBLOCK, 0o666);
    const stat = fstatSync(fd);
    if (stat.isFIFO() || stat.isSocket()) return `cannot write the timeline ${target}: ${kindOf(stat)}`;
    writeFileSync(fd, html);
    return undefined;
  } catch (e) {
    if (e instanceof DirectoryError) return `cannot write the timeline ${target}: ${e.message}`;
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "EACCES"
        ? "permission denied"
        : code === "ENOTDIR" || code === "EEXIST"
          ? "a parent is not a directory"
          : code === "ENXIO"
            ? "it is a FIFO (named pipe) or socket with no reader, not a regular file"
            : code === "EISDIR"
              ? "it is a directory"
              : (e as Error).message;
    return `cannot write the timeline ${target}: ${why}`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Reads standard input (any stream of bytes) to its end, counting bytes as
 * they come: past `limit` bytes (the longest string Node holds, for the
 * real input), or once the bytes so far would not fit in the heap left when
 * parsed (the check a file gets once read), it stops reading and says why,
 * as a file too large would be refused. Never throws for what the input is.
 */
export async function readStdin(stream: AsyncIterable<Buffer | string>, limit: number): Promise<StdinInput> {
  const chunks: Buffer[] = [];
  let length = 0;
  let maps = 0;
  try {
    for await (const piece of stream) {
      const chunk = typeof piece === "string" ? Buffer.from(piece) : piece;
      length += chunk.length;
      if (length > limit) return { error: `cannot read standard input: too large: more than ${limit} bytes (limit ${limit} bytes)` };
      maps += countMaps(chunk);
      const tooLarge = tooLargeForHeapCounted(length, () => maps);
      if (tooLarge !== undefined) return { error: `cannot read standard input: ${tooLarge}` };
      chunks.push(chunk);
    }
  } catch (e) {
    return { error: `cannot read standard input: ${(e as Error).message}` };
  }
  return { bytes: Buffer.concat(chunks, length) };
}

/** The process's standard input redirected from a directory (`- < dir`), which would read as empty: said as it is. */
function processStdinDirectory(): StdinInput | undefined {
  try {
    return fstatSync(0).isDirectory() ? { error: "cannot read standard input: it is a directory" } : undefined;
  } catch {
    return undefined;
  }
}

/** The text `-` read, or the error that says why it could not be read. */
function stdinText(stdin: StdinInput | undefined): string {
  if (stdin === undefined) throw new Error("standard input was not read before it was checked");
  if ("error" in stdin) throw new UnreadableError(stdin.error);
  return historyText(stdin.bytes, STDIN_SOURCE);
}

/** How many bytes `-` read (0 when it could not be read), to hand out the files largest first. */
function stdinSize(stdin: StdinInput | undefined): number {
  return stdin !== undefined && "bytes" in stdin ? stdin.bytes.length : 0;
}
