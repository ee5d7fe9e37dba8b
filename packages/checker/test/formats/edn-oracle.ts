/**
 * The EDN history reader as it was before it was made fast: a plain
 * recursive reader that reads every map into an item array, pairs the items
 * and looks fields up in a Map per operation. Kept here, for the tests only,
 * as the oracle the fast reader is compared with (test/formats/differential.test.ts):
 * on any text, both give the same values, the same operations with the same
 * lines, or the same error.
 */
import type { EdnValue, History, Op, OpType, Process, Value } from "../../src/index.js";
import { EdnList, EdnMap, EdnSet, EdnSymbol, EdnTagged, EdnChar, Keyword, NESTING_DEPTH_MAX, OP_TYPES, ParseError, printEdn } from "../../src/index.js";

const TOO_DEEP = `nested deeper than ${NESTING_DEPTH_MAX} levels (the limit for a value in a history)`;

/** The line and column of offset `at` in `text`, whose first line is `firstLine`. */
function positionAt(text: string, at: number, firstLine = 1): { line: number; column: number } {
  let line = firstLine;
  let lineStart = 0;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}

/** EDN's named characters (`\newline` ...), for the reference reader here and the reference printer in printer-oracle.ts. */
export const namedChars: Record<string, string> = {
  newline: "\n",
  space: " ",
  tab: "\t",
  return: "\r",
  backspace: "\b",
  formfeed: "\f",
};

function isWhitespace(c: number): boolean {
  // space, tab, newline, carriage return, comma, form feed
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 44 || c === 12;
}

function isDelimiter(c: number): boolean {
  return (
    isWhitespace(c) ||
    c === 40 || // (
    c === 41 || // )
    c === 91 || // [
    c === 93 || // ]
    c === 123 || // {
    c === 125 || // }
    c === 34 || // "
    c === 59 // ;
  );
}

/** Where each item of a top-level sequence started (line, column), as read by `parseEdnForms`. */
const itemPositions = new WeakMap<EdnValue[], Array<[number, number]>>();

class Reader {
  pos = 0;
  line = 1;
  lineStart = 0;
  /** Values being read, one inside the other: every recursion goes through `read`. */
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  fail(message: string, at = this.pos): never {
    // Recompute line/column for `at`, which may lie before `pos`.
    throw new ParseError(message, { source: this.source, ...positionAt(this.text, at) });
  }

  skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 10) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (isWhitespace(c)) {
        this.pos++;
      } else if (c === 59) {
        // ; comment to end of line
        while (this.pos < t.length && t.charCodeAt(this.pos) !== 10) this.pos++;
      } else if (c === 35 && t.charCodeAt(this.pos + 1) === 95) {
        // #_ discards the next form; `#_#_#_...` nests, so it counts as a level.
        this.pos += 2;
        if (++this.depth > NESTING_DEPTH_MAX) this.fail(TOO_DEEP);
        this.skipWhitespace();
        this.read();
        this.depth--;
      } else {
        return;
      }
    }
  }

  atEnd(): boolean {
    this.skipWhitespace();
    return this.pos >= this.text.length;
  }

  read(): EdnValue {
    if (++this.depth > NESTING_DEPTH_MAX) this.fail(TOO_DEEP);
    const value = this.readValue();
    this.depth--;
    return value;
  }

  private readValue(): EdnValue {
    this.skipWhitespace();
    const t = this.text;
    if (this.pos >= t.length) this.fail("unexpected end of input, expected a value");
    const c = t.charCodeAt(this.pos);
    switch (c) {
      case 123: // {
        return this.readMap();
      case 91: // [
        this.pos++;
        return this.readSeq(93, "]");
      case 40: // (
        this.pos++;
        return new EdnList(this.readSeq(41, ")"));
      case 34: // "
        return this.readString();
      case 58: // :
        return this.readKeyword();
      case 92: // \
        return this.readChar();
      case 35: // #
        return this.readDispatch();
      case 41:
      case 93:
      case 125:
        this.fail(`unexpected '${t[this.pos]}'`);
      // eslint-disable-next-line no-fallthrough
      default:
        return this.readAtom();
    }
  }

  private readSeq(close: number, closeText: string): EdnValue[] {
    const start = this.pos - 1;
    const items: EdnValue[] = [];
    // A top-level vector or list (`[{...}\n {...}]`, Knossos' files) keeps where each item starts.
    const at: Array<[number, number]> | undefined = this.depth === 1 ? [] : undefined;
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= this.text.length) this.fail(`unclosed collection: expected '${closeText}'`, start);
      if (this.text.charCodeAt(this.pos) === close) {
        this.pos++;
        if (at !== undefined) itemPositions.set(items, at);
        return items;
      }
      at?.push([this.line, this.pos - this.lineStart + 1]);
      items.push(this.read());
    }
  }

  private readMap(): EdnMap {
    const start = this.pos;
    this.pos++;
    const items = this.readSeq(125, "}");
    if (items.length % 2 !== 0) this.fail("map literal has an odd number of forms (a key without a value)", start);
    const entries: Array<[EdnValue, EdnValue]> = [];
    for (let i = 0; i < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
    return new EdnMap(entries);
  }

  private readString(): string {
    const t = this.text;
    const start = this.pos;
    this.pos++;
    let out = "";
    let chunkStart = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail("unterminated string", start);
      const c = t.charCodeAt(this.pos);
      if (c === 34) {
        out += t.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === 10) {
        this.line++;
        this.lineStart = this.pos + 1;
      }
      if (c === 92) {
        out += t.slice(chunkStart, this.pos);
        const e = t[this.pos + 1];
        this.pos += 2;
        switch (e) {
          case "n":
            out += "\n";
            break;
          case "t":
            out += "\t";
            break;
          case "r":
            out += "\r";
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case '"':
            out += '"';
            break;
          case "\\":
            out += "\\";
            break;
          case "u": {
            const hex = t.slice(this.pos, this.pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape in string: expected 4 hex digits", this.pos - 2);
            out += String.fromCharCode(parseInt(hex, 16));
            this.pos += 4;
            break;
          }
          default:
            this.fail(`unknown escape '\\${e ?? ""}' in string`, this.pos - 2);
        }
        chunkStart = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  private readToken(): string {
    const t = this.text;
    const start = this.pos;
    while (this.pos < t.length && !isDelimiter(t.charCodeAt(this.pos))) this.pos++;
    return t.slice(start, this.pos);
  }

  private readKeyword(): Keyword {
    const start = this.pos;
    this.pos++;
    const name = this.readToken();
    if (name === "" || name.startsWith(":")) this.fail("bad keyword", start);
    return Keyword.of(name);
  }

  private readChar(): EdnChar {
    const start = this.pos;
    this.pos++;
    // A character may itself be a delimiter, e.g. \( or \space.
    let token = this.readToken();
    if (token === "") {
      token = this.text[this.pos] ?? "";
      if (token === "") this.fail("unexpected end of input after '\\'", start);
      this.pos++;
    }
    if (token.length === 1) return new EdnChar(token);
    const named = namedChars[token];
    if (named !== undefined) return new EdnChar(named);
    if (/^u[0-9a-fA-F]{4}$/.test(token)) return new EdnChar(String.fromCharCode(parseInt(token.slice(1), 16)));
    this.fail(`unknown character literal '\\${token}'`, start);
  }

  private readDispatch(): EdnValue {
    const start = this.pos;
    const next = this.text[this.pos + 1];
    if (next === "{") {
      this.pos += 2;
      return new EdnSet(this.readSeq(125, "}"));
    }
    if (next === "#") {
      this.pos += 2;
      const token = this.readToken();
      if (token === "Inf") return Infinity;
      if (token === "-Inf") return -Infinity;
      if (token === "NaN") return NaN;
      this.fail(`unknown symbolic value '##${token}'`, start);
    }
    this.pos++;
    const tag = this.readToken();
    if (tag === "") this.fail("bad '#' dispatch", start);
    const value = this.read();
    return new EdnTagged(tag, value);
  }

  private readAtom(): EdnValue {
    const start = this.pos;
    const token = this.readToken();
    if (token === "") this.fail(`unexpected character '${this.text[this.pos]}'`);
    if (token === "nil") return null;
    if (token === "true") return true;
    if (token === "false") return false;
    const c = token.charCodeAt(0);
    const signed = c === 43 || c === 45; // + -
    const d = signed ? token.charCodeAt(1) : c;
    if (d >= 48 && d <= 57) return this.parseNumber(token, start);
    return new EdnSymbol(token);
  }

  private parseNumber(token: string, start: number): number | bigint {
    if (/^[+-]?\d+N?$/.test(token)) {
      const digits = token.endsWith("N") ? token.slice(0, -1) : token;
      // Up to 15 digits always fit a double exactly.
      if (digits.replace(/^[+-]/, "").length <= 15) return Number(digits);
      const big = BigInt(digits);
      if (big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(big);
      return big;
    }
    if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$/.test(token)) {
      return Number(token.endsWith("M") ? token.slice(0, -1) : token);
    }
    if (/^[+-]?\d+\/\d+$/.test(token)) {
      const [n, dd] = token.split("/");
      return Number(n) / Number(dd);
    }
    this.fail(`bad number '${token}'`, start);
  }
}

/** Reads exactly one EDN value from `text`; anything after it is an error. */
export function oracleParseEdn(text: string, source = "<edn>"): EdnValue {
  const r = new Reader(text, source);
  const value = r.read();
  if (!r.atEnd()) r.fail("unexpected text after the value");
  return value;
}

/** Reads every top-level form in `text`, with the line each starts on. */
export function oracleParseEdnForms(text: string, source = "<edn>"): Array<{ value: EdnValue; line: number; column: number }> {
  const r = new Reader(text, source);
  const forms: Array<{ value: EdnValue; line: number; column: number }> = [];
  while (!r.atEnd()) {
    const line = r.line;
    const column = r.pos - r.lineStart + 1;
    forms.push({ value: r.read(), line, column });
  }
  return forms;
}

/** The lines the oracle gave the operations it read. */
export const oracleLineOf = new WeakMap<Op, number>();

/** A history read from EDN text (after any byte-order mark) as the reader did it before. */
export function oracleReadEdnHistory(text: string, source: string): History {
  const forms = oracleParseEdnForms(text, source);
  let items: Array<{ value: EdnValue; line: number; column: number }> = forms;
  // One vector or one list of operations.
  const only = forms.length === 1 ? forms[0]!.value : undefined;
  const seq = Array.isArray(only) ? only : only instanceof EdnList ? only.items : undefined;
  if (seq !== undefined) {
    const at = itemPositions.get(seq)!;
    items = seq.map((value, i) => ({ value, line: at[i]![0], column: at[i]![1] }));
  }
  const ops: Op[] = [];
  for (const item of items) {
    const line = item.line;
    const value = item.value instanceof EdnTagged && item.value.value instanceof EdnMap ? item.value.value : item.value;
    if (!(value instanceof EdnMap)) throw new ParseError(`expected an operation map, got ${printEdn(value).slice(0, 60)}`, { source, line, column: item.column });
    const fields = new Map<string, Value>();
    for (const [k, v] of value.entries) fields.set(fieldName(k), v);
    const op = opFromFields(fields, ops.length, { source, line });
    oracleLineOf.set(op, line);
    ops.push(op);
  }
  return ops;
}

function fieldName(k: EdnValue): string {
  if (k instanceof Keyword) return k.name;
  if (typeof k === "string") return k;
  return printEdn(k);
}

function nameOf(v: Value | undefined): string | undefined {
  if (v instanceof Keyword) return v.name;
  if (typeof v === "string") return v;
  return undefined;
}

const KNOWN = new Set(["index", "process", "type", "f", "value", "time", "key", "error", "client-id", "seq"]);

function opFromFields(fields: Map<string, Value>, position: number, at: { source: string; line: number }): Op {
  const type = nameOf(fields.get("type"));
  if (type === undefined || !(OP_TYPES as readonly string[]).includes(type)) {
    throw new ParseError(`operation needs :type :invoke, :ok, :fail or :info (got ${show(fields.get("type"))})`, at);
  }
  const f = nameOf(fields.get("f"));
  if (f === undefined) throw new ParseError(`operation needs :f as a keyword or string (got ${show(fields.get("f"))})`, at);
  const rawProcess = fields.get("process");
  let process: Process;
  if (typeof rawProcess === "number" && Number.isInteger(rawProcess)) process = rawProcess;
  else if (typeof rawProcess === "bigint") process = rawProcess.toString();
  else {
    const name = nameOf(rawProcess);
    if (name === undefined) throw new ParseError(`operation needs :process as an integer or keyword (got ${show(rawProcess)})`, at);
    process = name;
  }
  const index = fields.get("index");
  const op: Op = {
    index: typeof index === "number" ? index : position,
    process,
    type: type as OpType,
    f,
    value: fields.has("value") ? fields.get("value")! : null,
  };
  const time = fields.get("time");
  if (typeof time === "number") op.time = time;
  else if (typeof time === "bigint") op.time = Number(time);
  if (fields.has("key")) op.key = fields.get("key")!;
  if (fields.has("error")) op.error = fields.get("error")!;
  const clientId = fields.get("client-id");
  if (clientId !== undefined && clientId !== null) {
    if (typeof clientId === "string" || typeof clientId === "number" || typeof clientId === "bigint") op.client_id = String(clientId);
    else throw new ParseError(`:client-id must be a string or integer (got ${show(clientId)})`, at);
  }
  const seq = fields.get("seq");
  if (seq !== undefined && seq !== null) {
    if (typeof seq !== "number" || !Number.isInteger(seq)) throw new ParseError(`:seq must be an integer (got ${show(seq)})`, at);
    op.seq = seq;
  }
  for (const [k, v] of fields) {
    if (KNOWN.has(k)) continue;
    // As the reader does: a field named __proto__ stays a field.
    Object.defineProperty((op.extra ??= {}), k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return op;
}

function show(v: Value | undefined): string {
  return v === undefined ? "nothing" : printEdn(v).slice(0, 60);
}

