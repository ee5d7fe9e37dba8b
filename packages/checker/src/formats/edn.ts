/**
 * EDN, as far as Jepsen, Knossos and Maelstrom histories need it: nil,
 * booleans, integers (big ones become bigint), floats, strings with escapes,
 * characters, keywords, symbols, vectors, lists, maps, sets, tagged values,
 * `;` comments, `#_` discards and commas as whitespace.
 *
 * Vectors are plain arrays; the other collections are small classes so that
 * printing gives back what was read. Nesting is bounded (NESTING_DEPTH_MAX),
 * so hostile input is an error with its position, not a stack overflow.
 */
import { CHARS_PER_LOOK, NESTING_DEPTH_MAX, OpTooLongError, ParseError, ReadTimeLimitError, TOO_DEEP, positionAt } from "./parse-error.js";
import type { ReadDeadline } from "./parse-error.js";

/**
 * `:name`. Interned: while a keyword is in use anywhere, `kw("x")` gives that
 * very object, so `kw("x") === kw("x")` and comparisons are cheap. The table
 * holds its keywords weakly: one that nothing uses any more is dropped from
 * it (and made anew if asked for again), so reading a file of a million
 * distinct keywords leaves no million entries behind once the values read
 * are gone.
 */
export class Keyword {
  private static readonly table = new Map<string, WeakRef<Keyword>>();
  private static readonly sweep = new FinalizationRegistry<string>((name) => {
    // The name may have been made anew since: drop the entry only if it is dead.
    if (Keyword.table.get(name)?.deref() === undefined) Keyword.table.delete(name);
  });
  private constructor(readonly name: string) {}
  static of(name: string): Keyword {
    const live = Keyword.table.get(name)?.deref();
    if (live !== undefined) return live;
    const k = new Keyword(name);
    Keyword.table.set(name, new WeakRef(k));
    Keyword.sweep.register(k, name);
    return k;
  }
  /** Entries in the table: the keywords in use, and those no longer used that the collector has not swept yet. */
  static get tableSize(): number {
    return Keyword.table.size;
  }
  toString(): string {
    return ":" + this.name;
  }
}

export const kw = (name: string): Keyword => Keyword.of(name);

export class EdnSymbol {
  constructor(readonly name: string) {}
}

export class EdnChar {
  constructor(readonly char: string) {}
}

export class EdnList {
  constructor(readonly items: EdnValue[]) {}
}

export class EdnSet {
  constructor(readonly items: EdnValue[]) {}
}

export class EdnTagged {
  constructor(
    readonly tag: string,
    readonly value: EdnValue,
  ) {}
}

/** A map in read order. Lookups by keyword name are what histories need. */
export class EdnMap {
  constructor(readonly entries: Array<[EdnValue, EdnValue]>) {}
  /** The value under keyword `:name`, or undefined. */
  getKw(name: string): EdnValue | undefined {
    const k = Keyword.of(name);
    for (const [key, value] of this.entries) if (key === k) return value;
    return undefined;
  }
  get size(): number {
    return this.entries.length;
  }
}

export type EdnValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Keyword
  | EdnSymbol
  | EdnChar
  | EdnValue[]
  | EdnList
  | EdnSet
  | EdnMap
  | EdnTagged;

/** One top-level form and the line it starts on (1-based). */
export interface EdnForm {
  value: EdnValue;
  line: number;
  column: number;
}

