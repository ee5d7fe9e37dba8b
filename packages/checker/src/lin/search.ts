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
 * dominates, and a heuristic picks what to try first: see `Lookahead`,
 * `Search.restart` (eager reads, preferred candidate), `Search.keepsUnseen`
 * and `Search.useless`. The differential test against a brute-force oracle
 * covers them.
 *
 * The memo is capped; running out of it or of time gives "unknown".
 *
 * Layout: `Events` is the list, `Memo` the configurations seen, `Trail` what
 * each linearized op changed (to undo it), `Lookahead` the early check of
 * pending reads; `Search` holds the current configuration and runs the loop
 * in `Search.run`, one named step per case. Speed: the state lives in class
 * fields set in the constructors (one object shape per class), the ops all
 * share one shape too (the models build them with `linOp`), so the property
 * reads in the loop stay monomorphic; and a step allocates nothing but memo
 * keys with holes (and the report's few snapshots, see `noteStuck`).
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
/**
 * Work between two looks at the clock: a loop turn counts 1, and each node
 * or op a scan of the list passes counts 1 more. A turn costs little in a
 * short list but as much as the list is long in a long one (100,000 open
 * cas: a millisecond and more), so counting turns alone let the search run
 * seconds past its deadline.
 */
const CLOCK_WORK = 16_384;

/** Turns between two looks at the clock at most, however little they scan (a model's step can cost much by itself). */
const CLOCK_TURNS_MASK = 1023;

/** Memo keys below this are small integers, which V8 keeps unboxed on 64-bit (31-bit Smis). */
const SMALL_KEY_LIMIT = 2 ** 30;

/** The node after which nothing follows (also "no node"). */
const END = -1;
/** Returned instead of a node by a step that ran out of memo. */
const MEMO_FULL = -2;

export function searchPartition(model: Model, input: readonly LinOp[], budget: SearchBudget): SearchResult {
  return new Search(model, input, budget).run();
}

/**
 * The events still to pass, a doubly linked list over typed arrays: node 0
 * is the head, then one call node per op and one return node per definite
 * op, in history order. Lifting an op unlinks its nodes but leaves their own
 * links alone, so undoing lifts in reverse order restores the list exactly.
 */
class Events {
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The op (its number in call order) a node belongs to. */
  readonly nodeOp: Int32Array;
  /** 1 for a call node, 0 for a return node. */
  readonly nodeIsCall: Uint8Array;
  readonly callNode: Int32Array;
  /** The return node of each op; END for an indefinite one (no return). */
  readonly retNode: Int32Array;
  /** Bumped whenever the list changes, so that scans of one configuration can be reused. */
  version = 0;

  /**
   * `ops` are in call order. Every event has a history position of its own,
   * so the list is the calls merged with the returns in position order: an
   * array from each return's position to its op, walked in order, gives
   * the returns sorted without a sort.
   */
  constructor(ops: readonly LinOp[]) {
    const n = ops.length;
    let definite = 0;
    let lastReturn = -1;
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      if (!op.definite) continue;
      definite++;
      if (op.call.returnIndex > lastReturn) lastReturn = op.call.returnIndex;
    }
    /** 1 + the op returning at each history position, 0 where none does. */
    const returning = new Int32Array(lastReturn + 1);
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      if (op.definite) returning[op.call.returnIndex] = i + 1;
    }
    const size = n + definite + 1;
    this.next = new Int32Array(size);
    this.prev = new Int32Array(size);
    this.nodeOp = new Int32Array(size);
    this.nodeIsCall = new Uint8Array(size);
    this.callNode = new Int32Array(n);
    this.retNode = new Int32Array(n).fill(END);
    let pos = 0;
    for (let node = 1, c = 0, r = 0; node < size; node++) {
      while (r < definite && returning[pos] === 0) pos++;
      if (r === definite || (c < n && ops[c]!.call.callIndex < pos)) {
        this.nodeOp[node] = c;
        this.nodeIsCall[node] = 1;
        this.callNode[c++] = node;
      } else {
        const op = returning[pos++]! - 1;
        r++;
        this.nodeOp[node] = op;
        this.retNode[op] = node;
      }
    }
    for (let i = 0; i < size; i++) {
      this.next[i] = i + 1 < size ? i + 1 : END;
      this.prev[i] = i - 1;
    }
  }

  first(): number {
    return this.next[0]!;
  }

  /** Takes op's call and return out of the list: it is linearized. */
  lift(op: number): void {
    this.version++;
    this.unlink(this.callNode[op]!);
    const r = this.retNode[op]!;
    if (r !== END) this.unlink(r);
  }

  /** Undoes `lift(op)`; only valid for the op lifted last. */
  unlift(op: number): void {
    this.version++;
    const r = this.retNode[op]!;
    if (r !== END) this.relink(r);
    this.relink(this.callNode[op]!);
  }

  private unlink(node: number): void {
    const p = this.prev[node]!;
    const nx = this.next[node]!;
    this.next[p] = nx;
    if (nx !== END) this.prev[nx] = p;
  }

  private relink(node: number): void {
    const p = this.prev[node]!;
    const nx = this.next[node]!;
    this.next[p] = node;
    if (nx !== END) this.prev[nx] = node;
  }
}

