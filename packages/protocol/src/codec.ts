/**
 * The JSON-lines codec: one message per line. Decoding never throws: a bad
 * line becomes a `ProtocolError` naming where it came from (source and line
 * number), the field, and what was expected, plus enough of the message
 * (`src`, `msg_id`) for a node to answer with a definite error reply.
 *
 * A decoded message is bounded in depth (json-depth.ts): each field of a
 * client request nests at most MAX_JSON_DEPTH levels, any line at most
 * MAX_MESSAGE_DEPTH, so whatever walks it afterwards cannot run out of stack.
 */
import { ErrorCode } from "./errors.js";
import { MAX_JSON_DEPTH, MAX_MESSAGE_DEPTH, jsonDepthExceeds, tooDeepText } from "./json-depth.js";
import { CLIENT_REQUEST_TYPES, type Body, type Message } from "./messages.js";
import { clientSchemas, describeKind, describeValue, matchesKind, type FieldSpec, type SchemaTable } from "./schema.js";

/** Default bound on one line: larger lines are refused with error 1002. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

export interface LineLocation {
  /** Where the line came from: a file name, "stdin", "n2 stdout", a peer address. */
  source?: string;
  /** 1-based line number within the source. */
  line?: number;
}

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  /** Stable code for callers: always "E_PROTOCOL". */
  readonly code = "E_PROTOCOL";
  /** The registry error code a node should answer with (12, 10 or 1002). */
  readonly errorCode: number;
  readonly field: string | undefined;
  readonly location: LineLocation;
  /** What reply addressing could be recovered from the bad line, if any. */
  readonly replyTo: { src: string; dest?: string; msg_id?: number; type?: string } | undefined;

  constructor(
    detail: string,
    opts: {
      errorCode: number;
      field?: string;
      location?: LineLocation;
      replyTo?: { src: string; dest?: string; msg_id?: number; type?: string };
    },
  ) {
    const where = formatLocation(opts.location ?? {});
    super(`${where}${opts.field ? `field "${opts.field}": ` : ""}${detail}`);
    this.errorCode = opts.errorCode;
    this.field = opts.field;
    this.location = opts.location ?? {};
    this.replyTo = opts.replyTo;
  }
}

function formatLocation(loc: LineLocation): string {
  if (loc.source && loc.line !== undefined) return `${loc.source}:${loc.line}: `;
  if (loc.source) return `${loc.source}: `;
  if (loc.line !== undefined) return `line ${loc.line}: `;
  return "";
}

export type DecodeResult = { ok: true; message: Message } | { ok: false; error: ProtocolError };

export interface DecodeOptions extends LineLocation {
  /** Schemas by body type; defaults to the client schemas. Unknown types are refused. */
  schemas?: SchemaTable;
  maxLineBytes?: number;
}

export function decodeLine(line: string, opts: DecodeOptions = {}): DecodeResult {
  // The success path allocates nothing a failure alone needs: the location,
  // the reply address and the error are made by `fail`, when there is one.
  const maxBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // UTF-8 takes at most 3 bytes per UTF-16 unit: a line whose length is under
  // a third of the bound fits without being measured, and one longer than the
  // bound in units is refused without being encoded.
  if (line.length > maxBytes || (line.length * 3 > maxBytes && Buffer.byteLength(line, "utf8") > maxBytes)) {
    return fail(opts, `line is larger than ${maxBytes} bytes`, ErrorCode.RequestTooLarge);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    const preview = line.length > 60 ? `${line.slice(0, 60)}...` : line;
    return fail(opts, `not valid JSON (${(e as Error).message}): ${JSON.stringify(preview)}`, ErrorCode.MalformedRequest);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return fail(opts, `expected a JSON object with src, dest and body, got ${describeValue(parsed)}`, ErrorCode.MalformedRequest);
  }
  const obj = parsed as Record<string, unknown>;
  const body = obj.body;
  const rawBody = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const type = rawBody && typeof rawBody.type === "string" ? rawBody.type : undefined;
  const problem = firstProblem(obj, rawBody, type, opts.schemas ?? clientSchemas);
  if (problem) return fail(opts, problem.detail, problem.errorCode, problem.field, replyAddress(obj, rawBody, type));
  return { ok: true, message: { src: obj.src as string, dest: obj.dest as string, body: rawBody as Body } };
}

interface Problem {
  field: string;
  detail: string;
  errorCode: number;
}

const malformed = (field: string, detail: string): Problem => ({ field, detail, errorCode: ErrorCode.MalformedRequest });

/** The first thing wrong with a parsed line, in the order a reader would check it; undefined when it is a valid message. */
function firstProblem(
  obj: Record<string, unknown>,
  rawBody: Record<string, unknown> | undefined,
  type: string | undefined,
  schemas: SchemaTable,
): Problem | undefined {
  const deep = firstTooDeep(obj, rawBody, type);
  if (deep) return malformed(deep.field, deep.detail);
  if (!("src" in obj)) return malformed("src", "missing");
  if (typeof obj.src !== "string") return malformed("src", `expected a string, got ${describeValue(obj.src)}`);
  if (!("dest" in obj)) return malformed("dest", "missing");
  if (typeof obj.dest !== "string") return malformed("dest", `expected a string, got ${describeValue(obj.dest)}`);
  if (!("body" in obj)) return malformed("body", "missing");
  if (!rawBody) return malformed("body", `expected an object, got ${describeValue(obj.body)}`);
  if (!("type" in rawBody)) return malformed("body.type", "missing");
  if (type === undefined) return malformed("body.type", `expected a string, got ${describeValue(rawBody.type)}`);
  if ("msg_id" in rawBody && !matchesKind("nonnegint", rawBody.msg_id)) {
    return malformed("body.msg_id", `expected a non-negative integer, got ${describeValue(rawBody.msg_id)}`);
  }
  if ("in_reply_to" in rawBody && !matchesKind("nonnegint", rawBody.in_reply_to)) {
    return malformed("body.in_reply_to", `expected a non-negative integer, got ${describeValue(rawBody.in_reply_to)}`);
  }
  // Own entries only: "constructor" or "__proto__" names no message type.
  const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (!schema) return { field: "body.type", detail: `unknown message type ${JSON.stringify(type)}`, errorCode: ErrorCode.NotSupported };
  const specs = schemaFields(schema);
  for (let i = 0; i < specs.length; i++) {
    const [field, spec] = specs[i]!;
    const value = rawBody[field];
    if (value === undefined || !(field in rawBody)) {
      if (spec.optional) continue;
      return malformed(`body.${field}`, `missing (expected ${describeKind(spec.kind)})`);
    }
    if (!matchesKind(spec.kind, value)) return malformed(`body.${field}`, `expected ${describeKind(spec.kind)}, got ${describeValue(value)}`);
  }
  return undefined;
}

