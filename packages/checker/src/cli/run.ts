/**
 * The `history-check` command as a function: arguments in, lines out, an
 * exit code back. `history-check.ts` is the thin shell that binds it to the
 * process.
 *
 * Exit codes are the dslab table (`@dslab/protocol/cli`): a history that
 * cannot be read or parsed is bad input (4); anything else thrown while a
 * history is checked is a bug and is not caught here, so the shell reports
 * it with its stack (70), never as bad input.
 *
 * This module holds only what `--help` and a usage error need: the checkers
 * (check-files.ts) are imported once the arguments are good, and the
 * timeline renderer only with --html, so `history-check --help` starts
 * without them.
 */
import { EXIT as CLI_EXIT, exitCodeHelp, intOption, parseOptions, UsageError } from "@dslab/protocol/cli";
// The help names the history size limit (HISTORY_BYTES_MAX of formats/text-input.ts) without loading the readers.
import { constants as bufferConstants } from "node:buffer";

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

/**
 * `workerData.role` of a thread that `--jobs` starts to check files
 * (cli/threads.ts): the command's shell serves checks there instead of
 * running the command.
 */
export const CHECK_THREAD_ROLE = "history-check: check files";

/** Most threads `--jobs` may ask for. */
export const JOBS_MAX = 256;

/** Seconds a file may take before its verdict is unknown. */
export const DEFAULT_TIME_LIMIT_S = 60;

/**
 * Characters one operation may take in a file: preparing one value for the
 * search (its canonical text made, its items interned) is not interrupted
 * by the time limit, and this bounds it to well under a second.
 */
export const DEFAULT_OP_MAX_CHARS = 2_000_000;

const MODELS = ["register", "kv", "counter", "multi-register", "exactly-once", "auto"] as const;
export type CliModel = (typeof MODELS)[number];

