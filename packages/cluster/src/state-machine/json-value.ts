/**
 * Helpers over JSON values and keys. Values held by the state machine are
 * treated as immutable: an operation builds a new value instead of changing
 * one in place, so a cached response or a snapshot can share it safely.
 */
import type { Json, Key } from "@dslab/protocol";

/** Structural equality: arrays by position, objects by key set (key order ignored). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i] as Json, b[i] as Json)) return false;
    return true;
  }
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  for (const k of aKeys) {
    if (!Object.hasOwn(b, k) || !jsonEqual(a[k] as Json, b[k] as Json)) return false;
  }
  return true;
}

/** Size of a value as UTF-8 JSON text: what `maxValueBytes` bounds. */
export function jsonByteLength(v: Json): number {
  return Buffer.byteLength(JSON.stringify(v), "utf8");
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
  if (Array.isArray(v)) return "a list";
  if (typeof v === "number") return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === "object") return "an object";
  return `the ${typeof v} ${String(v)}`;
}

export function formatKey(k: Key): string {
  return JSON.stringify(k);
}
