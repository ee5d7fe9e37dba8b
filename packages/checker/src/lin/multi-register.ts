/**
 * Knossos' multi-register: registers named by keys, and transactions over
 * them. An operation is `:f :txn` (Jepsen's multi-register tests also use
 * `:read` and `:write`) whose value is a sequence of micro-operations,
 * `[[:read :x nil] [:write :y 2]]` (`:r` and `:w` too); the completion of an
 * ok one carries what each read returned, `[[:read :x 0] [:write :y 2]]`.
 * A transaction takes effect atomically, its micro-operations in order: a
 * read must return the key's value at that point (nil for a key never
 * written, unless an initial value is given), a write sets it.
 *
 * One difference from Knossos: Knossos lets a read of nil pass whatever the
 * key holds (nil stands for "not known" there), so it cannot tell a read of
 * a missing key from a read it knows nothing about. Here the reads of an ok
 * transaction are known: a nil read must find nil. The reads of a
 * transaction whose outcome is unknown (info, never completed) constrain
 * nothing, as in Knossos; one with no writes is dropped.
 *
 * Partitions: the keys two transactions share tie them together, so the
 * history is split by the connected components of the graph whose edges are
 * the transactions (each joins the keys it touches). A component is checked
 * alone, as a key is for the other models.
 *
 * States are small integers: an interned table of the keys whose value is
 * not the initial one, so that the search memoizes them as it does any
 * primitive state.
 */
import type { EdnValue } from "../formats/edn.js";
import { EdnList, EdnMap, Keyword, printEdn } from "../formats/edn.js";
import type { Call } from "../history/pair.js";
import { HistoryError, isIndefinite } from "../history/pair.js";
import type { LinOp, Model, Refuted, State } from "./model.js";
import { canon, clipShown, linOp } from "./model.js";
import { refuteRegister } from "./refute.js";
import type { WorkTick } from "../history/work-clock.js";

export interface MultiRegisterOptions {
  /**
   * The value of each key before the history begins, as an EDN map
   * (`{:x 0 :y 0}`, as Knossos' `(multi-register {:x 0 :y 0})`). A key not in
   * it starts as nil.
   */
  initial?: EdnMap;
}

/** One micro-operation of a transaction, with its key and value as interned ids. */
interface MicroOp {
  write: boolean;
  key: number;
  value: number;
  /** The function as written in the history: `:read`, `:r`... */
  f: string;
}

/** The micro-operations of an invoke and of its completion, and whether they are known to match. */
interface Txn {
  invoke: MicroOp[];
  /** What an ok completion says (reads filled in); undefined for any other outcome. */
  done: MicroOp[] | undefined;
}

/** Both spellings of the two micro-operation functions Jepsen uses. */
function microName(f: EdnValue): "read" | "write" | undefined {
  const name = f instanceof Keyword ? f.name : typeof f === "string" ? f : undefined;
  if (name === "read" || name === "r") return "read";
  if (name === "write" || name === "w") return "write";
  return undefined;
}

function items(v: EdnValue): EdnValue[] | undefined {
  return Array.isArray(v) ? v : v instanceof EdnList ? v.items : undefined;
}

const TXN_FS = new Set(["txn", "read", "write"]);

/** Most micro-operations (or keys of a state) a message shows. */
const MICRO_SHOWN_MAX = 8;

/**
 * Keys and values, interned: a key or value is its id, so that equality is
 * `===` and a state is a short array of ids. Value 0 is nil.
 */
class Interner {
  private readonly ids = new Map<State, number>();
  readonly texts: string[] = [];
  id(v: EdnValue): number {
    const c = canon(v);
    let id = this.ids.get(c);
    if (id === undefined) {
      id = this.texts.length;
      this.ids.set(c, id);
      this.texts.push(printEdn(v));
    }
    return id;
  }
}

const NIL = 0;

/**
 * The states seen: each the sorted (key, value) pairs of the keys whose
 * value is not their initial one, interned by their text. State 0 is every
 * key at its initial value.
 */
class States {
  private readonly byText = new Map<string, number>([["", 0]]);
  readonly pairs: Int32Array[] = [new Int32Array(0)];

