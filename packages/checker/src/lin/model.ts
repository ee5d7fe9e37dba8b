/**
 * Sequential specifications the linearizability search checks against.
 *
 * A model turns each paired call into a `LinOp` (or drops it when it cannot
 * matter: a failed operation never happened, and a read whose answer never
 * came back constrains nothing), says which key it belongs to (per-key
 * partitioning), and steps a state. States are primitives so that the search
 * can intern them and memoize (linearized set, state) pairs cheaply.
 */
import type { EdnValue } from "../formats/edn.js";
import { EdnList, EdnMap, EdnSet, EdnTagged, Keyword, printEdn } from "../formats/edn.js";
import type { Call } from "../history/pair.js";
import { HistoryError, isIndefinite } from "../history/pair.js";
import { refuteRegister } from "./refute.js";
import type { WorkTick } from "../history/work-clock.js";

export type State = string | number | bigint | boolean | null;

export interface LinOp {
  call: Call;
  /** The partition: a printed key, or "" for a single object. */
  key: string;
  /** What the model does: "read", "write", "cas", "get", "put", "append", "incr". */
  kind: string;
  /** The argument: the value written, the string appended, the delta... */
  arg: State;
  /** The second argument (cas `to`). */
  arg2: State;
  /** What a definite read returned. */
  out: State;
  /** Never changes the state (a read). */
  readOnly: boolean;
  /** The value written, when `arg`/`arg2` was replaced by UNSEEN. */
  unseen?: State;
  /**
   * Sets the state to `resetTo` whatever it was before, or (a cas) sets it to
   * `resetTo` or fails. Used by the lookahead, see `viable`.
   */
  resets?: boolean;
  resetTo?: State;
  /** The only state this op can take effect in (a kv append a read pins down). */
  pre?: State;
  /** Sets the state without looking at it (write, put): see the search's "useless" rule. */
  blind?: boolean;
  /** Its success depends on the state (reads, cas): it observes earlier writes. */
  observes?: boolean;
  /** ok: must take effect between call and return. info/pending: may take effect after its call, or never. */
  definite: boolean;
}

/** What a model says about an op; `linOp` fills in the optional fields it leaves out. */
export type LinOpFields = Pick<LinOp, "call" | "key" | "kind" | "arg" | "arg2" | "out" | "readOnly" | "definite"> & Partial<LinOp>;

/**
 * A LinOp with every field present and in one order (an optional field the
 * model does not set is undefined), so that all ops, of every kind and as
 * pruning copies them, share one object shape: the search reads their
 * fields in its inner loop, and a property read that only ever meets one
 * shape is the fast kind.
 */
export function linOp(f: LinOpFields): LinOp {
  return {
    call: f.call,
    key: f.key,
    kind: f.kind,
    arg: f.arg,
    arg2: f.arg2,
    out: f.out,
    readOnly: f.readOnly,
    unseen: f.unseen,
    resets: f.resets,
    resetTo: f.resetTo,
    pre: f.pre,
    blind: f.blind,
    observes: f.observes,
    definite: f.definite,
  };
}

/** A copy of `op` with `changes`, in the one shape every LinOp has (see `linOp`). */
export function changedOp(op: LinOp, changes: Partial<LinOp>): LinOp {
  return linOp({ ...op, ...changes });
}

export interface Model {
  readonly name: string;
  /** undefined: the call cannot affect the verdict (failed, or an unanswered read). */
  prepare(call: Call): LinOp | undefined;
  init(): State;
  /** The state after `op`, or undefined when `op` cannot take effect in `state` with what it returned. */
  step(state: State, op: LinOp): State | undefined;
  describeState(state: State): string;
  describeOp(op: LinOp): string;
  /**
   * Optional: drop indefinite ops of one key whose effect no read in the
   * history could ever reveal. Such an op may as well never have happened
   * (whatever follows it until the next overwrite cannot observe it), and
   * leaving it out spares the search from trying it at every point.
   */
  prune?(ops: LinOp[]): LinOp[];
  /**
   * Optional lookahead: false when a pending `read` can never return what it
   * returned from `state` on, unless some op with `resets` comes first (the
   * search then asks again from its `resetTo`).
   * Lets the search drop a doomed order at once instead of at the read's return.
   */
  viable?(state: State, read: LinOp): boolean;
  /**
   * True when the only ops that can follow a write of v are reads returning
   * v and cas from v (a register). The search then places an indefinite
   * write only when such an op is pending.
   */
  readonly exactReaders?: boolean;
  /**
   * Optional: a quick proof, without the search, that the ops of one key
   * (before `prune`) cannot be linearized: an op no order explains, the ops
   * that show it, and why. Must be sound; undefined proves nothing. A proof
   * whose work grows with the size of the ops' values reports it to `tick`
   * (see WorkTick), which throws once the time limit has passed.
   */
  refute?(ops: readonly LinOp[], failed: readonly LinOp[], tick?: WorkTick): Refuted | undefined;
  /**
   * Optional: the registers an op writes, when a partition holds several
   * (a multi-register transaction), so that a failure names the latest
   * writes of each of them, not only the latest writes overall.
   */
  keysWritten?(op: LinOp): readonly string[];
  /**
   * Optional: why the ops of one key (with its failed ones) cannot be judged
   * exactly, so that its verdict is unknown rather than a wrong valid or
   * invalid (a counter whose sums would be rounded).
   */
  inexact?(ops: readonly LinOp[], failed: readonly LinOp[]): string | undefined;
  /** Optional: how a partition is named in messages (`keys :x :y`); by default `key "k"`, or nothing for a single object. */
  describeKey?(key: string): string;
}

