/**
 * The Wing-Gong search with Lowe's improvements, for one partition (one key).
 *
 * Events (calls and returns) sit in a doubly linked list in history order.
 * The search walks the list: at a call it tries to linearize that operation
 * now (the model accepts it in the current state), lifts it and its return
 * out of the list and restarts from the head; at a return whose operation is
 * still unlinearized it is stuck and backtracks. Operations are linearized in
 * an order that respects real time because a return is never passed.
 *
 * Memoization (Lowe): a (linearized set, state) configuration already seen
 * cannot lead anywhere new, so it is skipped. The set is encoded exactly and
 * compactly as "every op up to M, minus these holes": ops are numbered in
 * call order, M is the highest linearized one, and the holes (unlinearized
 * ops numbered below M) are few, since each definite hole overlaps op M.
 *
 * Indefinite operations (info, never completed) have no return event, so
 * nothing forces them: the search may linearize them anywhere after their
 * call or leave them out, and it succeeds once every definite operation is
 * linearized.
 *
 * On top of that, pruning rules each drop only orders that some kept order
 * dominates, and a heuristic picks what to try first: see `stillViable`
 * (lookahead), `restart` (eager reads, preferred candidate), `keepsUnseen`
 * and `useless`. The differential test against a brute-force oracle covers
 * them.
 *
 * The memo is capped; running out of it or of time gives "unknown".
 */
import type { LinOp, Model, State } from "./model.js";
import { UNSEEN, showCanon } from "./model.js";

export interface SearchBudget {
  /** Absolute time (from `now`) after which the search gives up. */
  deadline: number;
  now: () => number;
  /** Most memo entries kept for this search. */
  memoEntriesMax: number;
  /** Most memo key characters kept (about 2 bytes each). */
  memoCharsMax: number;
}

/** One step of a partial linearization: the op and the state after it. */
export interface LinStep {
  op: LinOp;
  stateAfter: string;
}

export interface PartialLinearization {
  /** The state before `steps[0]`. */
  stateBefore: string;
  /** The last operations linearized before the search got stuck (at most `PARTIAL_TAIL`). */
  steps: LinStep[];
  /** How many operations were linearized before `steps[0]`. */
  skipped: number;
}

export type SearchResult =
  | { verdict: "valid"; order: LinOp[]; explored: number; memoEntries: number }
  | {
      verdict: "invalid";
      /** The operation that could not be linearized before its return, on any path. */
      failed: LinOp;
      /** History index of its return: the history up to here cannot be linearized. */
      prefixEnd: number;
      partials: PartialLinearization[];
      explored: number;
      memoEntries: number;
    }
  | { verdict: "unknown"; reason: "time-limit" | "memo-limit"; explored: number; memoEntries: number };

const PARTIAL_TAIL = 12;
const PARTIALS_MAX = 4;
const LOOKAHEAD_READS = 3;

