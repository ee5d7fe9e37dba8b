/**
 * A JSON reader that keeps integers beyond 2^53 exact (as bigint) and reports
 * errors by line and column, which `JSON.parse` does not. The writer prints
 * bigint as plain digits, so what is written reads back the same. Nesting
 * is bounded (NESTING_DEPTH_MAX), so hostile input is an error, not a stack
 * overflow.
 */
import { CHARS_PER_LOOK, NESTING_DEPTH_MAX, OpTooLongError, ParseError, ReadTimeLimitError, TOO_DEEP, positionAt } from "./parse-error.js";
import type { ReadDeadline } from "./parse-error.js";

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

class JsonReader {
  pos = 0;
  /** Values being read, one inside the other: every recursion goes through `value`. */
  private depth = 0;
  /** Where the item of the top-level array being read starts, and its index: each item is an operation, its length bounded by `opMaxChars`. */
  private opStart = 0;
  private opNumber = 0;
  /** The line `pos` is on (a JSON text has newlines only between tokens), and the one the operation being read starts on. */
  private line: number;
  private opLine: number;
  /** Where the deadline's clock is looked at next: every CHARS_PER_LOOK characters, between two items or entries. */
  private lookAt: number;
  constructor(
    private readonly text: string,
    private readonly source: string,
    private readonly firstLine: number,
    private readonly opMaxChars: number,
    private readonly deadline: ReadDeadline | undefined,
  ) {
    this.line = this.opLine = firstLine;
    this.lookAt = deadline === undefined ? Infinity : CHARS_PER_LOOK;
  }

  /** Stops with ReadTimeLimitError, at the operation being read, when the deadline has passed; looked at every CHARS_PER_LOOK characters. */
  private lookAtClock(): void {
    if (this.pos < this.lookAt) return;
    this.lookAt = this.pos + CHARS_PER_LOOK;
    if (this.deadline!.now() > this.deadline!.at) throw new ReadTimeLimitError(this.opLine, this.opNumber);
  }

  /** Fails with OpTooLongError, placed where the operation starts, once `pos` is more than `opMaxChars` past it. */
  private checkOpLength(): void {
    if (this.pos - this.opStart > this.opMaxChars) throw new OpTooLongError(this.opNumber, this.opMaxChars, { source: this.source, ...positionAt(this.text, this.opStart, this.firstLine) });
  }