export interface Refuted {
  op: LinOp;
  /** History index from which on every prefix is refuted (at least the op's return). */
  end: number;
  because: LinOp[];
  reason: string;
}

/**
 * A canonical primitive for a value, so that equal values compare with ===.
 * Numbers and strings stay themselves; anything else becomes its EDN text
 * (`canonicalText`) behind a marker character that no string value starts
 * with.
 */
const MARK = "\u0001";
export function canon(v: EdnValue | undefined): State {
  if (v === undefined || v === null) return null;
  switch (typeof v) {
    case "number":
    case "bigint":
    case "boolean":
      return v;
    case "string":
      return v.startsWith(MARK) ? MARK + printEdn(v) : v;
  }
  return MARK + (hasUnordered(v) ? canonicalText(v) : printEdn(v));
}

/** Whether a map or a set is in `v`, at any depth. */
function hasUnordered(v: EdnValue): boolean {
  if (v instanceof EdnMap || v instanceof EdnSet) return true;
  if (Array.isArray(v)) return v.some(hasUnordered);
  if (v instanceof EdnList) return v.items.some(hasUnordered);
  if (v instanceof EdnTagged) return hasUnordered(v.value);
  return false;
}

/**
 * EDN text in which equal values read the same: a map's entries and a set's
 * items sorted by their own text, as EDN maps and sets have no order
 * (`{:a 1 :b 2}` read back as `{:b 2 :a 1}` is the same map). Values read
 * from a file nest at most NESTING_DEPTH_MAX levels, so this recursion is
 * bounded.
 */
function canonicalText(v: EdnValue): string {
  if (v instanceof EdnMap) return "{" + v.entries.map(([k, x]) => canonicalText(k) + " " + canonicalText(x)).sort().join(", ") + "}";
  if (v instanceof EdnSet) return "#{" + v.items.map(canonicalText).sort().join(" ") + "}";
  if (Array.isArray(v)) return "[" + v.map(canonicalText).join(" ") + "]";
  if (v instanceof EdnList) return "(" + v.items.map(canonicalText).join(" ") + ")";
  if (v instanceof EdnTagged) return "#" + v.tag + " " + canonicalText(v.value);
  return printEdn(v);
}

/**
 * The state after writing a value that no read in the history ever returns.
 * Every such state behaves the same (no read can succeed until it is
 * overwritten), so they are one state, and the search does not tell apart
 * the orders of unobserved writes.
 */
export const UNSEEN: State = MARK + MARK + "unseen";

/** Most characters of one value or state that a message shows: a value in a history can be megabytes long. */
export const SHOWN_CHARS_MAX = 200;

