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
  const r = request as unknown as Record<string, unknown>;
  const parts = [r.type, r.key, r.value, r.delta, r.from, r.to, r.create_if_not_exists];
  // Plain values (the common case) need no key sorting.
  const plain = parts.every((p) => p === undefined || p === null || typeof p !== "object");
  const text = JSON.stringify(parts, plain ? undefined : sortKeys);
  if (text.length <= FINGERPRINT_VERBATIM_MAX_CHARS) return text;
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const o = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) sorted[k] = o[k];
  return sorted;
}