function fail(location: LineLocation, detail: string, errorCode: number, field?: string, replyTo?: ProtocolError["replyTo"]): DecodeResult {
  return { ok: false, error: new ProtocolError(detail, { errorCode, field, location: { source: location.source, line: location.line }, replyTo }) };
}

/** What a node needs to answer a bad line: its sender, and the message id and type when they are readable. */
function replyAddress(
  obj: Record<string, unknown>,
  rawBody: Record<string, unknown> | undefined,
  type: string | undefined,
): ProtocolError["replyTo"] {
  if (typeof obj.src !== "string") return undefined;
  const msgId = rawBody && Number.isSafeInteger(rawBody.msg_id) ? (rawBody.msg_id as number) : undefined;
  return { src: obj.src, dest: typeof obj.dest === "string" ? obj.dest : undefined, msg_id: msgId, type };
}

/** A schema's fields as a list, made once per schema rather than an Object.entries per line. */
const fieldLists = new WeakMap<object, Array<[string, FieldSpec]>>();
function schemaFields(schema: Record<string, FieldSpec>): Array<[string, FieldSpec]> {
  let list = fieldLists.get(schema);
  if (list === undefined) fieldLists.set(schema, (list = Object.entries(schema)));
  return list;
}

/**
 * The first field nested past its bound, and the bound it broke: each body
 * field of a client request may nest MAX_JSON_DEPTH levels; every line as a
 * whole MAX_MESSAGE_DEPTH (replies and peers' appends carry client values a
 * few levels down).
 */
function firstTooDeep(
  obj: Record<string, unknown>,
  body: Record<string, unknown> | undefined,
  type: string | undefined,
): { field: string; detail: string } | undefined {
  for (const k in obj) {
    if (!Object.hasOwn(obj, k) || (k === "body" && body)) continue;
    if (jsonDepthExceeds(obj[k], MAX_MESSAGE_DEPTH - 1)) return { field: k, detail: tooDeepText(MAX_MESSAGE_DEPTH, "message") };
  }
  if (!body) return undefined;
  const request = type !== undefined && (CLIENT_REQUEST_TYPES as readonly string[]).includes(type);
  for (const f in body) {
    if (!Object.hasOwn(body, f)) continue;
    if (request) {
      if (jsonDepthExceeds(body[f], MAX_JSON_DEPTH)) return { field: `body.${f}`, detail: tooDeepText(MAX_JSON_DEPTH) };
    } else if (jsonDepthExceeds(body[f], MAX_MESSAGE_DEPTH - 2)) {
      return { field: `body.${f}`, detail: tooDeepText(MAX_MESSAGE_DEPTH, "message") };
    }
  }
  return undefined;
}

/** One line, without the trailing newline. */
export function encodeMessage(message: Message): string {
  return JSON.stringify(message);
}

/**
 * Splits a byte or text stream into lines. A line longer than the bound is
 * not buffered: its bytes are skipped up to the next newline and reported
 * once as an oversized line, so a flood cannot exhaust memory.
 */
export class LineSplitter {
  private buffered = "";
  private skipping = false;
  private lineNumber = 0;

  constructor(private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES) {}

  /** Feed a chunk; returns the complete lines it finished, with their 1-based numbers. */
  push(chunk: string): Array<{ line: string; lineNumber: number; oversized: boolean }> {
    const out: Array<{ line: string; lineNumber: number; oversized: boolean }> = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf("\n", start);
      if (nl === -1) break;
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      this.lineNumber++;
      if (this.skipping) {
        this.skipping = false;
        out.push({ line: "", lineNumber: this.lineNumber, oversized: true });
      } else {
        let line = this.buffered + piece;
        this.buffered = "";
        if (line.endsWith("\r")) line = line.slice(0, -1);
        if (line.length > this.maxLineBytes) out.push({ line: "", lineNumber: this.lineNumber, oversized: true });
        else out.push({ line, lineNumber: this.lineNumber, oversized: false });
      }
    }
    if (start < chunk.length && !this.skipping) {
      this.buffered += chunk.slice(start);
      if (this.buffered.length > this.maxLineBytes) {
        this.buffered = "";
        this.skipping = true;
      }
    }
    return out;
  }

  /** Whatever is left when the stream ends, as a last line (no newline needed). */
  end(): Array<{ line: string; lineNumber: number; oversized: boolean }> {
    if (this.skipping) {
      this.skipping = false;
      return [{ line: "", lineNumber: ++this.lineNumber, oversized: true }];
    }
    if (this.buffered.length === 0) return [];
    const line = this.buffered;
    this.buffered = "";
    return [{ line, lineNumber: ++this.lineNumber, oversized: false }];
  }
}