/** `text` as a message shows it: at most SHOWN_CHARS_MAX characters, and how many there are when it is longer. */
export function clipShown(text: string): string {
  if (text.length <= SHOWN_CHARS_MAX) return text;
  // Not between the two halves of a surrogate pair.
  const end = SHOWN_CHARS_MAX - (text.charCodeAt(SHOWN_CHARS_MAX - 1) >= 0xd800 && text.charCodeAt(SHOWN_CHARS_MAX - 1) <= 0xdbff ? 1 : 0);
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

export function showCanon(s: State): string {
  if (s === UNSEEN) return "(a value no read returned)";
  if (typeof s === "string") return clipShown(s.startsWith(MARK) ? s.slice(1) : JSON.stringify(s));
  if (s === null) return "nil";
  return clipShown(String(s));
}

function unsupported(model: string, call: Call): never {
  throw new HistoryError(`the ${model} model does not know :f :${call.f} (op ${call.invoke.index})`, call.invoke);
}

/** A key as its partition is named: a string as it is, anything else as its EDN text (a map or a set whatever the order of its entries). */
export function keyText(v: EdnValue): string {
  return typeof v === "string" ? v : hasUnordered(v) ? canonicalText(v) : printEdn(v);
}

function isPair(v: EdnValue | undefined): v is [EdnValue, EdnValue] {
  return Array.isArray(v) && v.length === 2;
}

export interface RegisterOptions {
  /**
   * Values are lin-kv `[key value]` tuples (Jepsen `independent`). "auto"
   * (the default) decides from the history: independent when every client
   * operation's value is a pair (and every cas value a pair of a pair).
   */
  independent?: boolean | "auto";
}

/**
 * A register with read, write and cas, with Maelstrom lin-kv semantics: a key
 * starts missing; a read of a missing key returns nil; a cas on a missing key
 * fails (so a cas that returned ok on a missing key is not linearizable).
 */
export function registerModel(calls: readonly Call[], options: RegisterOptions = {}): Model {
  let independent = options.independent ?? "auto";
  if (independent === "auto") {
    independent =
      calls.length > 0 &&
      calls.every((c) => c.invoke.key === undefined && isPair(c.invoke.value) && (c.f !== "cas" || isPair(c.invoke.value[1])));
  }
  const tupled = independent;
  const split = (call: Call, v: EdnValue | undefined): [string, EdnValue | undefined] => {
    if (call.invoke.key !== undefined) return [keyText(call.invoke.key), v];
    if (!tupled) return ["", v];
    if (!isPair(v)) throw new HistoryError(`op ${call.invoke.index}: expected a [key value] tuple, got ${v === undefined ? "nothing" : clipShown(printEdn(v))}`, call.invoke);
    return [keyText(v[0]), v[1]];
  };
  return {
    name: "register",
    exactReaders: true,
    prepare(call) {
      if (call.outcome === "fail") return undefined;
      const definite = !isIndefinite(call);
      const [key, arg] = split(call, call.invoke.value);
      switch (call.f) {
        case "read": {
          if (!definite) return undefined;
          const [, out] = split(call, call.completion!.value);
          return linOp({ call, key, kind: "read", arg: null, arg2: null, out: canon(out), definite, readOnly: true, observes: true });
        }
        case "write":
          return linOp({ call, key, kind: "write", arg: canon(arg), arg2: null, out: null, definite, readOnly: false, resets: true, resetTo: canon(arg), blind: true });
        case "cas": {
          if (!isPair(arg)) throw new HistoryError(`op ${call.invoke.index}: cas needs [from to], got ${arg === undefined ? "nothing" : clipShown(printEdn(arg))}`, call.invoke);
          return linOp({ call, key, kind: "cas", arg: canon(arg[0]), arg2: canon(arg[1]), out: null, definite, readOnly: false, observes: true, resets: true, resetTo: canon(arg[1]) });
        }
        default:
          unsupported("register", call);
      }
    },
    prune(ops) {
      // Values something must see: what reads returned, what a cas that
      // happened compared with, and, for an indefinite cas whose result is
      // seen, what it compared with (to a fixpoint). An indefinite cas whose
      // result nobody sees may as well not have happened either.
      const observed = new Set<State>();
      for (const op of ops) {
        if (op.kind === "read") observed.add(op.out);
        else if (op.kind === "cas" && op.definite) observed.add(op.arg);
      }
      // Each value is followed once, through the indefinite cas that write
      // it: linear in the ops, however long a chain of them runs.
      const casTo = new Map<State, State[]>();
      for (const op of ops) {
        if (op.kind !== "cas" || op.definite) continue;
        const froms = casTo.get(op.arg2);
        if (froms === undefined) casTo.set(op.arg2, [op.arg]);
        else froms.push(op.arg);
      }
      const pending = [...observed];
      for (let v = pending.pop(); v !== undefined; v = pending.pop()) {
        // A value enters `pending` once, when it is first observed.
        const froms = casTo.get(v);
        if (froms === undefined) continue;
        for (const from of froms) {
          if (observed.has(from)) continue;
          observed.add(from);
          pending.push(from);
        }
      }
      const out: LinOp[] = [];
      for (const op of ops) {
        if (op.kind === "read") {
          out.push(op);
          continue;
        }
        const written = op.kind === "write" ? op.arg : op.arg2;
        if (observed.has(written)) out.push(op);
        else if (op.definite) out.push(op.kind === "write" ? changedOp(op, { arg: UNSEEN, resetTo: UNSEEN, unseen: op.arg }) : changedOp(op, { arg2: UNSEEN, resetTo: UNSEEN, unseen: op.arg2 }));
      }
      return out;
    },
    refute(ops, failed) {
      const r = refuteRegister(ops, failed, null);
      if (r === undefined) return undefined;
      const v = showCanon(r.read.out);
      const show = (op: LinOp) => `process ${String(op.call.process)}'s ${this.describeOp(op)} (ops ${op.call.invoke.index}..${op.call.completion?.index ?? "?"})`;
      let reason: string;
      if (r.overwrite === undefined) reason = `nothing that could set ${v} was called before the read returned`;
      else if (r.producer === undefined) reason = `the key was no longer missing: ${show(r.overwrite)} completed before the read was called`;
      else reason = `${v} was last set by ${show(r.producer)}, and ${show(r.overwrite)} overwrote it before the read was called`;
      if (r.end > r.read.call.returnIndex) reason += ` (once the ops that failed by op ${r.end} are known not to have happened)`;
      return { op: r.read, end: r.end, because: [r.producer, r.overwrite].filter((o): o is LinOp => o !== undefined), reason };
    },
    // Reads do not change the state, so only a write or cas can help.
    viable: (state, read) => state === read.out,
    init: () => null,
    step(state, op) {
      switch (op.kind) {
        case "read":
          return op.out === state ? state : undefined;
        case "write":
          return op.arg;
        default:
          // cas: a missing key never matches (Maelstrom error 20).
          return state !== null && state === op.arg ? op.arg2 : undefined;
      }
    },
    describeState: showCanon,
    describeOp(op) {
      if (op.kind === "read") return `read ${showCanon(op.out)}`;
      if (op.kind === "write") return `write ${showCanon(op.unseen ?? op.arg)}`;
      return `cas ${showCanon(op.arg)} -> ${showCanon(op.unseen ?? op.arg2)}`;
    },
  };
}

function str(v: EdnValue | undefined): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (v instanceof Keyword) return v.name;
  return typeof v === "object" ? printEdn(v) : String(v);
}

