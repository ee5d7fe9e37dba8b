/**
 * What makes two requests under one (client_id, seq) "the same request": the
 * operation and its arguments, never the per-attempt fields (`msg_id`,
 * `in_reply_to`) or the identity itself. A session keeps the fingerprint of
 * the request it applied at its last seq, so a copy of that request is
 * answered from the cache while a different request that reuses the seq is
 * refused (1007) instead of being handed someone else's reply.
 *
 * The fingerprint is canonical JSON (object keys sorted, so key order inside
 * a value does not matter) of `[type, key, value, delta, from, to,
 * create_if_not_exists]`. Short ones are kept as they are, which costs no
 * hashing on the hot path and reads well in a snapshot; longer ones are
 * replaced by their SHA-256, so a session's memory does not grow with the
 * size of the values it was sent. Every replica computes the same string
 * from the same log entry.
 */
import { createHash } from "node:crypto";
import type { ClientRequestBody } from "@dslab/protocol";

/** Fingerprints up to this many characters are stored verbatim. */
export const FINGERPRINT_VERBATIM_MAX_CHARS = 120;

export function requestFingerprint(request: ClientRequestBody): string {
  const text = plainFingerprintText(request) ?? fingerprintText(request);
  if (text.length <= FINGERPRINT_VERBATIM_MAX_CHARS) return text;
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/** The canonical JSON text of a request's parts, for any JSON values in them. */
export function fingerprintText(request: ClientRequestBody): string {
  const r = request as unknown as Record<string, unknown>;
  const parts = [r.type, r.key, r.value, r.delta, r.from, r.to, r.create_if_not_exists];
  // Plain values need no key sorting.
  const plain = parts.every((p) => p === undefined || p === null || typeof p !== "object");
  return JSON.stringify(parts, plain ? undefined : sortKeys);
}

/**
 * `fingerprintText` written out for a request whose parts are all strings,
 * finite numbers, booleans, null or absent (every write, append, incr and cas
 * of plain values: the fingerprint of each one every replica applies), or
 * null for any other request. Each part is printed as JSON.stringify prints
 * it inside an array, without building the array: this runs once per
 * applied write on every replica. A test holds it to `fingerprintText`.
 */
export function plainFingerprintText(request: ClientRequestBody): string | null {
  const r = request as unknown as Record<string, unknown>;
  const type = plainJson(r.type);
  const key = plainJson(r.key);
  const value = plainJson(r.value);
  const delta = plainJson(r.delta);
  const from = plainJson(r.from);
  const to = plainJson(r.to);
  const create = plainJson(r.create_if_not_exists);
  if (type === null || key === null || value === null || delta === null || from === null || to === null || create === null) return null;
  return `[${type},${key},${value},${delta},${from},${to},${create}]`;
}

/**
 * A string JSON.stringify prints as it is, between quotes: no quote, no
 * backslash, no control character, no surrogate (a lone one is escaped).
 * Testing for those is cheaper than a call into the JSON printer.
 */
const PRINTED_AS_IS = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** How JSON.stringify prints `v` as an array element, for a plain value; null for anything else. */
function plainJson(v: unknown): string | null {
  switch (typeof v) {
    case "string":
      return PRINTED_AS_IS.test(v) ? `"${v}"` : JSON.stringify(v);
    case "number":
      // JSON prints a non-finite number as null; String(-0) is "0", as in JSON.
      return Number.isFinite(v) ? String(v) : "null";
    case "boolean":
      return v ? "true" : "false";
    case "undefined":
      return "null";
    default:
      return v === null ? "null" : null;
  }
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const o = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) sorted[k] = o[k];
  return sorted;
}