  fail(message: string, at = this.pos): never {
    throw new ParseError(message, { source: this.source, ...positionAt(this.text, at, this.firstLine) });
  }

  ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 13) this.pos++;
      else if (c === 10) {
        this.pos++;
        this.line++;
      } else break;
    }
  }

  value(): JsonValue {
    if (++this.depth > NESTING_DEPTH_MAX) this.fail(TOO_DEEP);
    const v = this.readValue();
    this.depth--;
    return v;
  }

  private readValue(): JsonValue {
    this.ws();
    const t = this.text;
    const c = t[this.pos];
    if (c === undefined) this.fail("unexpected end of input, expected a JSON value");
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    if (t.startsWith("true", this.pos)) return (this.pos += 4), true;
    if (t.startsWith("false", this.pos)) return (this.pos += 5), false;
    if (t.startsWith("null", this.pos)) return (this.pos += 4), null;
    this.fail(`unexpected character '${c}'`);
  }

  private object(): { [key: string]: JsonValue } {
    const out: { [key: string]: JsonValue } = {};
    this.pos++;
    this.ws();
    if (this.text[this.pos] === "}") return this.pos++, out;
    for (;;) {
      this.ws();
      this.checkOpLength();
      if (this.pos >= this.lookAt) this.lookAtClock();
      if (this.text[this.pos] !== '"') this.fail("expected a string key");
      const key = this.string();
      this.ws();
      if (this.text[this.pos] !== ":") this.fail("expected ':' after key");
      this.pos++;
      out[key] = this.value();
      this.ws();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
        continue;
      }
      if (c === "}") return this.pos++, out;
      this.fail("expected ',' or '}' in object");
    }
  }

  /** The lines the items of the top-level array start on, when the document is one. */
  topItems: { array: JsonValue[]; lines: number[] } | undefined;

  private array(): JsonValue[] {
    const out: JsonValue[] = [];
    const lines: number[] | undefined = this.depth === 1 ? [] : undefined;
    if (lines !== undefined) this.topItems = { array: out, lines };
    this.pos++;
    this.ws();
    if (this.text[this.pos] === "]") return this.pos++, out;
    for (;;) {
      this.ws();
      this.checkOpLength();
      if (this.pos >= this.lookAt) this.lookAtClock();
      if (lines !== undefined) {
        this.opStart = this.pos;
        this.opNumber = out.length;
        this.opLine = this.line;
        lines.push(this.line);
      }
      out.push(this.value());
      this.ws();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
        continue;
      }
      if (c === "]") {
        this.checkOpLength();
        return this.pos++, out;
      }
      this.fail("expected ',' or ']' in array");
    }
  }

  private string(): string {
    const t = this.text;
    const start = this.pos;
    this.pos++;
    let out = "";
    let chunk = this.pos;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (Number.isNaN(c) || c === 10) this.fail("unterminated string", start);
      if (c === 34) {
        out += t.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c === 92) {
        out += t.slice(chunk, this.pos);
        const e = t[this.pos + 1];
        this.pos += 2;
        const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (e !== undefined && simple[e] !== undefined) out += simple[e];
        else if (e === "u") {
          const hex = t.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape", this.pos - 2);
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
        } else this.fail(`bad escape '\\${e ?? ""}'`, this.pos - 2);
        chunk = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  private number(): number | bigint {
    const m = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    m.lastIndex = this.pos;
    const found = m.exec(this.text);
    if (found === null) this.fail("bad number");
    const token = found[0];
    this.pos += token.length;
    if (found[2] === undefined && found[3] === undefined && token.replace("-", "").length > 15) {
      const big = BigInt(token);
      if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) return big;
    }
    return Number(token);
  }
}

/** The line each item of a top-level array started on, as read by `parseJson`. */
const itemLines = new WeakMap<JsonValue[], number[]>();

/** The 1-based line each item of `array` started on, if `array` is a whole document read by `parseJson`. */
export function jsonItemLines(array: JsonValue[]): readonly number[] | undefined {
  return itemLines.get(array);
}

/**
 * Parses one JSON document. `firstLine` offsets reported line numbers.
 * With `deadline`, stops with a ReadTimeLimitError once it has passed,
 * looked at between two items or entries once every CHARS_PER_LOOK
 * characters: the error gives the line the item of the top-level array
 * being read starts on, and how many items came before it.
 */
export function parseJson(text: string, source = "<json>", firstLine = 1, opMaxChars = Infinity, deadline?: ReadDeadline): JsonValue {
  const r = new JsonReader(text, source, firstLine, opMaxChars, deadline);
  const v = r.value();
  r.ws();
  if (r.pos < text.length) r.fail("unexpected text after the JSON value");
  if (r.topItems !== undefined && r.topItems.array === v) itemLines.set(v, r.topItems.lines);
  return v;
}

/**
 * JSON text; bigint is written as plain digits so it reads back exactly.
 * Collections are built by appending to one string (no array of parts per
 * collection); a hole in a sparse array prints as nothing, as `map` then
 * `join` had it.
 */
export function printJson(value: JsonValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "bigint":
      return value.toString();
    case "string":
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      const item = value[i];
      if (item !== undefined || i in value) out += printJson(item!);
    }
    return out + "]";
  }
  let out = "{";
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out += (out.length === 1 ? "" : ",") + JSON.stringify(k) + ":" + printJson(v);
  return out + "}";
}