/**
 * The 6.824 / porcupine key-value map: get, put, append on string values,
 * partitioned by `:key` (no `:key`: one map entry). A missing key reads as "" (nil is read as "" too);
 * append concatenates strings.
 */
export function kvModel(): Model {
  return {
    name: "kv",
    prepare(call) {
      if (call.outcome === "fail") return undefined;
      const definite = !isIndefinite(call);
      const key = call.invoke.key === undefined ? "" : keyText(call.invoke.key);
      switch (call.f) {
        case "get":
        case "read":
          if (!definite) return undefined;
          return linOp({ call, key, kind: "get", arg: null, arg2: null, out: str(call.completion!.value), definite, readOnly: true, observes: true });
        case "put":
        case "write":
          return linOp({ call, key, kind: "put", arg: str(call.invoke.value), arg2: null, out: null, definite, readOnly: false, resets: true, resetTo: str(call.invoke.value), blind: true });
        case "append":
          return linOp({ call, key, kind: "append", arg: str(call.invoke.value), arg2: null, out: null, definite, readOnly: false });
        default:
          unsupported("kv", call);
      }
    },
    prune(ops) {
      // Every distinct value read, minus those that are a prefix of a longer one.
      const distinct = new Set<string>();
      for (const op of ops) if (op.kind === "get") distinct.add(op.out as string);
      const reads = [...distinct].sort();
      const kept: string[] = [];
      for (let i = 0; i < reads.length; i++) if (i + 1 === reads.length || !reads[i + 1]!.startsWith(reads[i]!)) kept.push(reads[i]!);
      const seen = kept.join("\u0000");
      const shown = occurring(seen, ops.flatMap((op) => (op.kind === "get" ? [] : [op.arg as string])));
      const out: LinOp[] = [];
      for (const op of ops) {
        if (op.kind === "get" || shown.has(op.arg as string)) out.push(op);
        else if (op.definite) out.push(changedOp(op, { arg: UNSEEN, resetTo: op.resets === true ? UNSEEN : undefined, unseen: op.arg }));
      }
      return withPredecessors(out, kept);
    },
    // Without a put, the value only grows by appends.
    viable: (state, read) => state !== UNSEEN && (read.out as string).startsWith(state as string),
    init: () => "",
    step(state, op) {
      switch (op.kind) {
        case "get":
          return op.out === state ? state : undefined;
        case "put":
          return op.arg;
        default:
          if (op.pre !== undefined && state !== op.pre) return undefined;
          return state === UNSEEN || op.arg === UNSEEN ? UNSEEN : (state as string) + (op.arg as string);
      }
    },
    describeState: (s) => (s === UNSEEN ? showCanon(s) : clipShown(JSON.stringify(s))),
    describeOp(op) {
      if (op.kind === "get") return `get ${clipShown(JSON.stringify(op.out))}`;
      return `${op.kind} ${clipShown(JSON.stringify(op.unseen ?? op.arg))}`;
    },
  };
}

