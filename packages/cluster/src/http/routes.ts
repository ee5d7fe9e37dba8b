/**
 * HTTP request -> cluster request. Pure: method, path, headers and body text
 * in; the client request body to submit (plus how to answer it) or an HTTP
 * error out. Validation at the boundary: a bad request gets
 * a 4xx that names what is wrong. The body's fields and If-Match nest at
 * most MAX_JSON_DEPTH levels, as on the wire (400 beyond), and hold only
 * numbers JSON carries exactly (400 for 1e400, or an integer past 2^53-1).
 */
import {
  jsonDepthExceeds,
  MAX_JSON_DEPTH,
  NON_FINITE_TEXT,
  nonFiniteNumberPath,
  roundedInteger,
  tooDeepText,
  type ClientRequestBody,
  type Json,
} from "@dslab/protocol";
import { deltaProblem } from "../state-machine/kv-ops.js";

export interface HttpError {
  status: number;
  /** Stable machine-readable reason, e.g. "idempotency-key-missing". */
  reason: string;
  message: string;
  headers?: Record<string, string>;
}

export interface Route {
  request: ClientRequestBody;
  /** How error 22 (precondition-failed) is answered: 409 for POST .../cas, 412 for PUT with If-Match. */
  preconditionStatus: 409 | 412;
  /** POSTs are not idempotent: they need an Idempotency-Key. */
  requiresIdempotencyKey: boolean;
  /** GETs never use one. */
  usesIdempotencyKey: boolean;
}

export type RouteResult = { ok: true; route: Route } | { ok: false; error: HttpError };

const fail = (status: number, reason: string, message: string, headers?: Record<string, string>): RouteResult => ({
  ok: false,
  error: { status, reason, message, ...(headers ? { headers } : {}) },
});

function parseBody(text: string): { ok: true; value: Record<string, Json> } | { ok: false; message: string } {
  if (text.trim() === "") return { ok: true, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `the body is not valid JSON (${(e as Error).message})` };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, message: "the body must be a JSON object" };
  // Each field becomes a field of the cluster request: the same depth bound as on the wire.
  const o = v as Record<string, Json>;
  for (const field of Object.keys(o)) {
    if (jsonDepthExceeds(o[field], MAX_JSON_DEPTH)) return { ok: false, message: `field "${field}": ${tooDeepText(MAX_JSON_DEPTH)}` };
  }
  const inexact = inexactNumber(text, o);
  if (inexact !== undefined) return { ok: false, message: `field ${JSON.stringify(inexact.path.replace(/^\./, ""))}: ${inexact.problem}` };
  return { ok: true, value: o };
}

/**
 * A number in `text` (JSON that parsed to `value`) that JSON.parse did not
 * read exactly, with where it lies (`.value[1].a`, `""` for the value
 * itself), or undefined. 1e400 reads as Infinity, which a replica would store
 * as null; 12345678901234567890 reads as 12345678901234567000, so storing it
 * would store another number without a word.
 */
function inexactNumber(text: string, value: Json): { path: string; problem: string } | undefined {
  const infinite = nonFiniteNumberPath(value);
  if (infinite !== null) return { path: infinite, problem: NON_FINITE_TEXT };
  const rounded = roundedInteger(text);
  if (rounded === null) return undefined;
  return {
    path: rounded.path,
    problem:
      `${rounded.literal} is an integer beyond 2^53-1 (${Number.MAX_SAFE_INTEGER}) in magnitude, ` +
      `which JSON.parse reads only rounded (as ${String(Number(rounded.literal))}); ` +
      `send an integer within that bound, or the digits as a JSON string`,
  };
}

/** A field of the parsed body, or undefined (a module function: a closure made per request costs more than it says). */
function fieldOf(b: Record<string, Json>, field: string): Json | undefined {
  return field in b ? b[field] : undefined;
}

export type PathMatch =
  | { ok: true; key: string; action: string | undefined }
  | { ok: false; status: 400 | 404; reason: "bad-path" | "not-found"; message: string };

/**
 * `/kv/<key>` or `/kv/<key>/<action>`; the key is one URL-encoded path
 * segment. A path that is not valid percent-encoding (`%zz`, a lone `%`,
 * bytes that are not UTF-8) is a bad request (400), whatever it names: it
 * cannot name anything, so "not found" would mislead.
 */
