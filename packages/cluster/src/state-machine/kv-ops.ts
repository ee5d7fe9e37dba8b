/**
 * The key-value operations (as in Maelstrom lin-kv) over a
 * plain map. No sessions here: `kv-state-machine.ts` decides whether a
 * request is applied at all; this file only says what applying it does.
 *
 * Keys are compared as Maelstrom sends them: the integer 1 and the string
 * "1" are different keys.
 */
import {
  CLIENT_REQUEST_TYPES,
  ErrorCode,
  errorBody,
  jsonDepthExceeds,
  MAX_JSON_DEPTH,
  tooDeepText,
  type Body,
  type ClientRequestBody,
  type Json,
  type Key,
} from "@dslab/protocol";
import { describeJson, formatKey, isKey, jsonByteLength, jsonEqual } from "./json-value.js";

export type KvMap = Map<Key, Json>;

/**
 * Checks the fields an operation needs. The codec has validated requests at
 * the boundary already; this guards the log (a command that is bad here is
 * bad on every replica, so it gets the same definite error everywhere instead
 * of crashing them all). Returns null when the request is well formed.
 * Values nest at most MAX_JSON_DEPTH levels (12 beyond), checked before
 * anything measures or compares them.
 */
export function validateOp(request: ClientRequestBody, maxValueBytes: number | undefined): Body | null {
  const r = request as unknown as Record<string, unknown>;
  if (!(CLIENT_REQUEST_TYPES as readonly unknown[]).includes(r.type)) {
    return errorBody(ErrorCode.NotSupported, `unknown operation ${JSON.stringify(r.type)}`);
  }
  if (!isKey(r.key)) return errorBody(ErrorCode.MalformedRequest, `${request.type}: key must be a string or an integer`);
  switch (request.type) {
    case "read":
    case "delete":
      return null;
    case "write":
    case "append":
      return need(r, "value") ?? tooDeep(r, "value") ?? tooLarge(r, "value", maxValueBytes);
    case "cas":
      if (r.create_if_not_exists !== undefined && typeof r.create_if_not_exists !== "boolean") {
        return errorBody(ErrorCode.MalformedRequest, `cas: create_if_not_exists must be a boolean`);
      }
      return need(r, "from") ?? need(r, "to") ?? tooDeep(r, "from") ?? tooDeep(r, "to") ?? tooLarge(r, "to", maxValueBytes);
    case "incr":
      return Number.isSafeInteger(r.delta) ? null : errorBody(ErrorCode.MalformedRequest, `incr: delta ${deltaProblem(r.delta)}`);
  }
}

/** Why `delta` is not a delta: not an integer, or one beyond what a double holds exactly (it arrives already rounded). */
export function deltaProblem(delta: unknown): string {
  if (typeof delta === "number" && Number.isInteger(delta)) {
    return `must be an integer from -(2^53-1) to 2^53-1 (${Number.MAX_SAFE_INTEGER}); ${JSON.stringify(delta)} is beyond that, where a JSON number is not exact`;
  }
  return `must be an integer, got ${JSON.stringify(delta) ?? String(delta)}`;
}

function need(r: Record<string, unknown>, field: string): Body | null {
  return r[field] === undefined ? errorBody(ErrorCode.MalformedRequest, `${String(r.type)}: field "${field}" is missing`) : null;
}

function tooDeep(r: Record<string, unknown>, field: string): Body | null {
  return jsonDepthExceeds(r[field], MAX_JSON_DEPTH)
    ? errorBody(ErrorCode.MalformedRequest, `${String(r.type)}: field "${field}": ${tooDeepText(MAX_JSON_DEPTH)}`)
    : null;
}

function tooLarge(r: Record<string, unknown>, field: string, maxValueBytes: number | undefined): Body | null {
  if (maxValueBytes === undefined) return null;
  const bytes = jsonByteLength(r[field] as Json);
  return bytes > maxValueBytes
    ? errorBody(ErrorCode.RequestTooLarge, `${String(r.type)}: "${field}" is ${bytes} bytes of JSON, above the limit of ${maxValueBytes}`)
    : null;
}

function missing(key: Key): Body {
  return errorBody(ErrorCode.KeyDoesNotExist, `key ${formatKey(key)} does not exist`);
}

/** Applies one well-formed operation to the map and returns the reply body. */
export function applyOp(map: KvMap, request: ClientRequestBody): Body {
  const { key } = request;
  const current = map.get(key);
  const exists = map.has(key);
  switch (request.type) {
    case "read":
      return exists ? { type: "read_ok", value: current as Json } : missing(key);
    case "write":
      map.set(key, request.value);
      return { type: "write_ok" };
    case "cas":
      if (!exists) {
        if (!request.create_if_not_exists) return missing(key);
        map.set(key, request.to);
        return { type: "cas_ok" };
      }
      if (!jsonEqual(current as Json, request.from)) {
        return errorBody(
          ErrorCode.PreconditionFailed,
          `key ${formatKey(key)} holds ${describeJson(current as Json)}, not ${describeJson(request.from)}`,
        );
      }
      map.set(key, request.to);
      return { type: "cas_ok" };
    case "append": {
      const list = exists ? current : [];
      if (!Array.isArray(list)) {
        return errorBody(
          ErrorCode.MalformedRequest,
          `append: key ${formatKey(key)} holds ${describeJson(current as Json)}, not a list`,
        );
      }
      // A new list, never a push: cached responses and snapshots share values.
      const after = [...list, request.value];
      map.set(key, after);
      return { type: "append_ok", value: after };
    }
    case "incr": {
      const before = exists ? current : 0;
      if (!Number.isSafeInteger(before)) {
        return errorBody(
          ErrorCode.MalformedRequest,
          `incr: key ${formatKey(key)} holds ${describeJson(current as Json)}, not an integer`,
        );
      }
      const after = (before as number) + request.delta;
      if (!Number.isSafeInteger(after)) {
        return errorBody(ErrorCode.MalformedRequest, `incr: key ${formatKey(key)} would leave the safe integer range`);
      }
      map.set(key, after);
      return { type: "incr_ok", value: after };
    }
    case "delete":
      if (!exists) return missing(key);
      map.delete(key);
      return { type: "delete_ok" };
  }
}
