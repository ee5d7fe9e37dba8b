/**
 * Linearizability of a whole history: pair the operations, split them by key
 * (P-compositionality: a history is linearizable iff each key's sub-history
 * is), and search each key within one shared time budget.
 */
import type { History } from "../history/op.js";
import { isClientOp } from "../history/op.js";
import type { Call } from "../history/pair.js";
import { pairOps } from "../history/pair.js";
import type { WorkTick } from "../history/work-clock.js";
import { WorkTimeLimitError, workClock } from "../history/work-clock.js";
import type { LinOp, Model, Refuted, RegisterOptions } from "./model.js";
import { changedOp, counterModel, kvModel, registerModel } from "./model.js";
import type { MultiRegisterOptions } from "./multi-register.js";
import { multiRegisterModel } from "./multi-register.js";
import type { PartialLinearization, SearchBudget, SearchResult } from "./search.js";
import { searchPartition } from "./search.js";

export type Validity = true | false | "unknown";

export type ModelName = "register" | "kv" | "counter" | "multi-register";
export const MODEL_NAMES: readonly ModelName[] = ["register", "kv", "counter", "multi-register"];

/** The model `name` over `calls`; `tick` is given the work of reading the calls' values up front, where the model does that (multi-register). */
export function modelFor(name: ModelName, calls: readonly Call[], options: RegisterOptions & MultiRegisterOptions = {}, tick?: WorkTick): Model {
  switch (name) {
    case "register":
      return registerModel(calls, options);
    case "kv":
      return kvModel();
    case "counter":
      return counterModel();
    case "multi-register":
      return multiRegisterModel(calls, options, tick);
  }
}

export interface LinearizabilityOptions extends RegisterOptions, MultiRegisterOptions {
  model: ModelName | ((calls: readonly Call[]) => Model);
  /** Give up with "unknown" after this long, counted from `startedAt`. Default: no limit. */
  timeLimitMs?: number;
  /**
   * The reading of `now` the time limit counts from, when the work began
   * before the call (the CLI: when it began reading the file, so that reading
   * and parsing count). Default: when the call begins.
   */
  startedAt?: number;
  /** Memo entries kept per key before giving up with "unknown". Default 2,000,000. */
  memoEntriesMax?: number;
  /** Memo key characters kept per key (memory, about 2 bytes each). Default 40,000,000. */
  memoCharsMax?: number;
  /** Clock for the time limit; defaults to performance.now. */
  now?: () => number;
}

export interface KeyResult {
  key: string;
  valid: Validity;
  ops: number;
  explored: number;
  memoEntries: number;
  reason?: string;
}

export interface LinearizabilityFailure {
  key: string;
  /** The operation that could not be linearized before it returned. */
  op: Call;
  /** History index where the shortest non-linearizable prefix ends (the op's return). */
  prefixEnd: number;
  /**
   * The failing op, the operations of its key that overlap it in time, and
   * the latest ones that completed before it was called (the last writes, and
   * the last ops of any kind): what it had to be consistent with.
   */
  involved: Call[];
  /** Longest partial linearizations reached (their tails), as the search left them. */
  partials: Array<{ stateBefore: string; skipped: number; steps: Array<{ op: Call; description: string; stateAfter: string }> }>;
  /** One-paragraph explanation for people. */
  message: string;
}

export interface LinearizabilityResult {
  valid: Validity;
  model: string;
  /** Client operations (invoke/completion pairs) in the history. */
  ops: number;
  keys: KeyResult[];
  failure?: LinearizabilityFailure;
  /** Why the verdict is unknown. */
  unknownReason?: string;
  /** For a valid history: per key, the call ids in the order found. */
  linearization?: Record<string, number[]>;
  elapsedMs: number;
}