export function matchPath(pathname: string): PathMatch {
  try {
    decodeURIComponent(pathname);
  } catch {
    return {
      ok: false,
      status: 400,
      reason: "bad-path",
      message: `the path ${JSON.stringify(pathname)} is not valid percent-encoding: write "%" as %25 and encode the key as UTF-8`,
    };
  }
  const m = /^\/kv\/([^/]+)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!m) {
    return {
      ok: false,
      status: 404,
      reason: "not-found",
      message: `no route for ${pathname}; use /kv/<key>, /kv/<key>/append, /kv/<key>/incr or /kv/<key>/cas`,
    };
  }
  return { ok: true, key: decodeURIComponent(m[1] as string), action: m[2] };
}

export function route(method: string, pathname: string, headers: { ifMatch?: string }, bodyText: string): RouteResult {
  const p = matchPath(pathname);
  if (!p.ok) return fail(p.status, p.reason, p.message);
  const { key, action } = p;
  const allowed = action === undefined ? "GET, HEAD, PUT, DELETE" : "POST";
  if (action !== undefined && !["append", "incr", "cas"].includes(action)) {
    return fail(404, "not-found", `unknown action ${JSON.stringify(action)}; use append, incr or cas`);
  }
  if ((action === undefined && !["GET", "HEAD", "PUT", "DELETE"].includes(method)) || (action !== undefined && method !== "POST")) {
    return fail(405, "method-not-allowed", `${method} is not allowed on ${pathname}; allowed: ${allowed}`, { Allow: allowed });
  }
  const body = parseBody(bodyText);
  if (!body.ok) return fail(400, "bad-body", body.message);
  const b = body.value;
  const base = { preconditionStatus: 409 as const, requiresIdempotencyKey: false, usesIdempotencyKey: true };

  // HEAD is a GET whose answer has no body (the HTTP server leaves it out): the status says whether the key exists.
  if (method === "GET" || method === "HEAD") return { ok: true, route: { ...base, usesIdempotencyKey: false, request: { type: "read", key } } };
  if (method === "DELETE") return { ok: true, route: { ...base, request: { type: "delete", key } } };
  if (method === "PUT") {
    const value = fieldOf(b, "value");
    if (value === undefined) return fail(400, "bad-body", 'PUT needs a JSON body {"value": ...}');
    if (headers.ifMatch !== undefined) {
      let from: Json;
      try {
        from = JSON.parse(headers.ifMatch) as Json;
      } catch {
        return fail(400, "bad-if-match", `If-Match must hold the expected current value as JSON, got ${JSON.stringify(headers.ifMatch)}`);
      }
      if (jsonDepthExceeds(from, MAX_JSON_DEPTH)) return fail(400, "bad-if-match", `If-Match: ${tooDeepText(MAX_JSON_DEPTH)}`);
      const inexact = inexactNumber(headers.ifMatch, from);
      if (inexact !== undefined) return fail(400, "bad-if-match", `If-Match${inexact.path === "" ? "" : ` at ${JSON.stringify(inexact.path)}`}: ${inexact.problem}`);
      return { ok: true, route: { ...base, preconditionStatus: 412, request: { type: "cas", key, from, to: value } } };
    }
    return { ok: true, route: { ...base, request: { type: "write", key, value } } };
  }
  // POST actions: not idempotent, so an Idempotency-Key is required.
  const post = { ...base, requiresIdempotencyKey: true };
  switch (action) {
    case "append": {
      const value = fieldOf(b, "value");
      if (value === undefined) return fail(400, "bad-body", 'append needs a JSON body {"value": ...}');
      return { ok: true, route: { ...post, request: { type: "append", key, value } } };
    }
    case "incr": {
      const delta = fieldOf(b, "delta") ?? 1;
      if (!Number.isSafeInteger(delta)) return fail(400, "bad-body", `incr: "delta" ${deltaProblem(delta)}`);
      return { ok: true, route: { ...post, request: { type: "incr", key, delta: delta as number } } };
    }
    default: {
      const from = fieldOf(b, "from");
      const to = fieldOf(b, "to");
      if (from === undefined || to === undefined) return fail(400, "bad-body", 'cas needs a JSON body {"from": ..., "to": ...}');
      const create = fieldOf(b, "create_if_not_exists");
      if (create !== undefined && typeof create !== "boolean") {
        return fail(400, "bad-body", `cas: "create_if_not_exists" must be true or false, got ${JSON.stringify(create)}`);
      }
      const request: ClientRequestBody = { type: "cas", key, from, to };
      if (create === true) request.create_if_not_exists = true;
      return { ok: true, route: { ...post, request } };
    }
  }
}
