/**
 * The history model: a Jepsen-style list of operations. A client operation
 * appears twice: once as an `invoke` when the client calls it, and once as
 * its completion (`ok`, `fail` or `info`) when the answer comes back.
 *
 * - `ok`: it happened, and `value` is what it returned.
 * - `fail`: it certainly did not happen and never will (a *definite* error).
 * - `info`: unknown (a timeout, a crash, an *indefinite* error). It may have
 *   taken effect at any moment after its invoke, or never.
 * - An invoke with no completion at all is treated like `info`.
 *
 * The order of the list is real time: an operation whose completion comes
 * before another's invoke happened before it.
 */
import type { EdnValue } from "../formats/edn.js";

export type OpType = "invoke" | "ok" | "fail" | "info";

export const OP_TYPES: readonly OpType[] = ["invoke", "ok", "fail", "info"];

/** Jepsen processes are integers; `"nemesis"` (EDN `:nemesis`) marks fault events. */
export type Process = number | string;

/** Values are EDN values: plain JS for nil, booleans, numbers, strings and vectors (arrays). */
export type Value = EdnValue;

export interface Op {
  /** Position of this event in the history, from 0. */
  index: number;
  process: Process;
  type: OpType;
  /** The function: `read`, `write`, `cas`, `get`, `put`, `append`, `incr`, ... */
  f: string;
  /**
   * Invoke: the argument (`write 3`, `cas [1 2]`, lin-kv `[key value]`).
   * ok: the result (`read` -> the value read, `append` -> the list after).
   */
  value: Value;
  /** Nanoseconds since the test began, when known (Jepsen `:time`). */
  time?: number;
  /** The key, for 6.824-style kv histories and dslab's own keyed workloads. */
  key?: Value;
  /** The error of a fail or info completion, as recorded. */
  error?: Value;
  /** The request identity of a mutating operation (exactly-once workloads). */
  client_id?: string;
  /** Per-client sequence number, with `client_id`. */
  seq?: number;
  /** Any other fields, kept so that a history reads and writes back unchanged. */
  extra?: Record<string, Value>;
}

export type History = readonly Op[];

export const NEMESIS: Process = "nemesis";

export function isClientOp(op: Op): boolean {
  return op.process !== NEMESIS;
}