  intern(entries: Map<number, number>, initialOf: (key: number) => number): number {
    const keys = [...entries.keys()].filter((k) => entries.get(k) !== initialOf(k)).sort((a, b) => a - b);
    const flat = new Int32Array(keys.length * 2);
    let text = "";
    for (let i = 0; i < keys.length; i++) {
      flat[2 * i] = keys[i]!;
      flat[2 * i + 1] = entries.get(keys[i]!)!;
      text += keys[i]! + "=" + entries.get(keys[i]!)! + ",";
    }
    let id = this.byText.get(text);
    if (id === undefined) {
      id = this.pairs.length;
      this.byText.set(text, id);
      this.pairs.push(flat);
    }
    return id;
  }
}

/**
 * The multi-register model over the calls of one history: it reads every
 * transaction once, ties keys together by the transactions that touch them
 * (the partitions), and checks transactions against states of the keys.
 */
export function multiRegisterModel(calls: readonly Call[], options: MultiRegisterOptions = {}, tick?: WorkTick): Model {
  const keys = new Interner();
  const values = new Interner();
  values.id(null); // NIL
  const initial = new Map<number, number>();
  for (const [k, v] of options.initial?.entries ?? []) initial.set(keys.id(k), values.id(v));
  const initialOf = (key: number): number => initial.get(key) ?? NIL;
  const states = new States();

  const parse = (call: Call, v: EdnValue, side: "invoke" | "completion"): MicroOp[] => {
    const at = side === "invoke" ? call.invoke : call.completion!;
    const list = items(v);
    if (list === undefined) throw new HistoryError(`op ${at.index}: a transaction's value is a vector of micro-operations, [[:read :x nil] [:write :y 2]]; got ${printEdn(v).slice(0, 60)}`, at);
    return list.map((m) => {
      const parts = items(m);
      const f = parts !== undefined && parts.length === 3 ? microName(parts[0]!) : undefined;
      if (parts === undefined || f === undefined) {
        throw new HistoryError(`op ${at.index}: the multi-register model knows the micro-operations [:read k v] and [:write k v] (or :r and :w); got ${printEdn(m).slice(0, 60)}`, at);
      }
      return { write: f === "write", key: keys.id(parts[1]!), value: values.id(parts[2]!), f: printEdn(parts[0]!) };
    });
  };

  /**
   * `[[:read :x 0] [:write :y 2]]`; with `reads` false, each read's value is
   * `?` (not known). At most MICRO_SHOWN_MAX micro-operations, then how many
   * more: a transaction can hold thousands.
   */
  const show = (micro: readonly MicroOp[], reads: boolean): string =>
    "[" +
    micro
      .slice(0, MICRO_SHOWN_MAX)
      .map((m) => `[${m.f} ${clipShown(keys.texts[m.key]!)} ${m.write || reads ? clipShown(values.texts[m.value]!) : "?"}]`)
      .join(" ") +
    (micro.length > MICRO_SHOWN_MAX ? ` and ${micro.length - MICRO_SHOWN_MAX} more` : "") +
    "]";

  // Each call's transaction, read once: prepare is asked again for failed calls and for prefixes.
  const txns = new Map<number, Txn>();
  const txnOf = (call: Call): Txn => {
    let t = txns.get(call.id);
    if (t !== undefined) return t;
    if (!TXN_FS.has(call.f)) throw new HistoryError(`the multi-register model does not know :f :${call.f} (op ${call.invoke.index}); it checks :txn operations`, call.invoke);
    const invoke = parse(call, call.invoke.value, "invoke");
    let done: MicroOp[] | undefined;
    if (call.outcome === "ok") {
      done = parse(call, call.completion!.value, "completion");
      const same = done.length === invoke.length && done.every((m, i) => m.write === invoke[i]!.write && m.key === invoke[i]!.key && (!m.write || m.value === invoke[i]!.value));
      if (!same) {
        throw new HistoryError(
          `op ${call.completion!.index}: the completion's micro-operations ${show(done, true)} are not those invoked (op ${call.invoke.index}: ${show(invoke, true)}); an ok transaction returns its micro-operations with what each read returned`,
          call.completion!,
        );
      }
    }
    txns.set(call.id, (t = { invoke, done }));
    return t;
  };

  /** What a call does, as the search sees it: an ok one's micro-operations, or an unknown one's writes. */
  const effect = (call: Call): MicroOp[] => {
    const t = txnOf(call);
    return !isIndefinite(call) && t.done !== undefined ? t.done : t.invoke.filter((m) => m.write);
  };

  // Partitions: union-find over the keys each call's effect touches (a
  // failed call as it was while open: its writes).
  const parent: number[] = [];
  const find = (k: number): number => {
    while (parent[k] !== undefined && parent[k] !== k) {
      parent[k] = parent[parent[k]!] ?? parent[k]!;
      k = parent[k]!;
    }
    return k;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  for (const call of calls) {
    const touched = effect(call.outcome === "fail" ? { ...call, outcome: "pending" } : call);
    if (tick !== undefined) {
      // Reading a transaction is the work: its micro-operations, invoked and returned.
      const t = txns.get(call.id)!;
      tick(1 + t.invoke.length + (t.done?.length ?? 0));
    }
    for (const m of touched) {
      parent[m.key] ??= m.key;
      union(touched[0]!.key, m.key);
    }
  }
  // A partition is named by its keys, in the order they were first seen (its root is the first).
  const members = new Map<number, number[]>();
  for (let k = 0; k < keys.texts.length; k++) {
    if (parent[k] === undefined) continue;
    const root = find(k);
    let list = members.get(root);
    if (list === undefined) members.set(root, (list = []));
    list.push(k);
  }
  const partitionName = new Map<number, string>();
  const partitionSize = new Map<string, number>();
  for (const [root, list] of members) {
    const shown = list.slice(0, 6).map((k) => keys.texts[k]!);
    const name = shown.join(" ") + (list.length > shown.length ? ` and ${list.length - shown.length} more` : "");
    partitionName.set(root, name);
    partitionSize.set(name, list.length);
  }

  /** The transactions the search was given, by the id in their LinOp's `arg`. */
  const byId: MicroOp[][] = [];

  /** The value of `key` in a state's pairs, which are sorted by key: a binary search, as a state may hold every key. */
  const valueIn = (pairs: Int32Array, key: number): number => {
    let lo = 0;
    let hi = pairs.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const k = pairs[2 * mid]!;
      if (k === key) return pairs[2 * mid + 1]!;
      if (k < key) lo = mid + 1;
      else hi = mid;
    }
    return initialOf(key);
  };

  /**
   * The register proof (refute.ts) on each key of a partition: a
   * transaction is, on key k, a read of k (when it reads k before writing
   * it, and its reads are known) and a write of its last value for k, both
   * within its call and return. Every linearization of the transactions
   * gives one of these per-key histories, so a key whose history cannot be
   * linearized proves the partition cannot either.
   */
  const refute = (ops: readonly LinOp[], failed: readonly LinOp[], tick?: WorkTick): Refuted | undefined => {
    const perKey = new Map<number, { ops: LinOp[]; failed: LinOp[] }>();
    const origin = new Map<LinOp, LinOp>();
    const project = (op: LinOp, into: "ops" | "failed"): void => {
      const micro = byId[op.arg as number]!;
      tick?.(1 + micro.length);
      const first = new Map<number, MicroOp>(); // key -> its first access
      const last = new Map<number, number>(); // key -> the last value written
      for (const m of micro) {
        if (!first.has(m.key)) first.set(m.key, m);
        if (m.write) last.set(m.key, m.value);
      }
      for (const [key, access] of first) {
        let lists = perKey.get(key);
        if (lists === undefined) perKey.set(key, (lists = { ops: [], failed: [] }));
        if (!access.write && op.definite) {
          const r = linOp({ call: op.call, key: op.key, kind: "read", arg: null, arg2: null, out: access.value, definite: true, readOnly: true });
          origin.set(r, op);
          lists[into].push(r);
        }
        const v = last.get(key);
        if (v === undefined) continue;
        const w = linOp({ call: op.call, key: op.key, kind: "write", arg: v, arg2: null, out: null, definite: op.definite, readOnly: false });
        origin.set(w, op);
        lists[into].push(w);
      }
    };
    for (const op of ops) project(op, "ops");
    for (const op of failed) project(op, "failed");
    let best: { key: number; r: NonNullable<ReturnType<typeof refuteRegister>> } | undefined;
    for (const [key, lists] of perKey) {
      tick?.(1 + lists.ops.length + lists.failed.length);
      const r = refuteRegister(lists.ops, lists.failed, initialOf(key));
      if (r !== undefined && (best === undefined || r.end < best.r.end)) best = { key, r };
    }
    if (best === undefined) return undefined;
    const { key, r } = best;
    const k = clipShown(keys.texts[key]!);
    const v = clipShown(values.texts[r.read.out as number]!);
    const name = (op: LinOp): string => `process ${String(op.call.process)}'s ${model.describeOp(origin.get(op)!)} (ops ${op.call.invoke.index}..${op.call.completion?.index ?? "?"})`;
    let reason: string;
    if (r.overwrite === undefined) reason = `nothing that could set ${k} to ${v} was called before it returned`;
    else if (r.producer === undefined) reason = `${k} was no longer ${v} (its initial value): ${name(r.overwrite)} completed before it was called`;
    else reason = `${k} was last set to ${v} by ${name(r.producer)}, and ${name(r.overwrite)} overwrote it before this transaction was called`;
    if (r.end > r.read.call.returnIndex) reason += ` (once the transactions that failed by op ${r.end} are known not to have happened)`;
    const because = [r.producer, r.overwrite].filter((o): o is LinOp => o !== undefined).map((o) => origin.get(o)!);
    return { op: origin.get(r.read)!, end: r.end, because, reason };
  };

  const model: Model = {
    name: "multi-register",
    refute,
    prepare(call) {
      if (call.outcome === "fail") return undefined;
      const micro = effect(call);
      if (micro.length === 0) return undefined; // an empty transaction, or an unknown one that writes nothing
      const definite = !isIndefinite(call);
      const readOnly = micro.every((m) => !m.write);
      const id = byId.length;
      byId.push(micro);
      const key = partitionName.get(find(micro[0]!.key))!;
      return linOp({ call, key, kind: "txn", arg: id, arg2: null, out: null, definite, readOnly, observes: micro.some((m) => !m.write) });
    },
    init: () => 0,
    step(state, op) {
      const micro = byId[op.arg as number]!;
      const pairs = states.pairs[state as number]!;
      let changed: Map<number, number> | undefined;
      for (const m of micro) {
        const current = changed?.get(m.key) ?? valueIn(pairs, m.key);
        if (!m.write) {
          // The reads of a transaction whose outcome is unknown are unknown too.
          if (op.definite && current !== m.value) return undefined;
          continue;
        }
        if (current === m.value) continue;
        if (changed === undefined) {
          changed = new Map();
          for (let i = 0; i < pairs.length; i += 2) changed.set(pairs[i]!, pairs[i + 1]!);
        }
        changed.set(m.key, m.value);
      }
      return changed === undefined ? state : states.intern(changed, initialOf);
    },
    describeState(state) {
      const pairs = states.pairs[state as number]!;
      const shown: string[] = [];
      for (let i = 0; i < pairs.length && shown.length < MICRO_SHOWN_MAX; i += 2) shown.push(`${clipShown(keys.texts[pairs[i]!]!)} ${clipShown(values.texts[pairs[i + 1]!]!)}`);
      const more = pairs.length / 2 - shown.length;
      return `{${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}}`;
    },
    describeOp(op) {
      const t = txnOf(op.call);
      // An unknown outcome (or a prefix that ends before the completion): what the reads returned is not known.
      return `${op.call.f} ${op.definite && t.done !== undefined ? show(t.done, true) : show(t.invoke, false)}`;
    },
    keysWritten: (op) => byId[op.arg as number]!.filter((m) => m.write).map((m) => keys.texts[m.key]!),
    describeKey: (key) => ((partitionSize.get(key) ?? 1) > 1 ? `keys ${key}` : `key ${key}`),
  };
  return model;
}