export function checkLinearizability(history: History, options: LinearizabilityOptions): LinearizabilityResult {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const from = options.startedAt ?? started;
  const budget: SearchBudget = {
    deadline: options.timeLimitMs === undefined ? Infinity : from + options.timeLimitMs,
    now,
    memoEntriesMax: options.memoEntriesMax ?? 2_000_000,
    memoCharsMax: options.memoCharsMax ?? 40_000_000,
  };
  const what = options.startedAt === undefined ? "preparing the operations" : "reading and preparing the history";
  // Preparing the operations (pairing them, reading and interning their values) looks at the clock as it goes.
  const tick = options.timeLimitMs === undefined ? undefined : workClock(budget.deadline, now);
  let calls: Call[] | undefined;
  let model: Model | undefined;
  const pruned = new Map<string, LinOp[]>();
  let raw: Map<string, LinOp[]>;
  let failed: Map<string, LinOp[]>;
  try {
    calls = pairOps(history, tick);
    model = typeof options.model === "function" ? options.model(calls) : modelFor(options.model, calls, options, tick);
    ({ raw, failed } = partitionByKey(model, calls, tick));
    // The whole history is searched pruned, without the failed ops (a failed
    // cas observes nothing); prefixes are pruned one by one, from the raw ops
    // and with the failed ones still open (see prefixOps).
    const prune = model.prune;
    for (const [key, ops] of raw) {
      pruned.set(key, prune === undefined ? ops : prune(ops));
      tick?.(ops.length);
    }
  } catch (e) {
    if (!(e instanceof WorkTimeLimitError)) throw e;
    const stopped = now();
    return {
      valid: "unknown",
      model: model?.name ?? (typeof options.model === "string" ? options.model : "custom"),
      ops: calls?.length ?? countInvokes(history),
      keys: [],
      unknownReason: `time limit of ${options.timeLimitMs} ms reached before the search: ${what} was stopped after ${Math.round(stopped - from)} ms`,
      elapsedMs: stopped - started,
    };
  }
  // One value is prepared to its end, and that counts too: once reading and preparing used up the limit, no search begins.
  const prepared = now();
  if (prepared > budget.deadline) {
    return {
      valid: "unknown",
      model: model.name,
      ops: calls.length,
      keys: [],
      unknownReason: `time limit of ${options.timeLimitMs} ms reached before the search: ${what} took ${Math.round(prepared - from)} ms`,
      elapsedMs: prepared - started,
    };
  }
  const keys: KeyResult[] = [];
  const linearization: Record<string, number[]> = {};
  let best: { key: string; result: Invalid } | undefined;
  let unknownReason: string | undefined;
  for (const [key, ops] of pruned) {
    const keyFailed = failed.get(key) ?? [];
    const inexact = model.inexact?.(raw.get(key)!, keyFailed);
    if (inexact !== undefined) {
      keys.push({ key, valid: "unknown", ops: ops.length, explored: 0, memoEntries: 0, reason: inexact });
      unknownReason ??= `${showKey(model, key)}: ${inexact}`;
      continue;
    }
    const result = checkKey(model, ops, raw.get(key)!, keyFailed, budget, tick);
    const kr: KeyResult = {
      key,
      valid: result.verdict === "valid" ? true : result.verdict === "invalid" ? false : "unknown",
      ops: ops.length,
      explored: result.explored,
      memoEntries: result.memoEntries,
    };
    keys.push(kr);
    if (result.verdict === "valid") linearization[key] = result.order.map((o) => o.call.id);
    else if (result.verdict === "invalid") {
      const shortest = shortestFailingPrefix(model, raw.get(key)!, keyFailed, result, budget);
      if (best === undefined || shortest.prefixEnd < best.result.prefixEnd) best = { key, result: shortest };
    } else {
      kr.reason = result.reason === "time-limit" ? `time limit of ${options.timeLimitMs} ms reached` : "memo limit reached (too many configurations)";
      unknownReason ??= `${showKey(model, key)}: ${kr.reason}`;
      // The shared deadline has passed: the remaining keys would give up at once.
      if (result.reason === "time-limit") break;
    }
  }
  const checkedAll = keys.length === pruned.size;
  const out: LinearizabilityResult = {
    valid: best !== undefined ? false : unknownReason !== undefined || !checkedAll ? "unknown" : true,
    model: model.name,
    ops: calls.length,
    keys,
    elapsedMs: now() - started,
  };
  if (best !== undefined) out.failure = describeFailure(model, best.key, best.result, pruned.get(best.key)!.concat(failed.get(best.key) ?? []));
  else if (out.valid === "unknown") out.unknownReason = unknownReason ?? "not every key was checked";
  if (out.valid === true) out.linearization = linearization;
  return out;
}

