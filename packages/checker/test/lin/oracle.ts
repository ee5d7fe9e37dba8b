/**
 * The dumb oracle (plainly right, too slow for anything but tests): try
 * every subset of the indefinite operations and every order of the chosen
 * operations; keep the orders that respect real time and replay them on a
 * plain sequential object.
 * Exponential, so only for histories of a handful of operations.
 */
import type { Call, History } from "../../src/index.js";
import { pairOps } from "../../src/index.js";

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