/** Passes over the text `occurring` makes, in characters, before it takes the rest of the patterns as found. */
const OCCURRING_WORK_MAX = 200_000_000;

/** Rabin-Karp's modulus: a prime for which every step of the hash stays an exact integer in a double. */
const HASH_MOD = 1_000_000_007;

/**
 * Which of `patterns` occur in `text`, as `text.includes` would say, in one
 * pass over the text per distinct pattern length (Rabin-Karp: each window's
 * hash looked up among the patterns of that length, a hit compared), where
 * a search per pattern would take patterns times text: 100,000 appends
 * against 3 MB of reads. The base is random, so a crafted input cannot
 * count on collisions. Past OCCURRING_WORK_MAX characters passed (many
 * distinct lengths), the patterns not yet looked for are taken as found:
 * the pruning that asks keeps their ops, which is always sound.
 */
function occurring(text: string, patterns: readonly string[]): Set<string> {
  const found = new Set<string>();
  const byLength = new Map<number, string[]>();
  for (const p of new Set(patterns)) {
    if (p.length === 0) found.add(p);
    else if (p.length <= text.length) {
      const list = byLength.get(p.length);
      if (list === undefined) byLength.set(p.length, [p]);
      else list.push(p);
    }
  }
  const base = 65_537 + Math.floor(Math.random() * 65_536);
  const hash = (p: string): number => {
    let h = 0;
    for (let i = 0; i < p.length; i++) h = (h * base + p.charCodeAt(i)) % HASH_MOD;
    return h;
  };
  let work = 0;
  // The lengths most patterns share first, so a cap leaves out the rare ones.
  for (const [length, list] of [...byLength].sort((a, b) => b[1].length - a[1].length)) {
    if (work > OCCURRING_WORK_MAX) {
      for (const p of list) found.add(p);
      continue;
    }
    work += text.length;
    const wanted = new Map<number, string[]>();
    for (const p of list) {
      const h = hash(p);
      const same = wanted.get(h);
      if (same === undefined) wanted.set(h, [p]);
      else same.push(p);
    }
    // base^(length-1): the weight of the character leaving the window.
    let top = 1;
    for (let i = 1; i < length; i++) top = (top * base) % HASH_MOD;
    let h = hash(text.slice(0, length));
    for (let i = 0; ; i++) {
      const candidates = wanted.get(h);
      if (candidates !== undefined) for (const p of candidates) if (!found.has(p) && text.startsWith(p, i)) found.add(p);
      if (i + length >= text.length) break;
      const out = (text.charCodeAt(i) * top) % HASH_MOD;
      h = ((h - out + HASH_MOD) * base + text.charCodeAt(i + length)) % HASH_MOD;
    }
  }
  return found;
}

/**
 * When the written values can be told apart inside any string read — all
 * distinct, each starting with one character L and ending with another R
 * that appear nowhere else (6.824's "x 0 1 y") — a read tells exactly what
 * the value was before each append it shows: the part of the string before
 * it (the value is unique, and a put in between would have erased it). Such
 * an append may only take effect in that state (`pre`). Otherwise nothing is
 * added.
 */