/**
 * The model's ops of each key (P-compositionality), in history order, and
 * apart from them each key's failed ops as they were while still open: a
 * failed op never happened, but a prefix that ends before its failure does
 * not know that yet (see shortestFailingPrefix).
 */
function partitionByKey(model: Model, calls: readonly Call[], tick: WorkTick | undefined): { raw: Map<string, LinOp[]>; failed: Map<string, LinOp[]> } {
  const raw = new Map<string, LinOp[]>();
  const failed = new Map<string, LinOp[]>();
  const add = (map: Map<string, LinOp[]>, op: LinOp): void => {
    let list = map.get(op.key);
    if (list === undefined) map.set(op.key, (list = []));
    list.push(op);
  };
  for (const call of calls) {
    if (call.outcome === "fail") {
      const open = model.prepare({ ...call, outcome: "pending", returnIndex: Infinity });
      if (open !== undefined) add(failed, changedOp(open, { call }));
      tick?.(workOf(open));
      continue;
    }
    const op = model.prepare(call);
    if (op !== undefined) add(raw, op);
    tick?.(workOf(op));
  }
  return { raw, failed };
}

/**
 * The work of preparing one call, in WorkTick units: one, and one per KiB of
 * the canonical text its values became (a value's text is what preparing it
 * takes time in proportion to).
 */
function workOf(op: LinOp | undefined): number {
  if (op === undefined) return 1;
  return 1 + textKiB(op.arg) + textKiB(op.arg2) + textKiB(op.out);
}

function textKiB(s: unknown): number {
  return typeof s === "string" ? s.length >> 10 : 0;
}

/** The client operations invoked in `history`, for a result given before they were all paired. */
function countInvokes(history: History): number {
  let n = 0;
  for (const op of history) if (op.type === "invoke" && isClientOp(op)) n++;
  return n;
}

/**
 * One key: a quick proof of a violation (`Model.refute`, on the raw ops)
 * when the model has one and it applies, since it spares the search from
 * exhausting every order; otherwise the search over the pruned ops.
 */
function checkKey(model: Model, pruned: readonly LinOp[], raw: readonly LinOp[], failed: readonly LinOp[], budget: SearchBudget, tick: WorkTick | undefined): Invalid | Exclude<SearchResult, { verdict: "invalid" }> {
  let refuted: Refuted | undefined;
  try {
    refuted = model.refute?.(raw, failed, tick);
  } catch (e) {
    // The proof's work looks at the clock as the search does: out of time, the key is unknown.
    if (!(e instanceof WorkTimeLimitError)) throw e;
    return { verdict: "unknown", reason: "time-limit", explored: 0, memoEntries: 0 };
  }
  if (refuted === undefined) return searchPartition(model, pruned, budget);
  return { verdict: "invalid", failed: refuted.op, prefixEnd: refuted.end, partials: [], explored: 0, memoEntries: 0, refuted };
}

/**
 * Memo entries for the extra search that finds the longest partial orders for
 * the report. It only improves the explanation, so it stays small: on one key
 * with 50 writers, 200,000 entries cost about a second and still ran out.
 */
const REPORT_MEMO_ENTRIES_MAX = 20_000;

type Invalid = Extract<SearchResult, { verdict: "invalid" }> & {
  /** The prefix is known to be the shortest failing one (absent: the budget ran out before that was settled). */
  exact?: boolean;
  /** The violation was proven without the search (`Model.refute`); it holds in every prefix that ends at or after `refuted.end`. */
  refuted?: Refuted;
};

/**
 * The lookahead lets the search give up before the event that really cannot
 * be passed, so the failure point is found again by binary search over
 * prefixes: the prefix ending at event L keeps the operations called by L;
 * those still open at L become indefinite (a read still open constrains
 * nothing). The smallest L whose prefix is not linearizable ends at the
 * completion of the operation to blame.
 */
