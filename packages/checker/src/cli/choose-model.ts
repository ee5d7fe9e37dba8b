/**
 * `--model auto`: the model a history's own operations call for, so that one
 * command checks a directory of mixed histories (etcd-like registers beside
 * 6.824 kv logs, as porcupine's test data is) with no `--model` per file.
 *
 * Each model has functions that only it takes (its own: cas, get, incr,
 * txn, ...) and functions it takes besides. A history fits a model when it
 * calls one of that model's own functions and nothing the model does not
 * take. Read and write are the register's own, though others take them
 * too: a history of nothing else is a register's. No history fits two
 * models, since the register takes no other model's own functions, and no
 * other model takes another's. Appends and increments carrying a request
 * identity (`client_id` or `seq`) are the exactly-once check's, whatever
 * else the history does.
 */
import type { History, Op } from "../history/op.js";
import { isClientOp } from "../history/op.js";
import { pairOps } from "../history/pair.js";

export type ChosenModel = "register" | "kv" | "counter" | "multi-register" | "exactly-once";

interface ModelFunctions {
  model: ChosenModel;
  /** Functions that only this model takes: a history calling one is this model's. */
  own: readonly string[];
  /** Every function the model takes. */
  takes: readonly string[];
}

/** In the order the usage text and the README list them. */
const MODELS: readonly ModelFunctions[] = [
  { model: "register", own: ["cas", "read", "write"], takes: ["read", "write", "cas"] },
  { model: "kv", own: ["get", "put", "append"], takes: ["get", "put", "append", "read", "write"] },
  { model: "counter", own: ["incr", "add"], takes: ["incr", "add", "read"] },
  { model: "multi-register", own: ["txn"], takes: ["txn", "read", "write"] },
];

const EXACTLY_ONCE: ModelFunctions = { model: "exactly-once", own: ["append", "incr", "add"], takes: ["append", "incr", "add", "read", "get"] };

/** The writes that carry a request identity in an exactly-once workload. */
const IDENTIFIED_WRITES = new Set(EXACTLY_ONCE.own);

/** What `--model auto` tells of each model, for an error that says why none fits. */
export const AUTO_MODEL_RULES =
  "register: read, write, cas; kv: get, put, append (and read, write); counter: incr or add, and read; " +
  "multi-register: txn; exactly-once: append, incr or add with client_id and seq";

/** A history whose operations fit no one model: bad input, with the op that tipped it. */
export class ModelChoiceError extends Error {
  readonly code = "E_MODEL_CHOICE";
  constructor(
    message: string,
    readonly op: Op,
  ) {
    super(message);
    this.name = "ModelChoiceError";
  }
}

function takesAll(m: ModelFunctions, fs: ReadonlySet<string>): boolean {
  for (const f of fs) if (!m.takes.includes(f)) return false;
  return true;
}

/**
 * The one model `history`'s client operations fit, or a ModelChoiceError
 * naming the first invoke that leaves none (its function and the ones
 * before it) and what each model takes.
 */
export function chooseModel(history: History): ChosenModel {
  // One pass for the functions called and whether a write carries an identity; the op that tips is looked for only when none fits.
  const fs = new Set<string>();
  let identified = false;
  for (let i = 0; i < history.length; i++) {
    const op = history[i]!;
    if (op.type !== "invoke") continue;
    if (!identified && (op.client_id !== undefined || op.seq !== undefined) && IDENTIFIED_WRITES.has(op.f) && isClientOp(op)) identified = true;
    if (!fs.has(op.f) && isClientOp(op)) fs.add(op.f);
  }
  const candidates = identified ? [EXACTLY_ONCE] : MODELS;
  const chosen = candidates.find((m) => takesAll(m, fs) && m.own.some((f) => fs.has(f)));
  if (chosen !== undefined) return chosen.model;
  const seen = new Set<string>();
  const firstOf = new Map<string, Op>();
  for (const op of history) {
    if (op.type !== "invoke" || seen.has(op.f) || !isClientOp(op)) continue;
    seen.add(op.f);
    firstOf.set(op.f, op);
    if (!candidates.some((m) => takesAll(m, seen))) throw new ModelChoiceError(noFit(op, firstOf, identified), op);
  }
  // Reached only with no invoke at all: completions alone, which pairing refuses, naming the first.
  pairOps(history);
  throw new ModelChoiceError(`--model auto has no operation to tell the model by; give --model (${AUTO_MODEL_RULES})`, history.find(isClientOp) ?? history[0]!);
}

function noFit(op: Op, firstOf: ReadonlyMap<string, Op>, identified: boolean): string {
  const before = [...firstOf].filter(([f]) => f !== op.f).map(([f, o]) => `:${f} (op ${o.index})`);
  const what = identified ? "an exactly-once workload (its appends or increments carry client_id or seq)" : "any one model";
  const why = before.length === 0 ? `op ${op.index}: :f :${op.f} is not an operation of ${what}` : `op ${op.index}: :f :${op.f} does not fit ${what} together with ${before.join(", ")}`;
  return `--model auto cannot tell the model: ${why}; give --model (${AUTO_MODEL_RULES})`;
}
