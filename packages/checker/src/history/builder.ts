/**
 * Builds a history as a workload runs: call `invoke` when a client sends a
 * request and `ok`/`fail`/`info` when the answer (or a timeout) comes back.
 * Indexes are assigned in call order; completions copy `f` (and by default
 * `key`, `client_id`, `seq`) from the open invoke of the same process.
 */
import type { History, Op, Process, Value } from "./op.js";
import { NEMESIS } from "./op.js";

export interface InvokeFields {
  time?: number;
  key?: Value;
  client_id?: string;
  seq?: number;
  extra?: Record<string, Value>;
}

export interface CompleteFields {
  time?: number;
  error?: Value;
  extra?: Record<string, Value>;
}

export class HistoryBuilder {
  private readonly ops: Op[] = [];
  /** Each process's open invoke; emptied, never deleted, when it completes (see `pairOps`). */
  private readonly open = new Map<Process, Op | undefined>();

  invoke(process: Process, f: string, value: Value, fields: InvokeFields = {}): Op {
    if (this.open.get(process) !== undefined) {
      throw new Error(`HistoryBuilder: process ${String(process)} invokes :${f} while op ${this.open.get(process)!.index} is still open; complete it (info if unknown) first`);
    }
    const op: Op = { index: this.ops.length, process, type: "invoke", f, value, ...fields };
    this.ops.push(op);
    this.open.set(process, op);
    return op;
  }

  /** It happened; `value` is what it returned (defaults to the invoke's value). */
  ok(process: Process, value?: Value, fields: CompleteFields = {}): Op {
    return this.complete(process, "ok", value, fields);
  }

  /** It certainly did not happen (a definite error). */
  fail(process: Process, fields: CompleteFields = {}): Op {
    return this.complete(process, "fail", undefined, fields);
  }

  /** Unknown whether it happened (timeout, crash, indefinite error). */
  info(process: Process, fields: CompleteFields = {}): Op {
    return this.complete(process, "info", undefined, fields);
  }

  /** A fault event (partition, kill, ...), shown on the timeline, ignored by checkers. */
  nemesis(f: string, value: Value, fields: CompleteFields = {}): Op {
    const op: Op = { index: this.ops.length, process: NEMESIS, type: "info", f, value, ...fields };
    this.ops.push(op);
    return op;
  }

  /** Processes with an operation still open, in the order of those invokes. */
  pending(): Process[] {
    const open: Op[] = [];
    for (const op of this.open.values()) if (op !== undefined) open.push(op);
    return open.sort((a, b) => a.index - b.index).map((op) => op.process);
  }

  build(): History {
    return this.ops.slice();
  }

  private complete(process: Process, type: "ok" | "fail" | "info", value: Value | undefined, fields: CompleteFields): Op {
    const inv = this.open.get(process);
    if (inv === undefined) throw new Error(`HistoryBuilder: process ${String(process)} completes with no open invoke`);
    this.open.set(process, undefined);
    const op: Op = {
      index: this.ops.length,
      process,
      type,
      f: inv.f,
      value: value === undefined ? inv.value : value,
    };
    if (inv.key !== undefined) op.key = inv.key;
    if (inv.client_id !== undefined) op.client_id = inv.client_id;
    if (inv.seq !== undefined) op.seq = inv.seq;
    Object.assign(op, fields);
    this.ops.push(op);
    return op;
  }
}
