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
import { clientSchemas, describeKind, describeValue, matchesKind, type SchemaTable } from "./schema.js";

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
  const location: LineLocation = { source: opts.source, line: opts.line };
  const fail = (
    detail: string,
    errorCode: number,
    field?: string,
    replyTo?: ProtocolError["replyTo"],
  ): DecodeResult => ({
    ok: false,
    error: new ProtocolError(detail, { errorCode, field, location, replyTo }),
  });

  const maxBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // String length is a lower bound on the UTF-8 size; check it first so a
  // huge line is refused without encoding it.
  if (line.length > maxBytes || Buffer.byteLength(line, "utf8") > maxBytes) {
    return fail(`line is larger than ${maxBytes} bytes`, ErrorCode.RequestTooLarge);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    const preview = line.length > 60 ? `${line.slice(0, 60)}...` : line;
    return fail(`not valid JSON (${(e as Error).message}): ${JSON.stringify(preview)}`, ErrorCode.MalformedRequest);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return fail(`expected a JSON object with src, dest and body, got ${describeValue(parsed)}`, ErrorCode.MalformedRequest);
  }
  const obj = parsed as Record<string, unknown>;
  const src = typeof obj.src === "string" ? obj.src : undefined;
  const body = obj.body;
  const rawBody = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const msgId = rawBody && Number.isSafeInteger(rawBody.msg_id) ? (rawBody.msg_id as number) : undefined;
  const type = rawBody && typeof rawBody.type === "string" ? rawBody.type : undefined;
  const replyTo = src !== undefined ? { src, dest: typeof obj.dest === "string" ? obj.dest : undefined, msg_id: msgId, type } : undefined;

  const deep = firstTooDeep(obj, rawBody, type);
  if (deep) return fail(deep.detail, ErrorCode.MalformedRequest, deep.field, replyTo);
  for (const f of ["src", "dest"] as const) {
    if (!(f in obj)) return fail("missing", ErrorCode.MalformedRequest, f, replyTo);
    if (typeof obj[f] !== "string") return fail(`expected a string, got ${describeValue(obj[f])}`, ErrorCode.MalformedRequest, f, replyTo);
  }
  if (!("body" in obj)) return fail("missing", ErrorCode.MalformedRequest, "body", replyTo);
  if (!rawBody) return fail(`expected an object, got ${describeValue(body)}`, ErrorCode.MalformedRequest, "body", replyTo);
  if (!("type" in rawBody)) return fail("missing", ErrorCode.MalformedRequest, "body.type", replyTo);
  if (typeof rawBody.type !== "string") {
    return fail(`expected a string, got ${describeValue(rawBody.type)}`, ErrorCode.MalformedRequest, "body.type", replyTo);
  }
  for (const f of ["msg_id", "in_reply_to"] as const) {
    if (f in rawBody && !matchesKind("nonnegint", rawBody[f])) {
      return fail(`expected a non-negative integer, got ${describeValue(rawBody[f])}`, ErrorCode.MalformedRequest, `body.${f}`, replyTo);
    }
  }
  const schemas = opts.schemas ?? clientSchemas;
  const schema = schemas[rawBody.type];
  if (!schema) {
    return fail(`unknown message type ${JSON.stringify(rawBody.type)}`, ErrorCode.NotSupported, "body.type", replyTo);
  }
  for (const [field, spec] of Object.entries(schema)) {
    const present = field in rawBody && rawBody[field] !== undefined;
    if (!present) {
      if (spec.optional) continue;
      return fail(`missing (expected ${describeKind(spec.kind)})`, ErrorCode.MalformedRequest, `body.${field}`, replyTo);
    }
    if (!matchesKind(spec.kind, rawBody[field])) {
      return fail(
        `expected ${describeKind(spec.kind)}, got ${describeValue(rawBody[field])}`,
        ErrorCode.MalformedRequest,
        `body.${field}`,
        replyTo,
      );
    }
  }
  return { ok: true, message: { src: obj.src as string, dest: obj.dest as string, body: rawBody as Body } };
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
