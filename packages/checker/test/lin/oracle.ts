/**
 * The dumb oracle (plainly right, too slow for anything but tests): try
 * every subset of the indefinite operations and every order of the chosen
 * operations; keep the orders that respect real time and replay them on a
 * plain sequential object.
 * Exponential, so only for histories of a handful of operations.
 */
import type { Call, History, Value } from "../../src/index.js";
import { pairOps, printEdn } from "../../src/index.js";

type Obj = { kind: "register" | "kv" | "counter" };

function replay(kind: Obj["kind"], order: Call[]): boolean {
  const store = new Map<string, unknown>();
  for (const c of order) {
    const key = c.invoke.key === undefined ? "" : String(c.invoke.key);
    const cur = store.get(key);
    const out = c.outcome === "ok" ? c.completion!.value : undefined;
    if (kind === "register") {
      if (c.f === "read") {
        if ((cur ?? null) !== out) return false;
      } else if (c.f === "write") store.set(key, c.invoke.value);
      else {
        const [from, to] = c.invoke.value as [number, number];
        if (cur === undefined || cur !== from) return false;
        store.set(key, to);
      }
    } else if (kind === "kv") {
      const s = (cur as string | undefined) ?? "";
      if (c.f === "get") {
        if (s !== (out ?? "")) return false;
      } else if (c.f === "put") store.set(key, c.invoke.value);
      else store.set(key, s + (c.invoke.value as string));
    } else {
      const n = (cur as number | undefined) ?? 0;
      if (c.f === "read") {
        if (n !== out) return false;
      } else store.set(key, n + (c.invoke.value as number));
    }
  }
  return true;
}

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield items.slice();
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = items.slice(0, i).concat(items.slice(i + 1));
    for (const p of permutations(rest)) yield [items[i]!, ...p];
  }
}

export function bruteForceLinearizable(kind: Obj["kind"], history: History): boolean {
  const calls = pairOps(history).filter((c) => c.outcome !== "fail");
  const definite = calls.filter((c) => c.outcome === "ok");
  // Reads that never answered constrain nothing.
  const maybe = calls.filter((c) => c.outcome !== "ok" && !(c.f === "read" || c.f === "get"));
  for (let mask = 0; mask < 1 << maybe.length; mask++) {
    const chosen = definite.concat(maybe.filter((_, i) => (mask & (1 << i)) !== 0));
    for (const order of permutations(chosen)) {
      let realTimeOk = true;
      for (let i = 0; i < order.length && realTimeOk; i++) {
        for (let j = i + 1; j < order.length; j++) {
          // order[j] completed before order[i] was called, yet comes after it.
          if (order[j]!.returnIndex < order[i]!.callIndex) {
            realTimeOk = false;
            break;
          }
        }
      }
      if (realTimeOk && replay(kind, order)) return true;
    }
  }
  return false;
}

/**
 * The same for Knossos' multi-register: every subset of the unknown
 * transactions, every order; each transaction replayed micro-operation by
 * micro-operation on a map of keys (compared as printed EDN). An ok
 * transaction's reads must see the value (nil for a key never written,
 * unless `initial` says otherwise); an unknown one's reads are not known.
 */
export function bruteForceMultiRegister(history: History, initial: ReadonlyMap<string, string> = new Map()): boolean {
  const calls = pairOps(history).filter((c) => c.outcome !== "fail");
  const definite = calls.filter((c) => c.outcome === "ok");
  const maybe = calls.filter((c) => c.outcome !== "ok");
  const replayTxns = (order: Call[]): boolean => {
    const store = new Map(initial);
    for (const c of order) {
      const known = c.outcome === "ok";
      for (const m of (known ? c.completion!.value : c.invoke.value) as Value[][]) {
        const [f, k, v] = m.map((x) => printEdn(x));
        if (f === ":read" || f === ":r") {
          if (known && (store.get(k!) ?? "nil") !== v) return false;
        } else store.set(k!, v!);
      }
    }
    return true;
  };
  for (let mask = 0; mask < 1 << maybe.length; mask++) {
    const chosen = definite.concat(maybe.filter((_, i) => (mask & (1 << i)) !== 0));
    for (const order of permutations(chosen)) {
      if (respectsRealTime(order) && replayTxns(order)) return true;
    }
  }
  return false;
}

function respectsRealTime(order: Call[]): boolean {
  for (let i = 0; i < order.length; i++) {
    for (let j = i + 1; j < order.length; j++) if (order[j]!.returnIndex < order[i]!.callIndex) return false;
  }
  return true;
}