export function searchPartition(model: Model, input: readonly LinOp[], budget: SearchBudget): SearchResult {
  // Number ops in call order.
  const ops = input.slice().sort((a, b) => a.call.callIndex - b.call.callIndex);
  const n = ops.length;
  // Events: node 0 is the head; call and return nodes follow in history order.
  const events: Array<[pos: number, op: number, isCall: boolean]> = [];
  let definiteLeft = 0;
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    events.push([op.call.callIndex, i, true]);
    if (op.definite) {
      definiteLeft++;
      events.push([op.call.returnIndex, i, false]);
    }
  }
  events.sort((a, b) => a[0] - b[0]);
  const size = events.length + 1;
  const next = new Int32Array(size);
  const prev = new Int32Array(size);
  const nodeOp = new Int32Array(size);
  const nodeIsCall = new Uint8Array(size);
  const callNode = new Int32Array(n);
  const retNode = new Int32Array(n).fill(-1);
  for (let k = 0; k < events.length; k++) {
    const [, op, isCall] = events[k]!;
    const node = k + 1;
    nodeOp[node] = op;
    nodeIsCall[node] = isCall ? 1 : 0;
    if (isCall) callNode[op] = node;
    else retNode[op] = node;
  }
  for (let i = 0; i < size; i++) {
    next[i] = i + 1 < size ? i + 1 : -1;
    prev[i] = i - 1;
  }

  // Who could read what an indefinite blind write writes: reads of that
  // value, and cas from it (see `useless` below).
  const readers = new Map<State, number[]>();
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    const v = op.readOnly ? op.out : op.kind === "cas" ? op.arg : undefined;
    if (v === undefined) continue;
    let list = readers.get(v);
    if (list === undefined) readers.set(v, (list = []));
    list.push(i);
  }
  const linearized = new Uint8Array(n);
  // The window: calls before the first return still in the list end there.
  let windowVersion = -1;
  let windowEndPos = Infinity;
  const windowEnd = (): number => {
    if (windowVersion === version) return windowEndPos;
    windowVersion = version;
    windowEndPos = Infinity;
    for (let node = next[0]!; node !== -1; node = next[node]!) {
      if (nodeIsCall[node] === 0) {
        windowEndPos = ops[nodeOp[node]!]!.call.returnIndex;
        break;
      }
    }
    return windowEndPos;
  };
  const readerPending = (op: LinOp): boolean => {
    const list = readers.get(op.resetTo ?? null);
    if (list === undefined) return false;
    const end = windowEnd();
    for (const r of list) if (linearized[r] === 0 && ops[r]!.call.callIndex < end) return true;
    return false;
  };

  const unlink = (node: number): void => {
    const p = prev[node]!;
    const nx = next[node]!;
    next[p] = nx;
    if (nx !== -1) prev[nx] = p;
  };
  const relink = (node: number): void => {
    const p = prev[node]!;
    const nx = next[node]!;
    next[p] = node;
    if (nx !== -1) prev[nx] = node;
  };
  // Bumped whenever the list changes, so per-configuration scans can be reused.
  let version = 0;
  const lift = (op: number): void => {
    version++;
    unlink(callNode[op]!);
    const r = retNode[op]!;
    if (r !== -1) unlink(r);
  };
  const unlift = (op: number): void => {
    version++;
    const r = retNode[op]!;
    if (r !== -1) relink(r);
    relink(callNode[op]!);
  };

  // States interned to small integers for memo keys.
  const stateIds = new Map<State, number>();
  const stateId = (s: State): number => {
    let id = stateIds.get(s);
    if (id === undefined) {
      id = stateIds.size;
      stateIds.set(s, id);
    }
    return id;
  };

  // The linearized set as "all ops <= maxLin except the holes", plus the
  // state and the `unobserved` flag. Without holes (the common case) the key
  // is one number, which costs far less than a string; otherwise a string.
  const memoKey = (maxLin: number, sid: number, flag: boolean): string | number => {
    let key = "";
    for (let node = next[0]!; node !== -1; node = next[node]!) {
      if (nodeIsCall[node] === 0) continue;
      const op = nodeOp[node]!;
      if (op > maxLin) break;
      // Holes are close below maxLin: their distance in base 36 is short.
      key += (maxLin - op).toString(36) + ",";
    }
    if (key === "" && sid < 1 << 21) return maxLin * 2 ** 22 + sid * 2 + (flag ? 1 : 0);
    return maxLin + ":" + key + ":" + sid + (flag ? "!" : "");
  };

  const memo = new Set<string | number>();
  let memoChars = 0;

  const stackOp = new Int32Array(n);
  const stackMax = new Int32Array(n);
  const stackState: State[] = new Array<State>(n);
  // A frame whose op was a read that the state allowed: linearizing it at
  // once loses nothing (it changes no state, and everything that had to come
  // before it already has), so when its subtree fails the frame fails too.
  const stackForced = new Uint8Array(n);
  const stackSkip = new Int32Array(n);
  const stackUnobserved = new Uint8Array(n);
  let unobserved = false;
  let depth = 0;
  let state = model.init();
  let maxLin = -1;
  let explored = 0;

  let deepestPos = -1;
  let deepestOp = -1;
  const partials: PartialLinearization[] = [];
  const snapshot = (): PartialLinearization => {
    const from = Math.max(0, depth - PARTIAL_TAIL);
    const steps: LinStep[] = [];
    for (let d = from; d < depth; d++) {
      const after = d + 1 < depth ? stackState[d + 1]! : state;
      const op = ops[stackOp[d]!]!;
      // Name the unread value that UNSEEN stands for.
      const shown = after === UNSEEN && op.unseen !== undefined ? `${model.name === "kv" ? "…" : ""}${showCanon(op.unseen)} (never read)` : model.describeState(after);
      steps.push({ op, stateAfter: shown });
    }
    const before = from < depth ? stackState[from]! : state;
    return { stateBefore: model.describeState(before), steps, skipped: from };
  };

  // Lookahead (model.viable): every pending definite read, and the next few
  // not yet called, must still be able to return what they returned, unless
  // a resetting op may come before them. This catches a wrong order of
  // writes at once rather than at the next read's return.
  const viable = model.viable;
  const resets: LinOp[] = [];
  const reads: LinOp[] = [];
  let scannedVersion = -1;
  const stillViable = (s: State): boolean => {
    if (viable === undefined) return true;
    if (scannedVersion !== version) {
      scannedVersion = version;
      scanForLookahead();
    }
    for (const read of reads) {
      if (viable(s, read)) continue;
      let rescued = false;
      for (const r of resets) {
        if (r.call.callIndex > read.call.returnIndex) break;
        if (viable(r.resetTo ?? null, read)) {
          rescued = true;
          break;
        }
      }
      if (!rescued) return false;
    }
    return true;
  };
  // The pending reads, the next few upcoming ones, and the resetting ops that
  // could come before them (the candidate being tried may be among these:
  // that only makes the check weaker, never wrong).
  const scanForLookahead = (): void => {
    resets.length = 0;
    reads.length = 0;
    let inWindow = true;
    let extra = 0;
    let horizon = -1;
    for (let node = next[0]!; node !== -1; node = next[node]!) {
      if (nodeIsCall[node] === 0) {
        inWindow = false;
        continue;
      }
      const op = ops[nodeOp[node]!]!;
      if (!inWindow && extra >= LOOKAHEAD_READS && op.call.callIndex > horizon) break;
      if (op.resets === true) resets.push(op);
      if (op.readOnly && op.definite && (inWindow || extra < LOOKAHEAD_READS)) {
        if (!inWindow) extra++;
        reads.push(op);
        if (op.call.returnIndex > horizon) horizon = op.call.returnIndex;
      }
    }
  };

  // After each step, an enabled read is tried first (see stackForced). Then,
  // if some pending read cannot yet return what it returned, the op that
  // would let the earliest such read succeed is tried first (`skip`), before
  // the usual scan from the head, which then passes over it. This only
  // changes the order of the search, so it stays complete.
  //
  // Likewise a write of a value no read returns, while the state already is
  // such a value (UNSEEN): it changes nothing anyone can see, and having it
  // done is at least as good as having it still to do (wherever a
  // completion would place it, nothing after it looks at the state), so it
  // is linearized at once, without branching.
  const keepsUnseen = (op: LinOp): boolean =>
    state === UNSEEN && op.definite && op.unseen !== undefined && op.kind !== "cas" && !unobserved && model.step(state, op) === UNSEEN;
  let skip = -1;
  let preferredPhase = false;
  const restart = (): number => {
    skip = -1;
    preferredPhase = false;
    let target: LinOp | undefined;
    for (let node = next[0]!; node !== -1 && nodeIsCall[node] === 1; node = next[node]!) {
      const op = ops[nodeOp[node]!]!;
      if (keepsUnseen(op)) return node;
      if (!op.readOnly) continue;
      if (model.step(state, op) !== undefined) return node;
      if (op.definite && (target === undefined || op.call.returnIndex < target.call.returnIndex)) target = op;
    }
    if (target !== undefined && viable !== undefined) {
      for (let node = next[0]!; node !== -1 && nodeIsCall[node] === 1; node = next[node]!) {
        const op = ops[nodeOp[node]!]!;
        if (op.readOnly) continue;
        const after = model.step(state, op);
        if (after !== undefined && viable(after, target)) {
          skip = node;
          preferredPhase = true;
          return node;
        }
      }
    }
    return next[0]!;
  };

  let entry = next[0]!;
  for (;;) {
    if (definiteLeft === 0) {
      const order: LinOp[] = [];
      for (let d = 0; d < depth; d++) order.push(ops[stackOp[d]!]!);
      return { verdict: "valid", order, explored, memoEntries: memo.size };
    }
    if ((++explored & 1023) === 0 && budget.now() > budget.deadline) {
      return { verdict: "unknown", reason: "time-limit", explored, memoEntries: memo.size };
    }
    if (entry === skip && skip !== -1 && !preferredPhase) {
      entry = next[entry]!;
      continue;
    }
    if (entry === -1 || nodeIsCall[entry] === 0) {
      // Stuck: the op returning here was not linearized in time.
      if (entry !== -1) {
        const op = nodeOp[entry]!;
        const pos = ops[op]!.call.returnIndex;
        if (pos > deepestPos) {
          deepestPos = pos;
          deepestOp = op;
          partials.length = 0;
        }
        if (pos === deepestPos && partials.length < PARTIALS_MAX) partials.push(snapshot());
      }
      if (depth === 0) {
        return {
          verdict: "invalid",
          failed: ops[deepestOp]!,
          prefixEnd: deepestPos,
          partials,
          explored,
          memoEntries: memo.size,
        };
      }
      depth--;
      const op = stackOp[depth]!;
      state = stackState[depth]!;
      maxLin = stackMax[depth]!;
      unlift(op);
      linearized[op] = 0;
      unobserved = stackUnobserved[depth] === 1;
      if (ops[op]!.definite) definiteLeft++;
      skip = stackSkip[depth]!;
      preferredPhase = false;
      entry = stackForced[depth] === 1 ? -1 : callNode[op] === skip ? next[0]! : next[callNode[op]!]!;
      continue;
    }
    const op = nodeOp[entry]!;
    // An indefinite op whose effect is overwritten (a blind write) before
    // any read or cas looked at the state had no effect anyone could see:
    // the same order without it is just as good, and is searched anyway (an
    // indefinite op may never happen). `unobserved` says such an op is in
    // effect now. For a register, also skip an indefinite write when
    // nothing that could read its value is pending: its reader would have
    // to come right after it.
    const cand = ops[op]!;
    const useless = cand.blind === true && (unobserved || (model.exactReaders === true && !cand.definite && !readerPending(cand)));
    const after = useless ? undefined : model.step(state, ops[op]!);
    if (after !== undefined && (after === state || stillViable(after))) {
      const forced = after === state && (ops[op]!.readOnly || keepsUnseen(ops[op]!));
      lift(op);
      const newMax = op > maxLin ? op : maxLin;
      // While an indefinite op is unobserved, fewer moves are allowed (see
      // `useless`), so that configuration is memoized apart.
      const nextUnobserved: boolean = !cand.definite && !cand.readOnly ? true : cand.observes === true ? false : unobserved;
      const key = memoKey(newMax, stateId(after), nextUnobserved);
      const chars = typeof key === "number" ? 4 : key.length;
      if (!memo.has(key)) {
        if (memo.size >= budget.memoEntriesMax || memoChars + chars > budget.memoCharsMax) {
          return { verdict: "unknown", reason: "memo-limit", explored, memoEntries: memo.size };
        }
        memo.add(key);
        memoChars += chars;
        stackOp[depth] = op;
        stackMax[depth] = maxLin;
        stackState[depth] = state;
        stackForced[depth] = forced ? 1 : 0;
        stackSkip[depth] = skip;
        stackUnobserved[depth] = unobserved ? 1 : 0;
        unobserved = nextUnobserved;
        linearized[op] = 1;
        depth++;
        state = after;
        maxLin = newMax;
        if (ops[op]!.definite) definiteLeft--;
        entry = restart();
        continue;
      }
      unlift(op);
      if (forced) {
        // Seen before, so it failed; and so does this configuration.
        entry = -1;
        continue;
      }
    }
    if (preferredPhase) {
      preferredPhase = false;
      entry = next[0]!;
    } else entry = next[entry]!;
  }
}