export const USAGE = `Usage: history-check FILE... --model register|kv|counter|multi-register|exactly-once|auto [options]

Checks Jepsen-style histories (EDN history.edn as one map per line, one vector
or one list of maps; 6.824 kv logs; or JSON lines), UTF-8 text of at most
${bufferConstants.MAX_STRING_LENGTH} bytes: a larger file or one that is not text (a NUL
byte, a byte that is not UTF-8) is refused unread (exit 4), and so is one that
would not fit in the heap left once parsed (about 1,200 bytes per operation;
NODE_OPTIONS=--max-old-space-size=MB gives Node more).

  -                  (as a FILE) read one history from standard input, at most once, e.g.
                     zcat h.edn.gz | history-check - --model auto; EDN or JSON, told
                     by its content as for a file, with the same limits (counted
                     as the bytes come in). Messages place it as <stdin>:line,
                     its timeline is --html OUT, or OUT/stdin.html in a directory.
                     A pipe named as a path (/dev/stdin, a FIFO) is refused: give -

  --model M          register        read/write/cas, Maelstrom lin-kv semantics ([key value] tuples split by key)
                     kv              get/put/append on strings, split by :key (6.824 / porcupine)
                     counter         incr (or add) and read
                     multi-register  Knossos' :txn of [:read k v] / [:write k v] micro-ops, atomic
                                     over several keys; split by the keys transactions share
                     exactly-once    append/incr workloads with client_id and seq
                     auto            each file's own model, told by its operations: cas ->
                                     register, get/put/append -> kv, incr/add -> counter,
                                     txn -> multi-register, append/incr with client_id or
                                     seq -> exactly-once, read/write alone -> register; a
                                     file that fits none is an error (exit 4)
  --initial EDN      multi-register (or auto): each key's value before the history, e.g.
                     '{:x 0 :y 0}' (a key not in it starts as nil)
  --html OUT         write an HTML timeline to OUT (creating its directory); with
                     several FILEs (or when OUT is a directory) write
                     OUT/<file name>.html for each
  --time-limit-s N   give up on a file after N seconds (verdict unknown); default ${DEFAULT_TIME_LIMIT_S}.
                     Counted from when the file is opened (for -, once it is read):
                     reading and parsing (every format, every MiB), preparing
                     the operations and the search all stop when the time is
                     up. One string is read, and one value prepared for the
                     search, to its end: a huge one ends it a little late.
                     The exactly-once check itself is not limited (its search for
                     sums is capped instead); reading its file is
  --op-max-chars N   the most characters one operation may take in a file (default
                     ${DEFAULT_OP_MAX_CHARS}): a longer one is refused (exit 4) as soon as it
                     is read that far. Preparing one value for the search is
                     not interrupted by --time-limit-s; this bounds it (about
                     half a second at the default). Raise it for histories
                     of huge values
  --json             one JSON object per file instead of a summary line
  --jobs N           check the files on N threads; default: one per two cores,
                     at most one per file and one per 4 MiB of input. The
                     output is in the order of the FILEs whatever N is
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
  /**
   * The module each worker thread of `--jobs` runs (default: the command's
   * launcher, bin/history-check.js): it must serve checks (`serveChecks`)
   * when its `workerData.role` is CHECK_THREAD_ROLE.
   */
  threadEntry?: URL;
  /** Standard input, read when `-` is one of the FILEs (default: the process's). */
  stdin?: () => AsyncIterable<Buffer | string>;
}

/** The command line, parsed. */
export interface Parsed {
  files: string[];
  model: CliModel;
  html: string | undefined;
  /** `--initial`, as given (read as EDN when the files are checked). */
  initial: string | undefined;
  timeLimitMs: number;
  /** `--op-max-chars`: the most characters one operation may take. */
  opMaxChars: number;
  json: boolean;
  /** `--jobs`: threads that check files; undefined: one per available core. */
  jobs: number | undefined;
  help: boolean;
}

const OPTIONS = {
  model: { type: "string" },
  html: { type: "string" },
  initial: { type: "string" },
  "time-limit-s": { type: "string" },
  "op-max-chars": { type: "string" },
  json: { type: "boolean", default: false },
  jobs: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

function parse(argv: string[]): Parsed {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (values.help) return { files: [], model: "register", html: undefined, initial: undefined, timeLimitMs: 0, opMaxChars: DEFAULT_OP_MAX_CHARS, json: false, jobs: undefined, help: true };
  if (values.model === undefined) throw new UsageError("--model is required (register, kv, counter, multi-register, exactly-once or auto)");
  if (!(MODELS as readonly string[]).includes(values.model)) throw new UsageError(`unknown --model '${values.model}': use register, kv, counter, multi-register, exactly-once or auto`);
  if (values.initial !== undefined && values.model !== "multi-register" && values.model !== "auto") throw new UsageError(`--initial is for --model multi-register (each key's value before the history), not ${values.model}`);
  if (positionals.length === 0) throw new UsageError("no history FILE given");
  if (positionals.filter((f) => f === "-").length > 1) throw new UsageError("- (standard input) is given twice; it can be read once");
  if (values.html === "") throw new UsageError("--html: needs the file (or directory) to write the timeline to");
  if (values.html === "-") throw new UsageError("--html -: a timeline is written to a file (standard output carries the verdicts); name one, e.g. --html timeline.html");
  let timeLimitMs = DEFAULT_TIME_LIMIT_S * 1000;
  if (values["time-limit-s"] !== undefined) {
    const n = Number(values["time-limit-s"]);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--time-limit-s: expected a positive number of seconds, got '${values["time-limit-s"]}'`);
    timeLimitMs = n * 1000;
  }
  const jobs = intOption(values.jobs, "jobs", { min: 1, max: JOBS_MAX });
  const opMaxChars = intOption(values["op-max-chars"], "op-max-chars", { min: 1 }) ?? DEFAULT_OP_MAX_CHARS;
  return { files: positionals, model: values.model as CliModel, html: values.html, initial: values.initial, timeLimitMs, opMaxChars, json: values.json === true, jobs, help: false };
}

/** Runs the command; a usage error is thrown as a UsageError, a bug as whatever it is. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const args = parse(argv);
  if (args.help) {
    io.out(USAGE.trimEnd());
    return EXIT.valid;
  }
  const [{ checkFiles }, timeline] = await Promise.all([import("./check-files.js"), args.html === undefined ? undefined : import("../render/timeline.js")]);
  return checkFiles(args, io, timeline?.renderTimelineHtml);
}