/** What `Memo.add` did: stored a new configuration, had it already, or had no room for it. */
type Recorded = typeof NEW | typeof SEEN | typeof FULL;
const NEW = 0;
const SEEN = 1;
const FULL = 2;

/**
 * The configurations already entered, within the budget's caps. States are
 * interned to small integers so that most keys are one number.
 */
class Memo {
  private readonly keys = new Set<string | number>();
  private chars = 0;
  private readonly stateIds = new Map<State, number>();

  constructor(
    private readonly entriesMax: number,
    private readonly charsMax: number,
  ) {}

  get entries(): number {
    return this.keys.size;
  }

  stateId(s: State): number {
    let id = this.stateIds.get(s);
    if (id === undefined) {
      id = this.stateIds.size;
      this.stateIds.set(s, id);
    }
    return id;
  }

  /** Only a new key counts against the caps: one seen before costs nothing. */
  add(key: string | number): Recorded {
    if (this.keys.has(key)) return SEEN;
    const chars = typeof key === "number" ? 4 : key.length;
    if (this.keys.size >= this.entriesMax || this.chars + chars > this.charsMax) return FULL;
    this.keys.add(key);
    this.chars += chars;
    return NEW;
  }
}

/**
 * What each linearized op changed, to undo it on backtrack: one frame per op
 * on the current path, `depth` deep. Parallel typed arrays, so pushing a
 * frame allocates nothing.
 */
class Trail {
  readonly op: Int32Array;
  /** The configuration before the op: its highest linearized op, state, `unobserved` flag. */
  readonly maxLin: Int32Array;
  readonly state: State[];
  readonly unobserved: Uint8Array;
  /**
   * 1 when the op was taken without branching (an enabled read, or a write
   * that keeps the state UNSEEN, see `Search.restart`): doing it at once
   * loses nothing, so when its subtree fails the frame fails too.
   */
  readonly forced: Uint8Array;
  /** The preferred candidate of the configuration before the op (see `Search.restart`). */
  readonly skip: Int32Array;
  depth = 0;

  constructor(n: number) {
    this.op = new Int32Array(n);
    this.maxLin = new Int32Array(n);
    this.state = new Array<State>(n);
    this.unobserved = new Uint8Array(n);
    this.forced = new Uint8Array(n);
    this.skip = new Int32Array(n);
  }
}

/** Counts the search's work and looks at the budget's clock once per CLOCK_WORK of it. */
class Clock {
  private work = 0;
  private turns = 0;

  constructor(private readonly budget: SearchBudget) {}

  /** Counts `n` more units of work (nodes or ops a scan passed). */
  add(n: number): void {
    this.work += n;
  }

  /** Counts a loop turn; true when the deadline has passed (looked at only now and then, as the clock is far slower than a turn). */
  expired(): boolean {
    if (++this.work < CLOCK_WORK && (++this.turns & CLOCK_TURNS_MASK) !== 0) return false;
    this.work = 0;
    return this.budget.now() > this.budget.deadline;
  }
}

/**
 * Lookahead (model.viable): every pending definite read, and the next few
 * not yet called, must still be able to return what they returned, unless
 * a resetting op may come before them. This catches a wrong order of
 * writes at once rather than at the next read's return.
 */
class Lookahead {
  private readonly resets: LinOp[] = [];
  private readonly reads: LinOp[] = [];
  private scannedVersion = -1;