const namedChars: Record<string, string> = {
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

/** 1 for the characters that end a token: whitespace, brackets, `"` and `;`. */
const DELIMITERS = new Uint8Array(128);
for (const ch of " \t\n\r,\f()[]{}\";") DELIMITERS[ch.charCodeAt(0)] = 1;

function isDelimiter(c: number): boolean {
  return c < 128 && DELIMITERS[c] === 1;
}

/** Whether the character code `c` ends a token (whitespace, a bracket, `"` or `;`), as the reader takes it. */
export const isDelimiterCode = isDelimiter;

/**
 * Keywords of one read by the hash of their name, so that reading one (a
 * history has a few per line, nearly all the same few) neither slices its
 * name out of the text nor hashes a new string. Open addressing; filled to
 * half at most, then names it does not hold go through `Keyword.of` each
 * time. One per reader, so it keeps no keyword alive past the read.
 */
const KEYWORD_CACHE_SIZE = 512;

class KeywordCache {
  private readonly hashes = new Int32Array(KEYWORD_CACHE_SIZE);
  private readonly keywords: Array<Keyword | undefined> = new Array<Keyword | undefined>(KEYWORD_CACHE_SIZE).fill(undefined);
  private count = 0;

  /** The keyword named by `text[start, end)`, whose characters hash to `hash` (see `readKeyword`). */
  at(text: string, start: number, end: number, hash: number): Keyword {
    const length = end - start;
    let i = hash & (KEYWORD_CACHE_SIZE - 1);
    for (let k = this.keywords[i]; k !== undefined; k = this.keywords[i]) {
      if (this.hashes[i] === hash && k.name.length === length && text.startsWith(k.name, start)) return k;
      i = (i + 1) & (KEYWORD_CACHE_SIZE - 1);
    }
    const k = Keyword.of(text.slice(start, end));
    if (this.count < KEYWORD_CACHE_SIZE / 2) {
      this.keywords[i] = k;
      this.hashes[i] = hash;
      this.count++;
    }
    return k;
  }
}

/** Where each item of a top-level sequence started, as read by `parseEdnForms`: lines and columns, 1-based. */
const itemPositions = new WeakMap<EdnValue[], { lines: number[]; columns: number[] }>();

/**
 * The 1-based line each item of `seq` started on, if `seq` is a top-level
 * form read from text (a vector, or the items of a list or set).
 */
export function ednItemLines(seq: EdnValue[]): readonly number[] | undefined {
  return itemPositions.get(seq)?.lines;
}

/** The 1-based column each item of `seq` started at, as `ednItemLines` gives their lines. */
export function ednItemColumns(seq: EdnValue[]): readonly number[] | undefined {
  return itemPositions.get(seq)?.columns;
}

/**
 * The reader: one pass over the text by character code, `pos` only moving
 * forward. `line` and `lineStart` follow `pos` through whitespace and
 * strings; an error recomputes its line and column from the offset it
 * names. Every value read, and every `#_` discard, is one level
 * (`enter`/`leave`), so `depth` is how deep `pos` is and never passes
 * NESTING_DEPTH_MAX. Readers of files made of EDN forms (history-io) build
 * on `read`, `skipWhitespace` and `enter`/`leave`, and count levels the same
 * way.
 */
export class EdnReader {
  pos = 0;
  line = 1;
  lineStart = 0;
  /** Values being read, one inside the other: every recursion goes through `read`. */
  private depth = 0;
  /** Made at the first keyword read. */
  private keywords: KeywordCache | undefined = undefined;
  /**
   * The most characters one operation may take (`ReadOptions.opMaxChars`),
   * looked at on each item of a collection. An operation is a top-level form,
   * or an item of a top-level vector or list; a reader of operations that
   * does not go through `read` at the top sets `opStart` and `opNumber`.
   */
  opMaxChars = Infinity;
  opStart = 0;
  opNumber = 0;
  /** The line the operation being read starts on: where a ReadTimeLimitError places it. */
  opLine = 1;
  private formsRead = 0;
  /** When reading must stop (`setDeadline`); its clock is looked at once `pos` reaches `lookAt`. */
  private deadline: ReadDeadline | undefined = undefined;
  private lookAt = Infinity;

  constructor(
    readonly text: string,
    readonly source: string,
  ) {}

  fail(message: string, at = this.pos): never {
    // Recompute line/column for `at`, which may lie before `pos`.
    throw new ParseError(message, { source: this.source, ...positionAt(this.text, at) });
  }

  /** One level deeper (a value is being read); past NESTING_DEPTH_MAX, an error at `pos`. */
  enter(): void {
    if (++this.depth > NESTING_DEPTH_MAX) this.fail(TOO_DEEP);
  }

  leave(): void {
    this.depth--;
  }

  /**
   * Stop with a ReadTimeLimitError once `deadline.now()` is past
   * `deadline.at`: its clock is looked at between two items of a collection
   * (or two entries of a map), once every CHARS_PER_LOOK characters, however
   * deep; the error names the operation being read (`opLine`, and `opNumber`
   * operations before it).
   */
  setDeadline(deadline: ReadDeadline | undefined): void {
    this.deadline = deadline;
    this.lookAt = deadline === undefined ? Infinity : this.pos + CHARS_PER_LOOK;
  }

  /** Looks at the deadline's clock when `pos` has reached `lookAt` (see `setDeadline`). */
  lookAtClock(): void {
    if (this.pos < this.lookAt) return;
    this.lookAt = this.pos + CHARS_PER_LOOK;
    if (this.deadline!.now() > this.deadline!.at) throw new ReadTimeLimitError(this.opLine, this.opNumber);
  }

  /** Fails with OpTooLongError, placed where the operation starts, once `pos` is more than `opMaxChars` past it. */
  checkOpLength(): void {
    if (this.pos - this.opStart > this.opMaxChars) throw new OpTooLongError(this.opNumber, this.opMaxChars, { source: this.source, ...positionAt(this.text, this.opStart) });
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
        this.enter();
        this.skipWhitespace();
        this.read();
        this.leave();
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
    if (this.depth === 0) {
      this.opStart = this.pos;
      this.opNumber = this.formsRead++;
      this.opLine = this.line;
    }
    this.enter();
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
    // A top-level vector or list (`[{...}\n {...}]`, `({...}\n {...})`, Knossos' files) keeps where each item starts.
    const at: { lines: number[]; columns: number[] } | undefined = this.depth === 1 ? { lines: [], columns: [] } : undefined;
    for (;;) {
      this.skipWhitespace();
      this.checkOpLength();
      if (this.pos >= this.lookAt) this.lookAtClock();
      if (this.pos >= this.text.length) this.fail(`unclosed collection: expected '${closeText}'`, start);
      if (this.text.charCodeAt(this.pos) === close) {
        this.pos++;
        if (at !== undefined) itemPositions.set(items, at);
        return items;
      }
      if (at !== undefined) {
        this.opStart = this.pos;
        this.opNumber = items.length;
        this.opLine = this.line;
        at.lines.push(this.line);
        at.columns.push(this.pos - this.lineStart + 1);
      }
      items.push(this.read());
    }
  }

  /** A map, its entries paired as they are read. An odd number of forms is found at the `}`. */
  private readMap(): EdnMap {
    const start = this.pos;
    this.pos++;
    const entries: Array<[EdnValue, EdnValue]> = [];
    let key: EdnValue = null;
    let haveKey = false;
    for (;;) {
      this.skipWhitespace();
      this.checkOpLength();
      if (this.pos >= this.lookAt) this.lookAtClock();
      if (this.pos >= this.text.length) this.fail("unclosed collection: expected '}'", start);
      if (this.text.charCodeAt(this.pos) === 125) {
        this.pos++;
        if (haveKey) this.fail("map literal has an odd number of forms (a key without a value)", start);
        return new EdnMap(entries);
      }
      const item = this.read();
      if (haveKey) entries.push([key, item]);
      else key = item;
      haveKey = !haveKey;
    }
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

  /** Where the token starting at `from` ends: the offset of the next delimiter, or the end of the text. */
  tokenEnd(from: number): number {
    const t = this.text;
    let end = from;
    while (end < t.length && !isDelimiter(t.charCodeAt(end))) end++;
    return end;
  }

  /** The characters from `pos` up to the next delimiter (possibly none). */
  readToken(): string {
    const t = this.text;
    const start = this.pos;
    while (this.pos < t.length && !isDelimiter(t.charCodeAt(this.pos))) this.pos++;
    return t.slice(start, this.pos);
  }

  private readKeyword(): Keyword {
    const t = this.text;
    const start = this.pos;
    let end = start + 1;
    let hash = 0;
    for (; end < t.length; end++) {
      const c = t.charCodeAt(end);
      if (isDelimiter(c)) break;
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    this.pos = end;
    if (end === start + 1 || t.charCodeAt(start + 1) === 58) this.fail("bad keyword", start);
    return (this.keywords ??= new KeywordCache()).at(t, start + 1, end, hash);
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

  /** True when the token at `pos` is exactly `word`; then `pos` is moved past it. */
  private tokenIs(word: string): boolean {
    const t = this.text;
    const end = this.pos + word.length;
    if (!t.startsWith(word, this.pos) || (end < t.length && !isDelimiter(t.charCodeAt(end)))) return false;
    this.pos = end;
    return true;
  }

  private readAtom(): EdnValue {
    const t = this.text;
    const start = this.pos;
    const c = t.charCodeAt(start);
    // An integer of up to 15 digits (exact as a double), as most numbers in a history are: no token, no regex.
    const signed = c === 43 || c === 45; // + -
    let p = signed ? start + 1 : start;
    let n = 0;
    for (; p < t.length; p++) {
      const d = t.charCodeAt(p);
      if (d < 48 || d > 57) break;
      n = n * 10 + (d - 48);
    }
    const digits = p - (signed ? start + 1 : start);
    if (digits > 0 && digits <= 15 && (p === t.length || isDelimiter(t.charCodeAt(p)))) {
      this.pos = p;
      return c === 45 ? -n : n;
    }
    if (c === 110 && this.tokenIs("nil")) return null;
    if (c === 116 && this.tokenIs("true")) return true;
    if (c === 102 && this.tokenIs("false")) return false;
    const token = this.readToken();
    if (token === "") this.fail(`unexpected character '${this.text[this.pos]}'`);
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
export function parseEdn(text: string, source = "<edn>"): EdnValue {
  const r = new EdnReader(text, source);
  const value = r.read();
  if (!r.atEnd()) r.fail("unexpected text after the value");
  return value;
}

/**
 * Reads every top-level form in `text`, with the line each starts on. With
 * `deadline`, stops with a ReadTimeLimitError once it has passed (looked at
 * every CHARS_PER_LOOK characters, see `EdnReader.setDeadline`).
 */
export function parseEdnForms(text: string, source = "<edn>", opMaxChars = Infinity, deadline?: ReadDeadline): EdnForm[] {
  const r = new EdnReader(text, source);
  r.opMaxChars = opMaxChars;
  r.setDeadline(deadline);
  const forms: EdnForm[] = [];
  while (!r.atEnd()) {
    const line = r.line;
    const column = r.pos - r.lineStart + 1;
    forms.push({ value: r.read(), line, column });
  }
  return forms;
}

const STRING_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\b": "\\b",
  "\f": "\\f",
};

export function printEdnString(s: string): string {
  // Nearly every string in a history needs no escape: one scan by character code then, no regex and no callback.
  if (!needsEscape(s)) return '"' + s + '"';
  // eslint-disable-next-line no-control-regex
  return '"' + s.replace(/["\\\n\t\r\b\f\u0000-\u001f\u007f]/g, (ch) => STRING_ESCAPES[ch] ?? "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0")) + '"';
}

/** Whether `s` has a character a string literal escapes: `"`, `\`, a control character below space, or DEL. */
function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || c === 127) return true;
  }
  return false;
}

function printNumber(n: number): string {
  if (Number.isNaN(n)) return "##NaN";
  if (n === Infinity) return "##Inf";
  if (n === -Infinity) return "##-Inf";
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) {
    // A huge double: keep it a float when read back.
    return n.toExponential().replace("e+", "E");
  }
  return String(n);
}

/**
 * EDN text for a value, on one line, in the style Jepsen prints (`, ` between map entries).
 * Collections are built by appending to one string (a history prints tens of
 * thousands of short vectors: no array of parts per collection).
 */
export function printEdn(value: EdnValue): string {
  if (value === null) return "nil";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return printNumber(value);
    case "bigint":
      return value.toString();
    case "string":
      return printEdnString(value);
  }
  if (Array.isArray(value)) return printItems("[", value, "]");
  if (value instanceof Keyword) return ":" + value.name;
  if (value instanceof EdnMap) {
    let out = "{";
    const entries = value.entries;
    for (let i = 0; i < entries.length; i++) {
      if (i > 0) out += ", ";
      const entry = entries[i];
      if (entry === undefined && !(i in entries)) continue;
      const [k, v] = entry!;
      out += printEdn(k) + " " + printEdn(v);
    }
    return out + "}";
  }
  if (value instanceof EdnList) return printItems("(", value.items, ")");
  if (value instanceof EdnSet) return printItems("#{", value.items, "}");
  if (value instanceof EdnSymbol) return value.name;
  if (value instanceof EdnTagged) return "#" + value.tag + " " + printEdn(value.value);
  if (value instanceof EdnChar) {
    for (const [name, ch] of Object.entries(namedChars)) if (ch === value.char) return "\\" + name;
    return "\\" + value.char;
  }
  throw new TypeError(`printEdn: not an EDN value: ${String(value)}`);
}

/**
 * The items of a sequence between `open` and `close`, one space apart. A
 * hole in a sparse array prints as nothing, as `map` then `join` had it (a
 * map's entries likewise).
 */
function printItems(open: string, items: readonly EdnValue[], close: string): string {
  let out = open;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += " ";
    const item = items[i];
    if (item !== undefined || i in items) out += printEdn(item!);
  }
  return out + close;
}

/** Structural equality of EDN values (maps and sets compare as unordered). */
export function ednEqual(a: EdnValue, b: EdnValue): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a)) return Array.isArray(b) && seqEqual(a, b);
  if (a instanceof EdnList) return b instanceof EdnList && seqEqual(a.items, b.items);
  if (a instanceof EdnSet) return b instanceof EdnSet && a.items.length === b.items.length && a.items.every((x) => b.items.some((y) => ednEqual(x, y)));
  if (a instanceof EdnMap) {
    if (!(b instanceof EdnMap) || a.size !== b.size) return false;
    return a.entries.every(([k, v]) => b.entries.some(([k2, v2]) => ednEqual(k, k2) && ednEqual(v, v2)));
  }
  if (a instanceof EdnSymbol) return b instanceof EdnSymbol && a.name === b.name;
  if (a instanceof EdnChar) return b instanceof EdnChar && a.char === b.char;
  if (a instanceof EdnTagged) return b instanceof EdnTagged && a.tag === b.tag && ednEqual(a.value, b.value);
  return false;
}

function seqEqual(a: EdnValue[], b: EdnValue[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!ednEqual(a[i]!, b[i]!)) return false;
  return true;
}
