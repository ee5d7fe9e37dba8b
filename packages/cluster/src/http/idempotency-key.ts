/**
 * The Idempotency-Key header (IETF httpapi draft "The Idempotency-Key HTTP
 * Header Field"): its value is a Structured Field string, e.g.
 * `Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"`. A bare token is
 * accepted too, as most clients send one. The fingerprint is what makes "the
 * same request": a SHA-256 over method, path, the If-Match header and the
 * body as canonical JSON (sorted keys), so whitespace or key order in a
 * retried body does not turn it into a "different request".
 */
import { createHash } from "node:crypto";
import { jsonDepthExceeds, MAX_MESSAGE_DEPTH } from "@dslab/protocol";

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export type KeyParse = { ok: true; key: string } | { ok: false; message: string };

export function parseIdempotencyKey(raw: string): KeyParse {
  let key = raw.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1).replace(/\\(["\\])/g, "$1");
  if (key.length === 0) return { ok: false, message: "Idempotency-Key is empty" };
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return { ok: false, message: `Idempotency-Key is longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` };
  }
  if (!/^[\x20-\x7e]+$/.test(key)) return { ok: false, message: "Idempotency-Key must be printable ASCII" };
  return { ok: true, key };
}

/** Recursive: only ever called on values bounded by MAX_MESSAGE_DEPTH (see `fingerprint`). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

export function fingerprint(method: string, pathname: string, ifMatch: string | undefined, bodyText: string): string {
  // Not JSON, or nested too deep to canonicalise safely: the text as it is.
  // (The route refuses such a body anyway; the fingerprint never throws.)
  let body = bodyText;
  if (bodyText.trim() === "") body = "";
  else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bodyText);
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined && !jsonDepthExceeds(parsed, MAX_MESSAGE_DEPTH)) body = canonical(parsed);
  }
  return createHash("sha256")
    .update(`${method}\n${pathname}\n${ifMatch ?? ""}\n${body}`)
    .digest("hex");
}