  constructor(
    private readonly events: Events,
    private readonly ops: readonly LinOp[],
    private readonly viable: (state: State, read: LinOp) => boolean,
    private readonly clock: Clock,
  ) {}

  allows(s: State): boolean {
    if (this.scannedVersion !== this.events.version) {
      this.scannedVersion = this.events.version;
      this.scan();
    }
    const viable = this.viable;
    for (const read of this.reads) {
      if (viable(s, read)) continue;
      let rescued = false;
      let passed = 0;
      for (const r of this.resets) {
        passed++;
        if (r.call.callIndex > read.call.returnIndex) break;
        if (viable(r.resetTo ?? null, read)) {
          rescued = true;
          break;
        }
      }
      this.clock.add(passed);
      if (!rescued) return false;
    }
    return true;
  }

  /**
   * The pending reads, the next few upcoming ones, and the resetting ops that
   * could come before them (the candidate being tried may be among these:
   * that only makes the check weaker, never wrong).
   */
  private scan(): void {
    const { next, nodeOp, nodeIsCall } = this.events;
    this.resets.length = 0;
    this.reads.length = 0;
    let inWindow = true;
    let extra = 0;
    let horizon = -1;
    let passed = 0;
    for (let node = next[0]!; node !== END; node = next[node]!) {
      passed++;
      if (nodeIsCall[node] === 0) {
        inWindow = false;
        continue;
      }
      const op = this.ops[nodeOp[node]!]!;
      if (!inWindow && extra >= LOOKAHEAD_READS && op.call.callIndex > horizon) break;
      if (op.resets === true) this.resets.push(op);
      if (op.readOnly && op.definite && (inWindow || extra < LOOKAHEAD_READS)) {
        if (!inWindow) extra++;
        this.reads.push(op);
        if (op.call.returnIndex > horizon) horizon = op.call.returnIndex;
      }
    }
    this.clock.add(passed);
  }
}

/**
 * One search: the current configuration (which ops are linearized, the
 * state, the path that led here) and the steps that move between
 * configurations. `run` is the loop; each other method is one step of it.
 */
class Search {
  /** Ops numbered in call order. */
  private readonly ops: LinOp[];
  private readonly events: Events;
  private readonly memo: Memo;
  private readonly clock: Clock;
  private readonly trail: Trail;
  private readonly lookahead: Lookahead | undefined;
  private readonly viable: ((state: State, read: LinOp) => boolean) | undefined;
  /** Who could read what an indefinite blind write writes, by value (see `useless`). */
  private readonly readers = new Map<State, number[]>();
  /** 1 for each op on the current path. */
  private readonly linearized: Uint8Array;

  // The current configuration.
  private state: State;
  /** The highest-numbered linearized op, -1 for none. */
  private maxLin = -1;
  /** An indefinite blind write is in effect that nothing has observed yet (see `useless`). */
  private unobserved = false;
  /** Definite ops still to linearize: at 0 the history is linearizable. */
  private definiteLeft = 0;

  // The search order within a configuration (see `restart`).
  /** The preferred candidate, tried first and then passed over by the scan; END for none. */
  private skip = END;
  /** The preferred candidate is being tried now. */
  private preferredPhase = false;
  /** Set by `eagerCandidate`: the pending definite read that must return soonest and cannot yet. */
  private blockedRead: LinOp | undefined = undefined;

  /** The pending-reader window (see `windowEnd`), cached per list version. */
  private windowVersion = -1;
  private windowEndPos = Infinity;

  // What the report needs.
  private explored = 0;
  /** The latest return the search got stuck at, and its op. */
  private deepestPos = -1;
  private deepestOp = -1;
  private readonly partials: PartialLinearization[] = [];