function shortestFailingPrefix(model: Model, ops: readonly LinOp[], failed: readonly LinOp[], full: Invalid, budget: SearchBudget): Invalid {
  // A prefix can only stop being linearizable at an ok or a fail completion.
  const ends = ops
    .filter((o) => o.definite)
    .map((o) => o.call.returnIndex)
    .concat(failed.map((o) => o.call.returnIndex))
    .sort((a, b) => a - b);
  if (ends.length === 0) return full;
  const results = new Map<number, SearchResult>();
  const refutedEnd = full.refuted?.end ?? Infinity;
  const at = (i: number): SearchResult => {
    if (ends[i]! >= refutedEnd) return full;
    let r = results.get(i);
    if (r === undefined) results.set(i, (r = searchPartition(model, prefixOps(model, ops, failed, ends[i]!), budget)));
    return r;
  };
  // The search with lookahead gets stuck no later than the true failure
  // point (it explores a subset of the orders), so start there and gallop up.
  let lo = ends.findIndex((e) => e >= full.prefixEnd);
  if (lo === -1) lo = ends.length - 1;
  if (lo > 0 && at(lo - 1).verdict !== "valid") lo = 0;
  let hi = ends.length - 1;
  for (let step = 1, i = lo; i < ends.length; step *= 2, i = lo + step - 1) {
    const r = at(i);
    if (r.verdict === "unknown") return full;
    if (r.verdict === "invalid") {
      hi = i;
      break;
    }
    lo = i + 1;
  }
  // Invariant: the prefix up to ends[hi] fails (the whole history does); all before lo pass.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = at(mid);
    if (r.verdict === "unknown") return full;
    if (r.verdict === "invalid") hi = mid;
    else lo = mid + 1;
  }
  const end = ends[lo]!;
  const found = at(lo);
  if (found.verdict !== "invalid") return full;
  if (end >= refutedEnd) return { ...full, exact: true };
  const blamed = ops.find((o) => o.definite && o.call.returnIndex === end) ?? failed.find((o) => o.call.returnIndex === end) ?? found.failed;
  const partials = longestPartials(model, ops, failed, end, budget) ?? found.partials;
  return { ...found, partials, failed: blamed, prefixEnd: end, exact: true, refuted: undefined };
}

/**
 * The lookahead stops orders early, so the partial orders of a search with
 * it are short. For the report, the failing prefix is searched once more
 * without it, on a small memo budget, to get the longest partial orders;
 * undefined when that search does not finish.
 */
function longestPartials(model: Model, ops: readonly LinOp[], failed: readonly LinOp[], end: number, budget: SearchBudget): PartialLinearization[] | undefined {
  const plain: Model = { ...model, viable: undefined };
  const again = searchPartition(plain, prefixOps(plain, ops, failed, end), { ...budget, memoEntriesMax: Math.min(budget.memoEntriesMax, REPORT_MEMO_ENTRIES_MAX) });
  return again.verdict === "invalid" ? again.partials : undefined;
}

/**
 * The prefix ending at event `end`: ops called by then; those still open
 * become indefinite (an open read constrains nothing), failed ops still open
 * too. Pruned afresh, since what counts as observed depends on the cut.
 */
function prefixOps(model: Model, ops: readonly LinOp[], failed: readonly LinOp[], end: number): LinOp[] {
  const out: LinOp[] = [];
  for (const op of ops) {
    if (op.call.callIndex > end) continue;
    if (op.call.returnIndex <= end) out.push(op);
    else if (!op.readOnly) out.push(changedOp(op, { definite: false }));
  }
  for (const op of failed) if (op.call.callIndex <= end && op.call.returnIndex > end) out.push(op);
  return model.prune === undefined ? out : model.prune(out);
}

function showKey(model: Model, key: string): string {
  if (model.describeKey !== undefined) return model.describeKey(key);
  return key === "" ? "key (single object)" : `key ${JSON.stringify(key)}`;
}

/** The failure as reported: the op to blame, the calls involved, the partial orders found, and a paragraph for people. */
function describeFailure(model: Model, key: string, r: Invalid, ops: readonly LinOp[]): LinearizabilityFailure {
  const failed = r.failed.call;
  const proof = r.refuted?.because ?? [];
  const ranked = rankInvolved(model, failed, proof, ops);
  const involved = [...ranked].sort((a, b) => a.callIndex - b.callIndex);
  const partials = r.partials.map((p: PartialLinearization) => ({
    stateBefore: p.stateBefore,
    skipped: p.skipped,
    steps: p.steps.map((s) => ({ op: s.op.call, description: model.describeOp(s.op), stateAfter: s.stateAfter })),
  }));
  const where = key === "" ? "" : `${showKey(model, key)}: `;
  const message =
    `${where}process ${String(failed.process)}'s ${model.describeOp(r.failed)} ` +
    `(ops ${failed.invoke.index}..${failed.completion?.index ?? "?"}) cannot be linearized: ` +
    (r.refuted !== undefined
      ? `${r.refuted.reason}${r.exact === true ? "" : " (whether a shorter prefix fails too was not settled within the budget)"}.`
      : r.exact === true
      ? `no order of the operations up to op ${r.prefixEnd} explains it.`
      : `the search could not get past op ${r.prefixEnd} (the shortest failing prefix was not pinned down within the budget).`) +
    stateNote(partials) +
    involvedNote(model, failed, proof, ranked, ops);
  return { key, op: failed, prefixEnd: r.prefixEnd, involved, partials, message };
}

