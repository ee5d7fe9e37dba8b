/**
 * The work of `history-check` once its arguments are good: each file read,
 * parsed and checked, a verdict line (or JSON object) per file, and the exit
 * code of the worst. run.ts imports it after parsing, so `--help` and usage
 * errors never load the checkers.
 *
 * A history that cannot be read or parsed is bad input (4); anything else
 * thrown while a history is checked is a bug and is not caught here.
 */
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError, UsageError } from "@dslab/protocol/cli";
import { checkExactlyOnce } from "../exactly-once/check.js";
import { missingIdentity } from "../exactly-once/identity.js";
import { EdnMap, parseEdn } from "../formats/edn.js";
import { lineOfOp, readHistory } from "../formats/history-io.js";
import type { History } from "../history/op.js";
import { isClientOp } from "../history/op.js";
import { HistoryError, pairOps } from "../history/pair.js";
import { ParseError } from "../formats/parse-error.js";
import { printJson } from "../formats/json.js";
import type { JsonValue } from "../formats/json.js";
import { checkLinearizability } from "../lin/check.js";
import type { renderTimelineHtml } from "../render/timeline.js";
import { EXIT, type CliIo, type Parsed } from "./run.js";

/** A history that cannot be read: bad input, like a ParseError. */
class UnreadableError extends Error {
  readonly code = "E_UNREADABLE";
}

/** Errors that mean "this file is bad input"; anything else is a bug. */
function isBadInput(e: unknown): e is Error {
  return e instanceof ParseError || e instanceof HistoryError || e instanceof UnreadableError;
}

type Verdict = true | false | "unknown";

/**
 * Checks every file of `args`; `render` (the timeline renderer) is given
 * exactly when `args.html` is, and writes each file's timeline.
 */
export function checkFiles(args: Parsed, io: CliIo, render: typeof renderTimelineHtml | undefined): number {
  const writeTimeline = (file: string, history: History, options: Parameters<typeof renderTimelineHtml>[1]): string | undefined =>
    args.html === undefined || render === undefined ? undefined : writeHtml(args.html, args.files.length, file, render(history, options));
  if (args.html !== undefined && args.files.length > 1) {
    try {
      mkdirSync(args.html, { recursive: true });
    } catch (e) {
      throw new InputError(`--html ${args.html}: cannot create the directory: ${(e as Error).message}`, { cause: e });
    }
  }
  const initial = args.initial === undefined ? undefined : initialValues(args.initial);
  let anyInvalid = false;
  let anyUnknown = false;
  let anyBad = false;
  for (const file of args.files) {
    const started = io.now();
    const record: { [key: string]: JsonValue } = { file, model: args.model };
    let verdict: Verdict = "unknown";
    let detail = "";
    let htmlError: string | undefined;
    try {
      const text = readInput(file);
      const history = readHistory(text, { source: file });
      requireClientOps(history, file);
      const missing = args.model === "exactly-once" ? missingIdentity(history) : undefined;
      if (missing !== undefined) {
        // Readable, but the model cannot judge it: say which fields it lacks and where.
        record.ops = pairOps(history).length;
        detail = `${file}:${lineOfOp(missing.op) ?? 1}: ${missing.message}`;
        record.reason = detail;
        htmlError = writeTimeline(file, history, { title: `${basename(file)}: exactly-once` });
      } else if (args.model === "exactly-once") {
        const r = checkExactlyOnce(history);
        verdict = r.valid;
        record.ops = r.ops;
        record.requests = r.requests;
        record.anomalies = r.anomalies.map((a) => ({ kind: a.kind, key: a.key, message: a.message, ops: a.ops.map((c) => c.invoke.index) }));
        if (r.anomalies.length > 0) detail = `${r.anomalies.length} anomal${r.anomalies.length === 1 ? "y" : "ies"}; first: ${r.anomalies[0]!.message}`;
        else if (r.unknownReason !== undefined) detail = r.unknownReason;
        if (r.unknownReason !== undefined) record.reason = r.unknownReason;
        htmlError = writeTimeline(file, history, { title: `${basename(file)}: exactly-once`, result: r });
      } else {
        const r = checkLinearizability(history, { model: args.model, initial, timeLimitMs: args.timeLimitMs, now: io.now });
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
        htmlError = writeTimeline(file, history, { title: `${basename(file)}: ${args.model}`, result: r });
      }
    } catch (e) {
      if (!isBadInput(e)) throw e;
      const err = e;
      anyBad = true;
      const line = e instanceof HistoryError ? lineOfOp(e.op) : undefined;
      detail = line === undefined ? err.message : `${file}:${line}: ${err.message}`;
      record.error = detail;
      verdict = "unknown";
      record.valid = "unknown";
      record.ms = Math.round(io.now() - started);
      if (args.json) io.out(printJson(record));
      else io.out(`${file}: ERROR ${detail}`);
      continue;
    }
    const ms = io.now() - started;
    record.valid = verdict;
    record.ms = Math.round(ms);
    if (verdict === false) anyInvalid = true;
    if (verdict === "unknown") anyUnknown = true;
    if (htmlError !== undefined) {
      // The verdict stands; the missing picture is reported beside it.
      anyBad = true;
      record.html_error = htmlError;
      io.err(`history-check: ${htmlError}`);
    }
    if (args.json) io.out(printJson(record));
    else {
      const word = verdict === true ? "valid" : verdict === false ? "INVALID" : "UNKNOWN";
      io.out(`${file}: ${word} (${args.model}, ${String(record.ops)} ops, ${ms.toFixed(0)} ms)${detail === "" ? "" : " " + detail}`);
    }
  }
  if (anyInvalid) return EXIT.invalid;
  if (anyBad) return EXIT.badInput;
  if (anyUnknown) return EXIT.unknown;
  return EXIT.valid;
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

/** What a path that is not a regular file is, in words. */
function kindOf(s: Stats): string {
  if (s.isDirectory()) return "it is a directory";
  if (s.isFIFO()) return "it is a FIFO (named pipe), not a regular file";
  if (s.isSocket()) return "it is a socket, not a regular file";
  if (s.isCharacterDevice() || s.isBlockDevice()) return "it is a device, not a regular file";
  return "it is not a regular file";
}

/**
 * The history's text, or an error that names the file and says what is wrong
 * with it. Opened with O_NONBLOCK and checked with fstat before reading: a
 * FIFO would otherwise block the open until a writer came, perhaps never.
 */
function readInput(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw Object.assign(new Error(kindOf(stat)), { code: "E_NOT_A_FILE" });
    return readFileSync(fd, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : (e as Error).message;
    throw new UnreadableError(`cannot read ${file}: ${why}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Names used in this run, so that a/h.edn and b/h.edn do not overwrite each other. */
const htmlNames = new Set<string>();

/** Writes one timeline; returns why it could not, if it could not. */
function writeHtml(out: string, fileCount: number, file: string, html: string): string | undefined {
  const intoDir = fileCount > 1 || (existsSync(out) && statSync(out).isDirectory());
  let target = out;
  if (intoDir) {
    const base = basename(file);
    let name = `${base}.html`;
    for (let i = 2; htmlNames.has(name); i++) name = `${base}-${i}.html`;
    htmlNames.add(name);
    target = join(out, name);
  }
  try {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, html);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "EACCES" ? "permission denied" : code === "ENOTDIR" || code === "EEXIST" ? "a parent is not a directory" : (e as Error).message;
    return `cannot write the timeline ${target}: ${why}`;
  }
}