function withPredecessors(ops: LinOp[], reads: string[]): LinOp[] {
  const values: string[] = [];
  for (const op of ops) {
    if (op.kind === "append" || op.kind === "put") {
      const v = op.unseen ?? op.arg;
      if (typeof v !== "string") return ops;
      values.push(v);
    }
  }
  if (values.length === 0 || new Set(values).size !== values.length) return ops;
  const first = values[0]!;
  if (first.length < 2) return ops;
  const L = first[0]!;
  const R = first[first.length - 1]!;
  if (L === R) return ops;
  for (const v of values) {
    if (v.length < 2 || v[0] !== L || v[v.length - 1] !== R) return ops;
    // Neither inside: L only first, R only last.
    if (v.indexOf(L, 1) !== -1 || v.indexOf(R, 1) !== v.length - 1) return ops;
  }
  // Split every read into its values; the prefix before each one.
  const pre = new Map<string, string | null>();
  for (const r of reads) {
    let start = 0;
    while (start < r.length) {
      const end = r.indexOf(R, start);
      if (r[start] !== L || end === -1) break; // not made of values: learn nothing more from it
      const token = r.slice(start, end + 1);
      const before = r.slice(0, start);
      const known = pre.get(token);
      pre.set(token, known === undefined || known === before ? before : null); // null: reads disagree
      start = end + 1;
    }
  }
  return ops.map((op) => {
    if (op.kind !== "append" || typeof op.arg !== "string") return op;
    const p = pre.get(op.arg);
    return p === undefined || p === null ? op : changedOp(op, { pre: p });
  });
}

/** A number as read: a bigint (an integer beyond 2^53) stays exact, for `inexact` to refuse or a read to compare. */
function num(call: Call, v: EdnValue | undefined, dflt: number | null): number | bigint {
  if (v === undefined || v === null) {
    if (dflt !== null) return dflt;
    throw new HistoryError(`op ${call.invoke.index}: expected a number`, call.invoke);
  }
  if (typeof v === "number" || typeof v === "bigint") return v;
  throw new HistoryError(`op ${call.invoke.index}: expected a number, got ${clipShown(printEdn(v))}`, call.invoke);
}

/**
 * A counter: `incr` (or Jepsen's `add`) by the invoke's value (1 when nil),
 * `read` returns the total. Starts at 0. Partitioned by `:key` when present.
 * The value an incr returned is not checked here (see the exactly-once checker).
 */
export function counterModel(): Model {
  return {
    name: "counter",
    prepare(call) {
      if (call.outcome === "fail") return undefined;
      const definite = !isIndefinite(call);
      const key = call.invoke.key === undefined ? "" : keyText(call.invoke.key);
      switch (call.f) {
        case "read":
          if (!definite) return undefined;
          return linOp({ call, key, kind: "read", arg: null, arg2: null, out: num(call, call.completion!.value, 0), definite, readOnly: true, observes: true });
        case "incr":
        case "add":
          return linOp({ call, key, kind: "incr", arg: num(call, call.invoke.value, 1), arg2: null, out: null, definite, readOnly: false });
        default:
          unsupported("counter", call);
      }
    },
    init: () => 0,
    step(state, op) {
      if (op.kind === "read") return op.out === state ? state : undefined;
      return (state as number) + (op.arg as number);
    },
    describeState: (s) => String(s),
    describeOp: (op) => (op.kind === "read" ? `read ${String(op.out)}` : `incr ${String(op.arg)}`),
    inexact: (ops, failed) => inexactCount(ops.concat(failed), "counter"),
  };
}

/**
 * Why sums of these increments would not be exact, or undefined when every
 * one of them, and every sum of them in any order, is an integer within
 * ±2^53, where doubles add exactly. Beyond it a sum is rounded (2^53 + 1 is
 * 2^53), and fractions round in an order-dependent way (0.1 + 0.2 is not
 * 0.3), so a judgement would be a guess: the caller gives unknown instead.
 * A read needs no such bound: compared with exact states, a read beyond
 * 2^53 or of a fraction is simply a value no state has. Shared with the
 * exactly-once check (`what` names the thing not judged).
 */
export function inexactCount(ops: readonly { kind: string; arg: unknown; call: Call }[], what: string): string | undefined {
  const bound = ` (${Number.MAX_SAFE_INTEGER}), where doubles add exactly; the ${what} is not judged`;
  let sum = 0;
  for (const op of ops) {
    if (op.kind !== "incr") continue;
    const d = op.arg;
    if (typeof d !== "number" || !Number.isSafeInteger(d)) return `op ${op.call.invoke.index}: incr ${showCanon(d as State)} is not an integer within ±2^53${bound}`;
    sum += Math.abs(d);
  }
  if (sum > Number.MAX_SAFE_INTEGER) {
    let exact = 0n;
    for (const op of ops) if (op.kind === "incr") exact += BigInt(Math.abs(op.arg as number));
    return `the increments add up to ${exact} at most, beyond ±2^53${bound}`;
  }
  return undefined;
}
