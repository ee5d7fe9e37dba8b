/**
 * Helpers over JSON values and keys. Values held by the state machine are
 * treated as immutable: an operation builds a new value instead of changing
 * one in place, so a cached response or a snapshot can share it safely.
 * Every walk over a value here keeps its own stack instead of recursing, so
 * no nesting can overflow the call stack (values from outside are bounded at
 * the boundary too, by MAX_JSON_DEPTH).
 */
import { MAX_JSON_DEPTH, type Json, type Key } from "@dslab/protocol";

/**
 * Deepest value the map can hold: a client's value (at most MAX_JSON_DEPTH
 * levels, checked at the boundary), or a list such values were appended to.
 */
export const MAX_STORED_DEPTH = MAX_JSON_DEPTH + 1;

/**
 * Structural equality: arrays by position, objects by key set (key order
 * ignored). Iterative: it keeps its own stack of pairs still to compare, so
 * no nesting overflows the call stack.
 */
export function jsonEqual(a: Json, b: Json): boolean {
  const pending: Array<[Json, Json]> = [[a, b]];
  while (pending.length > 0) {
    const [x, y] = pending.pop() as [Json, Json];
    if (x === y) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
    if (Array.isArray(x) || Array.isArray(y)) {
      if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) pending.push([x[i] as Json, y[i] as Json]);
      continue;
    }
    const xKeys = Object.keys(x);
    if (xKeys.length !== Object.keys(y).length) return false;
    for (const k of xKeys) {
      if (!Object.hasOwn(y, k)) return false;
      pending.push([x[k] as Json, y[k] as Json]);
    }
  }
  return true;
}

/**
 * Size of a value as UTF-8 JSON text (`JSON.stringify`'s output): what
 * `maxValueBytes` bounds. Iterative, so no nesting overflows the call stack;
 * only scalars and keys are stringified, one at a time.
 */
export function jsonByteLength(v: Json): number {
  let bytes = 0;
  const pending: unknown[] = [v];
  while (pending.length > 0) {
    const x = pending.pop();
    if (typeof x !== "object" || x === null) {
      // What JSON.stringify writes for a scalar; in an array, undefined is null.
      bytes += x === undefined || typeof x === "function" || typeof x === "symbol" ? 4 : Buffer.byteLength(JSON.stringify(x), "utf8");
      continue;
    }
    if (Array.isArray(x)) {
      bytes += 2 + Math.max(0, x.length - 1); // brackets and commas
      for (let i = 0; i < x.length; i++) pending.push(x[i]);
      continue;
    }
    const o = x as Record<string, unknown>;
    let members = 0;
    for (const k of Object.keys(o)) {
      const m = o[k];
      if (m === undefined || typeof m === "function" || typeof m === "symbol") continue; // JSON.stringify leaves these out
      members++;
      bytes += Buffer.byteLength(JSON.stringify(k), "utf8") + 1; // key and colon
      pending.push(m);
    }
    bytes += 2 + Math.max(0, members - 1); // braces and commas
  }
  return bytes;
}

/**
 * A deep copy of a JSON value, built iteratively (unlike `structuredClone`,
 * no nesting overflows the call stack). Returns undefined, having copied
 * nothing of use, for a value that nests more than `maxDepth` levels of
 * arrays and objects.
 */
export function cloneJson(v: Json, maxDepth: number): Json | undefined {
  if (typeof v !== "object" || v === null) return v;
  if (maxDepth < 1) return undefined;
  const root: Json = Array.isArray(v) ? [] : {};
  // Source container, its copy, and their depth.
  const pending: Array<[Json, Json, number]> = [[v, root, 1]];
  while (pending.length > 0) {
    const [from, to, depth] = pending.pop() as [Record<string, Json> | Json[], Record<string, Json> | Json[], number];
    const keys = Array.isArray(from) ? from.keys() : Object.keys(from);
    for (const k of keys) {
      let x = (from as Record<string | number, Json>)[k] as Json;
      if (typeof x === "object" && x !== null) {
        if (depth + 1 > maxDepth) return undefined;
        const c: Json = Array.isArray(x) ? [] : {};
        pending.push([x, c, depth + 1]);
        x = c;
      }
      // defineProperty: a "__proto__" key stays an own key, as JSON.parse makes it.
      Object.defineProperty(to, k, { value: x, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}

export function isKey(v: unknown): v is Key {
  return typeof v === "string" || Number.isSafeInteger(v);
}

/**
 * Total order on keys for deterministic snapshots: integers first, ascending,
 * then strings by UTF-16 code units (never locale-dependent).
 */
export function compareKeys(a: Key, b: Key): number {
  if (typeof a === "number") return typeof b === "number" ? a - b : -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A short description of a value for error texts: `the integer 3`, `a list`. */
export function describeJson(v: Json): string {
  if (v === null) return "null";
  // Lists and objects are shown (shortened), so two of the same kind read apart: "the list [1,2], not [1,3]".
  if (Array.isArray(v)) return `the list ${shortJson(v)}`;
  if (typeof v === "number") return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === "object") return `the object ${shortJson(v)}`;
  return `the ${typeof v} ${String(v)}`;
}

/** JSON text of `v`, cut after 40 characters. */
function shortJson(v: Json): string {
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

export function formatKey(k: Key): string {
  return JSON.stringify(k);
}
