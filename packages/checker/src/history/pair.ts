/**
 * Pairs each invoke with its completion. The checkers work on these pairs.
 */
import type { History, Op, Process, Value } from "./op.js";
import { isClientOp } from "./op.js";
import type { WorkTick } from "./work-clock.js";

export type Outcome = "ok" | "fail" | "info" | "pending";

/** One client operation from its call to its answer. */
export interface Call {
  /** Position in the array `pairOps` returns. */
  id: number;
  process: Process;
  f: string;
  invoke: Op;
  /** The ok/fail/info event; undefined if it never completed. */
  completion: Op | undefined;
  outcome: Outcome;
  /** Index in the history of the invoke event. */
  callIndex: number;
  /** Index in the history of the completion; Infinity when indefinite (info or pending). */
  returnIndex: number;
  /** Index in the history of the completion event of any type; Infinity if none. */
  completionIndex: number;
}

export class HistoryError extends Error {
  readonly code = "E_HISTORY_SHAPE";
  constructor(
    message: string,
    readonly op: Op,
  ) {
    super(message);
    this.name = "HistoryError";
  }
}

/**
 * Pairs invokes with completions, per process. Nemesis events are skipped.
 * A completion with no pending invoke, or whose `f` differs from it, is an
 * error. So is an invoke by a process whose earlier operation is still open:
 * a Jepsen process runs one operation at a time, and a client that gave up
 * completes with `info` (a crashed one continues under a new process number).
 * Guessing which invoke a later completion answers would make the verdict a
 * guess. An invoke never completed by the end of the history is pending,
 * that is indefinite. With `tick`, each operation paired counts a unit of
 * work (reported every 1,024 of them), so that a time limit can stop it.
 */
export function pairOps(history: History, tick?: WorkTick): Call[] {
  const calls: Call[] = [];
  // A completed process's entry is emptied, never deleted: V8 rehashes a Map
  // that one key keeps entering and leaving while many others stay (open
  // invokes never completed), which made pairing quadratic in them.
  const open = new Map<Process, Call | undefined>();
  for (let i = 0; i < history.length; i++) {
    if ((i & 1023) === 1023 && tick !== undefined) tick(1024);
    const op = history[i]!;
    if (!isClientOp(op)) continue;
    if (op.type === "invoke") {
      const earlier = open.get(op.process);
      if (earlier !== undefined) {
        throw new HistoryError(
          `op ${op.index}: process ${String(op.process)} invokes :${op.f} while its :${earlier.f} (op ${earlier.invoke.index}) is still open; a process runs one operation at a time`,
          op,
        );
      }
      const call: Call = {
        id: calls.length,
        process: op.process,
        f: op.f,
        invoke: op,
        completion: undefined,
        outcome: "pending",
        callIndex: i,
        returnIndex: Infinity,
        completionIndex: Infinity,
      };
      calls.push(call);
      open.set(op.process, call);
      continue;
    }
    const call = open.get(op.process);
    if (call === undefined) {
      throw new HistoryError(`op ${op.index}: process ${String(op.process)} completes :${op.f} (:${op.type}) with no invoke open`, op);
    }
    if (call.f !== op.f) {
      throw new HistoryError(
        `op ${op.index}: process ${String(op.process)} completes :${op.f} but its open invoke (op ${call.invoke.index}) is :${call.f}`,
        op,
      );
    }
    open.set(op.process, undefined);
    call.completion = op;
    call.outcome = op.type;
    call.completionIndex = i;
    if (op.type !== "info") call.returnIndex = i;
  }
  return calls;
}

/** True when the call may or may not have taken effect. */
export function isIndefinite(call: Call): boolean {
  return call.outcome === "info" || call.outcome === "pending";
}

/** The value a call returned, if it completed ok; its invoke value otherwise. */
export function resultValue(call: Call): Value {
  return call.completion !== undefined && call.outcome === "ok" ? call.completion.value : call.invoke.value;
}