  constructor(
    private readonly model: Model,
    input: readonly LinOp[],
    private readonly budget: SearchBudget,
  ) {
    this.ops = input.slice().sort((a, b) => a.call.callIndex - b.call.callIndex);
    const n = this.ops.length;
    this.events = new Events(this.ops);
    this.memo = new Memo(budget.memoEntriesMax, budget.memoCharsMax);
    this.clock = new Clock(budget);
    this.trail = new Trail(n);
    this.viable = model.viable;
    this.lookahead = this.viable === undefined ? undefined : new Lookahead(this.events, this.ops, this.viable, this.clock);
    this.linearized = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const op = this.ops[i]!;
      if (op.definite) this.definiteLeft++;
      // Only `useless` asks for readers, and only of a model with exact readers.
      if (model.exactReaders !== true) continue;
      const v = op.readOnly ? op.out : op.kind === "cas" ? op.arg : undefined;
      if (v === undefined) continue;
      let list = this.readers.get(v);
      if (list === undefined) this.readers.set(v, (list = []));
      list.push(i);
    }
    this.state = model.init();
  }

  /**
   * Depth-first over configurations. `entry` is the node being looked at:
   * a call is a candidate to linearize now; a return (or the end of the
   * list) means every candidate here has been tried, so step back.
   */
  run(): SearchResult {
    let entry = this.events.first();
    for (;;) {
      if (this.definiteLeft === 0) return this.valid();
      if (this.outOfTime()) return this.unknown("time-limit");
      if (entry === this.skip && entry !== END && !this.preferredPhase) {
        // The preferred candidate was tried first already.
        entry = this.events.next[entry]!;
        continue;
      }
      if (entry === END || this.events.nodeIsCall[entry] === 0) {
        this.noteStuck(entry);
        if (this.trail.depth === 0) return this.invalid();
        entry = this.backtrack();
        continue;
      }
      entry = this.tryCandidate(entry);
      if (entry === MEMO_FULL) return this.unknown("memo-limit");
    }
  }

  /** Counts a loop turn; true when the deadline has passed (see `Clock`). */
  private outOfTime(): boolean {
    this.explored++;
    return this.clock.expired();
  }

  /**
   * Tries to linearize the op called at `entry` in the current state. On
   * success (a configuration not seen before) the search moves there and the
   * next entry is its first candidate; otherwise it is the next candidate
   * here, or END when this configuration is known to fail.
   */
  private tryCandidate(entry: number): number {
    const op = this.events.nodeOp[entry]!;
    const cand = this.ops[op]!;
    const after = this.useless(cand) ? undefined : this.model.step(this.state, cand);
    if (after !== undefined && (after === this.state || this.lookahead === undefined || this.lookahead.allows(after))) {
      const forced = after === this.state && (cand.readOnly || this.keepsUnseen(cand));
      this.events.lift(op);
      const newMax = op > this.maxLin ? op : this.maxLin;
      // While an indefinite op is unobserved, fewer moves are allowed (see
      // `useless`), so that configuration is memoized apart.
      const nextUnobserved: boolean = !cand.definite && !cand.readOnly ? true : cand.observes === true ? false : this.unobserved;
      switch (this.memo.add(this.memoKey(newMax, this.memo.stateId(after), nextUnobserved))) {
        case NEW:
          this.linearize(op, after, newMax, nextUnobserved, forced);
          return this.restart();
        case FULL:
          return MEMO_FULL;
        case SEEN:
          break;
      }
      this.events.unlift(op);
      // Seen before, so it failed; and so does this configuration.
      if (forced) return END;
    }
    return this.nextCandidate(entry);
  }

  /** After a failed candidate: the preferred one is followed by the usual scan from the head. */
  private nextCandidate(entry: number): number {
    if (this.preferredPhase) {
      this.preferredPhase = false;
      return this.events.first();
    }
    return this.events.next[entry]!;
  }

  /** Moves to the configuration with `op` linearized (already lifted), saving what to restore. */
  private linearize(op: number, after: State, newMax: number, nextUnobserved: boolean, forced: boolean): void {
    const t = this.trail;
    const d = t.depth++;
    t.op[d] = op;
    t.maxLin[d] = this.maxLin;
    t.state[d] = this.state;
    t.forced[d] = forced ? 1 : 0;
    t.skip[d] = this.skip;
    t.unobserved[d] = this.unobserved ? 1 : 0;
    this.unobserved = nextUnobserved;
    this.linearized[op] = 1;
    this.state = after;
    this.maxLin = newMax;
    if (this.ops[op]!.definite) this.definiteLeft--;
  }

  /**
   * Undoes the last linearized op and returns where the scan of the
   * configuration before it goes on: after that op's call (or from the head,
   * if it was the preferred candidate), or END if it was forced.
   */
  private backtrack(): number {
    const t = this.trail;
    const d = --t.depth;
    const op = t.op[d]!;
    this.state = t.state[d]!;
    this.maxLin = t.maxLin[d]!;
    this.events.unlift(op);
    this.linearized[op] = 0;
    this.unobserved = t.unobserved[d] === 1;
    if (this.ops[op]!.definite) this.definiteLeft++;
    this.skip = t.skip[d]!;
    this.preferredPhase = false;
    if (t.forced[d] === 1) return END;
    const call = this.events.callNode[op]!;
    return call === this.skip ? this.events.first() : this.events.next[call]!;
  }

  /**
   * The first candidate of a new configuration. An enabled read is tried
   * first (see `Trail.forced`). Then, if some pending read cannot yet return
   * what it returned, the op that would let the earliest such read succeed
   * is tried first (`skip`), before the usual scan from the head, which then
   * passes over it. This only changes the order of the search, so it stays
   * complete.
   */
  private restart(): number {
    this.skip = END;
    this.preferredPhase = false;
    const eager = this.eagerCandidate();
    if (eager !== END) return eager;
    const target = this.blockedRead;
    if (target !== undefined && this.viable !== undefined) {
      const preferred = this.enablerOf(target, this.viable);
      if (preferred !== END) {
        this.skip = preferred;
        this.preferredPhase = true;
        return preferred;
      }
    }
    return this.events.first();
  }

  /**
   * A pending op to take without branching (an enabled read, or a write
   * that `keepsUnseen`), or END; then `blockedRead` is the definite read
   * that returns soonest among those the state does not allow.
   */
  private eagerCandidate(): number {
    const { next, nodeOp, nodeIsCall } = this.events;
    this.blockedRead = undefined;
    let target: LinOp | undefined;
    let passed = 0;
    for (let node = next[0]!; node !== END && nodeIsCall[node] === 1; node = next[node]!) {
      passed++;
      const op = this.ops[nodeOp[node]!]!;
      if (this.keepsUnseen(op) || (op.readOnly && this.model.step(this.state, op) !== undefined)) {
        this.clock.add(passed);
        return node;
      }
      if (op.readOnly && op.definite && (target === undefined || op.call.returnIndex < target.call.returnIndex)) target = op;
    }
    this.clock.add(passed);
    this.blockedRead = target;
    return END;
  }

  /** The first pending update after which `read` can still return what it returned, or END. */
  private enablerOf(read: LinOp, viable: (state: State, read: LinOp) => boolean): number {
    const { next, nodeOp, nodeIsCall } = this.events;
    let passed = 0;
    for (let node = next[0]!; node !== END && nodeIsCall[node] === 1; node = next[node]!) {
      passed++;
      const op = this.ops[nodeOp[node]!]!;
      if (op.readOnly) continue;
      const after = this.model.step(this.state, op);
      if (after !== undefined && viable(after, read)) {
        this.clock.add(passed);
        return node;
      }
    }
    this.clock.add(passed);
    return END;
  }

  /**
   * A write of a value no read returns, while the state already is such a
   * value (UNSEEN): it changes nothing anyone can see, and having it done is
   * at least as good as having it still to do (wherever a completion would
   * place it, nothing after it looks at the state), so it is linearized at
   * once, without branching.
   */
  private keepsUnseen(op: LinOp): boolean {
    return this.state === UNSEEN && op.definite && op.unseen !== undefined && op.kind !== "cas" && !this.unobserved && this.model.step(this.state, op) === UNSEEN;
  }

  /**
   * An indefinite op whose effect is overwritten (a blind write) before any
   * read or cas looked at the state had no effect anyone could see: the same
   * order without it is just as good, and is searched anyway (an indefinite
   * op may never happen). `unobserved` says such an op is in effect now. For
   * a register, also skip an indefinite write when nothing that could read
   * its value is pending: its reader would have to come right after it.
   */
  private useless(cand: LinOp): boolean {
    return cand.blind === true && (this.unobserved || (this.model.exactReaders === true && !cand.definite && !this.readerPending(cand)));
  }

  /** Some unlinearized op that could read what `op` writes is called within the window. */
  private readerPending(op: LinOp): boolean {
    const list = this.readers.get(op.resetTo ?? null);
    if (list === undefined) return false;
    const end = this.windowEnd();
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (this.linearized[r] === 0 && this.ops[r]!.call.callIndex < end) {
        this.clock.add(i + 1);
        return true;
      }
    }
    this.clock.add(list.length);
    return false;
  }

  /** The window: calls before the first return still in the list end there. */
  private windowEnd(): number {
    const events = this.events;
    if (this.windowVersion === events.version) return this.windowEndPos;
    this.windowVersion = events.version;
    this.windowEndPos = Infinity;
    let passed = 0;
    for (let node = events.next[0]!; node !== END; node = events.next[node]!) {
      passed++;
      if (events.nodeIsCall[node] === 0) {
        this.windowEndPos = this.ops[events.nodeOp[node]!]!.call.returnIndex;
        break;
      }
    }
    this.clock.add(passed);
    return this.windowEndPos;
  }

  /**
   * The linearized set as "all ops <= maxLin except the holes" (the
   * unlinearized calls still in the list below it), plus the state and the
   * `unobserved` flag. Without holes (the common case) the key is one
   * number (while it fits: each of maxLin, state and flag has its own range
   * in it), which costs far less than a string; otherwise a string.
   */
  private memoKey(maxLin: number, sid: number, flag: boolean): string | number {
    const { next, nodeOp, nodeIsCall } = this.events;
    let key = "";
    let passed = 0;
    for (let node = next[0]!; node !== END; node = next[node]!) {
      passed++;
      if (nodeIsCall[node] === 0) continue;
      const op = nodeOp[node]!;
      if (op > maxLin) break;
      // Holes are close below maxLin: their distance in base 36 is short.
      key += (maxLin - op).toString(36) + ",";
    }
    this.clock.add(passed);
    if (key === "") {
      // A small integer (a V8 Smi: no number boxed per key, a cheap hash) while it fits in 30 bits.
      const n = (sid * this.ops.length + maxLin) * 2 + (flag ? 1 : 0);
      if (n < SMALL_KEY_LIMIT) return n;
    }
    return maxLin + ":" + key + ":" + sid + (flag ? "!" : "");
  }

  /**
   * Stuck at the return `entry` (END: the list ran out): the op returning
   * there was not linearized in time. Keeps the tails of the first few
   * paths that got stuck the furthest into the history, for the report.
   */
  private noteStuck(entry: number): void {
    if (entry === END) return;
    const op = this.events.nodeOp[entry]!;
    const pos = this.ops[op]!.call.returnIndex;
    if (pos > this.deepestPos) {
      this.deepestPos = pos;
      this.deepestOp = op;
      this.partials.length = 0;
    }
    if (pos === this.deepestPos && this.partials.length < PARTIALS_MAX) this.partials.push(this.snapshot());
  }

  /** The last `PARTIAL_TAIL` steps of the current path, with the state after each. */
  private snapshot(): PartialLinearization {
    const { model, trail } = this;
    const depth = trail.depth;
    const from = Math.max(0, depth - PARTIAL_TAIL);
    const steps: LinStep[] = [];
    for (let d = from; d < depth; d++) {
      const after = d + 1 < depth ? trail.state[d + 1]! : this.state;
      const op = this.ops[trail.op[d]!]!;
      // Name the unread value that UNSEEN stands for.
      const shown = after === UNSEEN && op.unseen !== undefined ? `${model.name === "kv" ? "…" : ""}${showCanon(op.unseen)} (never read)` : model.describeState(after);
      steps.push({ op, stateAfter: shown });
    }
    const before = from < depth ? trail.state[from]! : this.state;
    return { stateBefore: model.describeState(before), steps, skipped: from };
  }

  /** Every definite op is linearized: the path is the order. */
  private valid(): SearchResult {
    const order: LinOp[] = [];
    for (let d = 0; d < this.trail.depth; d++) order.push(this.ops[this.trail.op[d]!]!);
    return { verdict: "valid", order, explored: this.explored, memoEntries: this.memo.entries };
  }

  /** Every path got stuck: blame the op of the latest return any path reached. */
  private invalid(): SearchResult {
    return {
      verdict: "invalid",
      failed: this.ops[this.deepestOp]!,
      prefixEnd: this.deepestPos,
      partials: this.partials,
      explored: this.explored,
      memoEntries: this.memo.entries,
    };
  }

  private unknown(reason: "time-limit" | "memo-limit"): SearchResult {
    return { verdict: "unknown", reason, explored: this.explored, memoEntries: this.memo.entries };
  }
}
