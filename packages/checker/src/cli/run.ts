/**
 * The `history-check` command as a function: arguments in, lines out, an
 * exit code back. `history-check.ts` is the thin shell that binds it to the
 * process.
 *
 * Exit codes are the dslab table (`@dslab/protocol/cli`): a history that
 * cannot be read or parsed is bad input (4); anything else thrown while a
 * history is checked is a bug and is not caught here, so the shell reports
 * it with its stack (70), never as bad input.
 */
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
import { EXIT as CLI_EXIT, exitCodeHelp, InputError, parseOptions, UsageError } from "@dslab/protocol/cli";
import { checkExactlyOnce } from "../exactly-once/check.js";
import { missingIdentity } from "../exactly-once/identity.js";
import { lineOfOp, readHistory } from "../formats/history-io.js";
import type { History } from "../history/op.js";
import { isClientOp } from "../history/op.js";
import { HistoryError, pairOps } from "../history/pair.js";
import { ParseError } from "../formats/parse-error.js";
import { printJson } from "../formats/json.js";
import type { JsonValue } from "../formats/json.js";
import { checkLinearizability } from "../lin/check.js";
import { renderTimelineHtml } from "../render/timeline.js";

export const EXIT = {
  /** Every history is valid. */
  valid: CLI_EXIT.ok,
  /** At least one history is invalid. */
  invalid: CLI_EXIT.negative,
  /** Bad command line. */
  usage: CLI_EXIT.usage,
  /** None is invalid, but at least one could not be decided (time or memory ran out). */
  unknown: CLI_EXIT.unknown,
  /** None is invalid, but a file could not be read or parsed (or a timeline could not be written). */
  badInput: CLI_EXIT.badInput,
} as const;

/** Seconds a file may take before its verdict is unknown. */
export const DEFAULT_TIME_LIMIT_S = 60;

const MODELS = ["register", "kv", "counter", "exactly-once"] as const;
type CliModel = (typeof MODELS)[number];

export const USAGE = `Usage: history-check FILE... --model register|kv|counter|exactly-once [options]

Checks Jepsen-style histories (EDN history.edn, 6.824 kv logs, or JSON lines).

  --model M          register      read/write/cas, Maelstrom lin-kv semantics ([key value] tuples split by key)
                     kv            get/put/append on strings, split by :key (6.824 / porcupine)
                     counter       incr (or add) and read
                     exactly-once  append/incr workloads with client_id and seq
  --html OUT         write an HTML timeline to OUT (creating its directory); with
                     several FILEs (or when OUT is a directory) write
                     OUT/<file name>.html for each
  --time-limit-s N   give up on a file after N seconds (verdict unknown); default ${DEFAULT_TIME_LIMIT_S}
  --json             one JSON object per file instead of a summary line
  --version          print the version
  -h, --help         this text

With several files the exit code is the worst: 1 if any history is invalid,
else 4 if any file could not be read or parsed (or a timeline could not be
written), else 3 if any verdict is unknown.

${exitCodeHelp()}
`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  now: () => number;
}

interface Parsed {
  files: string[];
  model: CliModel;
  html: string | undefined;
  timeLimitMs: number;
  json: boolean;
  help: boolean;
}

const OPTIONS = {
  model: { type: "string" },
  html: { type: "string" },
  "time-limit-s": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

function parse(argv: string[]): Parsed {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (values.help) return { files: [], model: "register", html: undefined, timeLimitMs: 0, json: false, help: true };
  if (values.model === undefined) throw new UsageError("--model is required (register, kv, counter or exactly-once)");
  if (!(MODELS as readonly string[]).includes(values.model)) throw new UsageError(`unknown --model '${values.model}': use register, kv, counter or exactly-once`);
  if (positionals.length === 0) throw new UsageError("no history FILE given");
  let timeLimitMs = DEFAULT_TIME_LIMIT_S * 1000;
  if (values["time-limit-s"] !== undefined) {
    const n = Number(values["time-limit-s"]);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--time-limit-s: expected a positive number of seconds, got '${values["time-limit-s"]}'`);
    timeLimitMs = n * 1000;
  }
  return { files: positionals, model: values.model as CliModel, html: values.html, timeLimitMs, json: values.json === true, help: false };
}

/** A history that cannot be read: bad input, like a ParseError. */
class UnreadableError extends Error {
  readonly code = "E_UNREADABLE";
}

/** Errors that mean "this file is bad input"; anything else is a bug. */
function isBadInput(e: unknown): e is Error {
  return e instanceof ParseError || e instanceof HistoryError || e instanceof UnreadableError;
}

type Verdict = true | false | "unknown";

/** Runs the command; a usage error is thrown as a UsageError, a bug as whatever it is. */
export function runCli(argv: string[], io: CliIo): number {
  const args = parse(argv);
  if (args.help) {
    io.out(USAGE.trimEnd());
    return EXIT.valid;
  }
  if (args.html !== undefined && args.files.length > 1) {
    try {
      mkdirSync(args.html, { recursive: true });
    } catch (e) {
      throw new InputError(`--html ${args.html}: cannot create the directory: ${(e as Error).message}`, { cause: e });
    }
  }
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
        if (args.html !== undefined) htmlError = writeHtml(args.html, args.files.length, file, renderTimelineHtml(history, { title: `${basename(file)}: exactly-once` }));
      } else if (args.model === "exactly-once") {
        const r = checkExactlyOnce(history);
        verdict = r.valid;
        record.ops = r.ops;
        record.requests = r.requests;
        record.anomalies = r.anomalies.map((a) => ({ kind: a.kind, key: a.key, message: a.message, ops: a.ops.map((c) => c.invoke.index) }));
        if (r.anomalies.length > 0) detail = `${r.anomalies.length} anomal${r.anomalies.length === 1 ? "y" : "ies"}; first: ${r.anomalies[0]!.message}`;
        else if (r.unknownReason !== undefined) detail = r.unknownReason;
        if (r.unknownReason !== undefined) record.reason = r.unknownReason;
        if (args.html !== undefined) htmlError = writeHtml(args.html, args.files.length, file, renderTimelineHtml(history, { title: `${basename(file)}: exactly-once`, result: r }));
      } else {
        const r = checkLinearizability(history, { model: args.model, timeLimitMs: args.timeLimitMs, now: io.now });
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
        if (args.html !== undefined) htmlError = writeHtml(args.html, args.files.length, file, renderTimelineHtml(history, { title: `${basename(file)}: ${args.model}`, result: r }));
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
