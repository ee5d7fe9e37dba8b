/**
 * A small table-driven schema for message bodies. Validation happens at the
 * boundary: a bad field gives an error that names the field
 * and what was expected, and the caller adds where the line came from.
 */

export type FieldKind =
  | "string"
  | "int"
  | "posint"
  | "nonnegint"
  | "number"
  | "boolean"
  | "key"
  | "json"
  | "string[]"
  | "array"
  | "object";

export interface FieldSpec {
  kind: FieldKind;
  optional?: boolean;
}

/** Field name -> spec. `type`, `msg_id` and `in_reply_to` are checked for every body. */
export type BodySchema = Record<string, FieldSpec>;
export type SchemaTable = Record<string, BodySchema>;

const req = (kind: FieldKind): FieldSpec => ({ kind });
const opt = (kind: FieldKind): FieldSpec => ({ kind, optional: true });

// Request identity (client sessions) and, for the HTTP front, the
// Idempotency-Key with a fingerprint of the HTTP request it was first used for.
const identity: BodySchema = {
  client_id: opt("string"),
  seq: opt("posint"),
  idempotency_key: opt("string"),
  fingerprint: opt("string"),
};

/** Bodies clients send and nodes answer (the client operations). */
export const clientSchemas: SchemaTable = {
  init: { node_id: req("string"), node_ids: req("string[]") },
  init_ok: {},
  read: { key: req("key") },
  write: { key: req("key"), value: req("json"), ...identity },
  cas: { key: req("key"), from: req("json"), to: req("json"), create_if_not_exists: opt("boolean"), ...identity },
  append: { key: req("key"), value: req("json"), ...identity },
  incr: { key: req("key"), delta: req("int"), ...identity },
  delete: { key: req("key"), ...identity },
  read_ok: { value: req("json") },
  write_ok: { replayed: opt("boolean") },
  cas_ok: { replayed: opt("boolean") },
  append_ok: { value: req("array"), replayed: opt("boolean") },
  incr_ok: { value: req("number"), replayed: opt("boolean") },
  delete_ok: { replayed: opt("boolean") },
  error: { code: req("nonnegint"), text: opt("string"), leader: opt("string"), retry_after_ms: opt("nonnegint") },
};

export function describeKind(kind: FieldKind): string {
  switch (kind) {
    case "string":
      return "a string";
    case "int":
      return "an integer";
    case "posint":
      return "a positive integer";
    case "nonnegint":
      return "a non-negative integer";
    case "number":
      return "a number";
    case "boolean":
      return "a boolean";
    case "key":
      return "a string or an integer";
    case "json":
      return "any JSON value";
    case "string[]":
      return "an array of strings";
    case "array":
      return "an array";
    case "object":
      return "an object";
  }
}

export function matchesKind(kind: FieldKind, v: unknown): boolean {
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "int":
      return Number.isSafeInteger(v);
    case "posint":
      return Number.isSafeInteger(v) && (v as number) > 0;
    case "nonnegint":
      return Number.isSafeInteger(v) && (v as number) >= 0;
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return typeof v === "boolean";
    case "key":
      return typeof v === "string" || Number.isSafeInteger(v);
    case "json":
      return v !== undefined;
    case "string[]":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "array":
      return Array.isArray(v);
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
  }
}

export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number" && !Number.isInteger(v)) return `the number ${v}`;
  if (typeof v === "number") return `the integer ${v}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "..." : v)}`;
  return typeof v;
}
