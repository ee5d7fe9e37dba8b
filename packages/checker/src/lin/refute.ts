/**
 * A quick proof that a register history is not linearizable, without the
 * search: a read that returned v when every operation that could have set v
 * was definitely overwritten before the read was called (a stale read), or
 * when nothing that could set v was called before the read returned (a value
 * from nowhere, or from the future).
 *
 * Why it is sound: take any linearization and the last op before the read
 * that set v (a write of v, a cas to v, or the initial state). It completed
 * before some definite overwrite q was called (q sets another value: an ok
 * write or an ok cas), and q completed before the read was called, so q sits
 * between them in every linearization, and nothing sets v again in between.
 *
 * The search reaches the same verdict, but on one key with dozens of
 * concurrent writers it has to rule out every order of them first, which
 * can take longer than any budget. This costs O(n log n).
 */
import type { LinOp, State } from "./model.js";

export interface Refutation {
  /** The read that no order explains. */
  read: LinOp;
  /**
   * History index from which on it holds: every prefix that ends here or
   * later is not linearizable. The read's return, or later when a failed op
   * that could have set its value was still open then (and so might have
   * happened, as far as that prefix knows).
   */
  end: number;
  /** The op that last set the value it returned (undefined: the initial state, or nothing). */
  producer: LinOp | undefined;
  /** The op that overwrote it before the read was called (undefined: nothing set the value in time). */
  overwrite: LinOp | undefined;
}

/** The two earliest-returning overwrites with different values, among those called after some point. */
interface Best {
  first: LinOp | undefined;
  /** The earliest-returning one whose value differs from `first`'s. */
  other: LinOp | undefined;
}

const written = (op: LinOp): State => (op.kind === "write" ? op.arg : op.arg2);

/**
 * Register ops of one key (reads, writes, cas; before pruning) and the
 * failed ones (which did not happen, but were open until they failed).
 * Returns the refutation that holds earliest, or undefined when none is
 * found (which proves nothing: the search decides).
 */
export function refuteRegister(ops: readonly LinOp[], failed: readonly LinOp[], init: State): Refutation | undefined {
  // Ops that definitely set the state: ok writes and ok cas.
  const overwrites = ops.filter((op) => op.definite && !op.readOnly).sort((a, b) => a.call.callIndex - b.call.callIndex);
  // suffix[i]: the best overwrites among overwrites[i..].
  const suffix: Best[] = new Array<Best>(overwrites.length + 1);
  suffix[overwrites.length] = { first: undefined, other: undefined };
  for (let i = overwrites.length - 1; i >= 0; i--) suffix[i] = add(suffix[i + 1]!, overwrites[i]!);
  /** The earliest overwrite with a value other than v called after history index t. */
  const overwriteAfter = (t: number, v: State): LinOp | undefined => {
    let lo = 0;
    let hi = overwrites.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (overwrites[mid]!.call.callIndex > t) hi = mid;
      else lo = mid + 1;
    }
    const best = suffix[lo]!;
    return best.first !== undefined && written(best.first) !== v ? best.first : best.other;
  };
  // Per value: who can set it, by call, with how soon it was surely overwritten.
  interface Producer {
    op: LinOp | undefined;
    callIndex: number;
    overwrite: LinOp | undefined;
  }
  const producers = new Map<State, Producer[]>();
  const addProducer = (v: State, op: LinOp | undefined, callIndex: number, returnIndex: number) => {
    let list = producers.get(v);
    if (list === undefined) producers.set(v, (list = []));
    list.push({ op, callIndex, overwrite: returnIndex === Infinity ? undefined : overwriteAfter(returnIndex, v) });
  };
  addProducer(init, undefined, -1, -1);
  for (const op of ops) if (!op.readOnly) addProducer(written(op), op, op.call.callIndex, op.call.returnIndex);
  // Per value, by call: the latest "surely overwritten by" so far (Infinity: one may still hold).
  const prefixWorst = new Map<State, Array<{ callIndex: number; until: number; producer: Producer }>>();
  for (const [v, list] of producers) {
    list.sort((a, b) => a.callIndex - b.callIndex);
    let worst: { callIndex: number; until: number; producer: Producer } | undefined;
    const out = [];
    for (const p of list) {
      const until = p.overwrite === undefined ? Infinity : p.overwrite.call.returnIndex;
      if (worst === undefined || until >= worst.until) worst = { callIndex: p.callIndex, until, producer: p };
      out.push({ callIndex: p.callIndex, until: worst.until, producer: worst.producer });
    }
    prefixWorst.set(v, out);
  }
  // Failed ops that could have set a value, by call, each with the latest
  // failure among those called so far: a read finds how long the ones
  // called before its return stayed open by one binary search.
  const failedBy = new Map<State, LinOp[]>();
  for (const op of failed) {
    if (op.readOnly) continue;
    let list = failedBy.get(written(op));
    if (list === undefined) failedBy.set(written(op), (list = []));
    list.push(op);
  }
  const failedUntil = new Map<State, { calls: number[]; until: number[] }>();
  for (const [v, list] of failedBy) {
    list.sort((a, b) => a.call.callIndex - b.call.callIndex);
    const until: number[] = [];
    for (const f of list) until.push(Math.max(until.at(-1) ?? -1, f.call.returnIndex));
    failedUntil.set(v, { calls: list.map((f) => f.call.callIndex), until });
  }
  /** The latest return among the failed ops that could set v and were called before history index t; -1 for none. */
  const failedOpenUntil = (v: State, t: number): number => {
    const f = failedUntil.get(v);
    if (f === undefined) return -1;
    let lo = 0;
    let hi = f.calls.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (f.calls[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? -1 : f.until[lo - 1]!;
  };
  let found: Refutation | undefined;
  for (const read of ops) {
    if (read.kind !== "read" || !read.definite) continue;
    if (found !== undefined && read.call.returnIndex >= found.end) continue;
    const list = prefixWorst.get(read.out) ?? [];
    // The producers called before the read returned.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.callIndex < read.call.returnIndex) lo = mid + 1;
      else hi = mid;
    }
    let refuted: Omit<Refutation, "end"> | undefined;
    if (lo === 0) refuted = { read, producer: undefined, overwrite: undefined };
    else {
      const worst = list[lo - 1]!;
      if (worst.until < read.call.callIndex) refuted = { read, producer: worst.producer.op, overwrite: worst.producer.overwrite };
    }
    if (refuted === undefined) continue;
    const end = Math.max(read.call.returnIndex, failedOpenUntil(read.out, read.call.returnIndex));
    if (found === undefined || end < found.end) found = { ...refuted, end };
  }
  return found;
}

function add(best: Best, op: LinOp): Best {
  const { first, other } = best;
  if (first === undefined || op.call.returnIndex < first.call.returnIndex) {
    return written(op) !== (first === undefined ? undefined : written(first)) ? { first: op, other: first } : { first: op, other };
  }
  if (written(op) !== written(first) && (other === undefined || op.call.returnIndex < other.call.returnIndex)) return { first, other: op };
  return best;
}