/**
 * The calls to show with a failure, most telling first (the cap of 64 and
 * the message keep these): the failing op, the proof, the latest ops before
 * it, the definite overlapping ones, then the indefinite ones (which overlap
 * everything after their call).
 */
function rankInvolved(model: Model, failed: Call, proof: readonly LinOp[], ops: readonly LinOp[]): Call[] {
  const overlapping = ops.map((o) => o.call).filter((c) => c === failed || (c.callIndex < failed.returnIndex && c.returnIndex > failed.callIndex));
  // What the failing op had to see: the latest ops that completed before it
  // was called (those no other completed op follows in real time), among the
  // writes and among all ops (a read that already saw a newer state).
  const before = ops.filter((o) => o.call.outcome === "ok" && o.call.returnIndex < failed.callIndex);
  const latest = (list: readonly LinOp[]): Call[] => {
    const lastCall = list.reduce((m, o) => Math.max(m, o.call.callIndex), -1);
    return list.filter((o) => o.call.returnIndex > lastCall).map((o) => o.call);
  };
  // With several registers in a partition, the latest writes of each
  // (the writes of each register gathered in one pass: a transaction may
  // write thousands of them).
  const writes = before.filter((o) => !o.readOnly);
  const keysWritten = model.keysWritten;
  let latestWrites: Call[];
  if (keysWritten === undefined) latestWrites = latest(writes);
  else {
    const writesOf = new Map<string, LinOp[]>();
    for (const o of writes) {
      for (const k of keysWritten(o)) {
        const list = writesOf.get(k);
        if (list === undefined) writesOf.set(k, [o]);
        else if (list.at(-1) !== o) list.push(o);
      }
    }
    latestWrites = [...writesOf.values()].flatMap(latest);
  }
  return [
    ...new Set([
      failed,
      ...proof.map((o) => o.call),
      ...latestWrites,
      ...latest(before),
      ...overlapping.filter((c) => c.returnIndex !== Infinity),
      ...overlapping,
    ]),
  ].slice(0, 64);
}

/** The message's sentence on the longest partial order, if any, and the state it leaves. */
function stateNote(partials: LinearizabilityFailure["partials"]): string {
  const longest = partials.reduce<(typeof partials)[number] | undefined>((a, p) => (a === undefined || p.skipped + p.steps.length > a.skipped + a.steps.length ? p : a), undefined);
  if (longest === undefined) return "";
  const longestOps = longest.skipped + longest.steps.length;
  return ` The longest partial order found (${longestOps} op${longestOps === 1 ? "" : "s"}) leaves the state ${longest.steps.at(-1)?.stateAfter ?? longest.stateBefore}.`;
}

/** The message's sentence naming the first few involved ops other than the failing one and the proof's (named in its reason already). */
function involvedNote(model: Model, failed: Call, proof: readonly LinOp[], ranked: readonly Call[], ops: readonly LinOp[]): string {
  const byCall = new Map([...proof, ...ops].map((o) => [o.call, o]));
  const others = ranked.filter((c) => c !== failed && !proof.some((o) => o.call === c));
  if (others.length === 0) return "";
  const shown = others.slice(0, 6).map((c) => `process ${String(c.process)}'s ${model.describeOp(byCall.get(c)!)} (${c.outcome}, ops ${c.invoke.index}..${c.completion?.index ?? "?"})`);
  return ` Involved: ${shown.join("; ")}${others.length > shown.length ? `; and ${others.length - shown.length} more` : ""}.`;
}
